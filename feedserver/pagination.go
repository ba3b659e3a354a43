package feedserver

import (
	"strconv"
	"strings"
)

// Pagination (RFC 5005 section 3, "paged feeds"): a channel shows its
// newest `limit` items; when more match, the feed links rel="next" to
// ?page=2, which holds the next `limit`, and so on. Pages after the first
// link rel="first" and rel="previous" back. Each page is cached and
// validated (ETag, Last-Modified, 304) like the first.

// pageURL is the URL of page n of the channel in a format.
func (d *feedDoc) pagedURL(format string, n int) string {
	if n <= 1 {
		return d.feedURL(format)
	}
	return d.feedURL(format) + "?page=" + strconv.Itoa(n)
}

// selfURL is the URL this document is served at.
func (d *feedDoc) selfURL(format string) string { return d.pagedURL(format, d.page) }

// docLink is one link of a feed document to another document.
type docLink struct{ Rel, Href, Type string }

// links are a document's links besides self and alternate: the RFC 5005
// page links (first and previous after page 1, next when more items
// follow), then the WebSub hub.
func (d *feedDoc) links(format string) []docLink {
	var out []docLink
	typ := mediaType(format)
	if d.page > 1 {
		out = append(out, docLink{"first", d.pagedURL(format, 1), typ}, docLink{"previous", d.pagedURL(format, d.page-1), typ})
	}
	if d.more {
		out = append(out, docLink{"next", d.pagedURL(format, d.page+1), typ})
	}
	if d.hub != "" {
		out = append(out, docLink{"hub", d.hub, ""})
	}
	return out
}

// mediaType is a format's media type without parameters.
func mediaType(format string) string {
	t, _, _ := strings.Cut(contentTypes[format], ";")
	return t
}
