package render

import (
	"strconv"
	"strings"
)

// Pagination (RFC 5005 section 3, "paged feeds"): when more items follow a
// page, the feed links rel="next" to ?page=N+1; pages after the first link
// rel="first" and rel="previous" back.

// pageURL is the URL of page n of the channel in a format.
func (d *Doc) pagedURL(format string, n int) string {
	if n <= 1 {
		return d.FeedURL(format)
	}
	return d.FeedURL(format) + "?page=" + strconv.Itoa(n)
}

// selfURL is the URL this document is served at.
func (d *Doc) selfURL(format string) string { return d.pagedURL(format, d.Page) }

// docLink is one link of a feed document to another document.
type docLink struct{ Rel, Href, Type string }

// links are a document's links besides self and alternate: the RFC 5005
// page links (first and previous after page 1, next when more items
// follow), then the WebSub hub.
func (d *Doc) links(format string) []docLink {
	var out []docLink
	typ := mediaType(format)
	if d.Page > 1 {
		out = append(out, docLink{"first", d.pagedURL(format, 1), typ}, docLink{"previous", d.pagedURL(format, d.Page-1), typ})
	}
	if d.More {
		out = append(out, docLink{"next", d.pagedURL(format, d.Page+1), typ})
	}
	if d.Hub != "" {
		out = append(out, docLink{"hub", d.Hub, ""})
	}
	return out
}

// mediaType is a format's media type without parameters.
func mediaType(format string) string {
	t, _, _ := strings.Cut(ContentTypes[format], ";")
	return t
}
