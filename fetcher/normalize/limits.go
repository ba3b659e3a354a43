package normalize

import (
	"strings"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"

	"github.com/feedmill/feedmill/fetcher/urlclean"
	"github.com/feedmill/feedmill/storage"
)

// Limits are the caps on what one feed document may put into the store
// (Feed applies them): the first MaxItems items in document order (feeds
// list their newest first), and MaxItemBytes of HTML in an item's content
// and in its summary, each (truncated, not dropped). Zero: no cap.
type Limits struct {
	MaxItems     int
	MaxItemBytes int
}

// Limits on what one feed may put into the store. A hostile or broken
// upstream can send a body of Options.MaxBody bytes that parses into
// hundreds of thousands of tiny items, or one item with megabytes of
// text; these caps keep the store and every channel built from it bounded.
const (
	// DefaultMaxItems is how many items of one feed document are taken
	// (Limits.MaxItems). The first ones in document order are kept:
	// feeds list their newest items first.
	DefaultMaxItems = 5000
	// DefaultMaxItemBytes caps the HTML of an item's content and of its
	// summary, each (Limits.MaxItemBytes). Longer text is truncated, at a
	// character boundary and before a cut-off tag, never dropped.
	DefaultMaxItemBytes = 1 << 20

	// maxLineBytes caps one-line fields: title, author, e-mail, GUID,
	// language, each category, enclosure type.
	maxLineBytes = 4 << 10
	// maxURLBytes caps links, image and enclosure URLs; a longer URL is
	// dropped, since a truncated URL points somewhere else. Which URLs
	// are allowed at all is the URL policy's (urls.go).
	maxURLBytes = 8 << 10
	// maxCategories and maxEnclosures cap the lists of one item.
	maxCategories = 64
	maxEnclosures = 32
)

// capParsed applies the item cap and the byte cap of content and summary
// to a parsed feed before it is normalized, so that cleaning (sanitizer,
// boilerplate rules) never spends time on what would be cut anyway.
// applyLimits runs again on the result, since cleaning can change lengths.
func capParsed(feed *gofeed.Feed, maxItems, maxItemBytes int) {
	if feed == nil {
		return
	}
	if maxItems > 0 && len(feed.Items) > maxItems {
		feed.Items = feed.Items[:maxItems]
	}
	if maxItemBytes <= 0 {
		return
	}
	for _, it := range feed.Items {
		if it != nil {
			it.Content = truncateHTML(it.Content, maxItemBytes)
			it.Description = truncateHTML(it.Description, maxItemBytes)
		}
	}
}

// applyLimits caps items to maxItems and every item's fields to their
// sizes. It changes items in place and returns the kept slice.
func applyLimits(items []storage.Item, maxItems, maxItemBytes int) []storage.Item {
	if maxItems > 0 && len(items) > maxItems {
		items = items[:maxItems]
	}
	for i := range items {
		limitItem(&items[i], maxItemBytes)
	}
	return items
}

// limitItem truncates the fields of one item (see the constants above).
func limitItem(it *storage.Item, maxItemBytes int) {
	if maxItemBytes > 0 {
		it.Content = truncateHTML(it.Content, maxItemBytes)
		it.Summary = truncateHTML(it.Summary, maxItemBytes)
	}
	it.Title = truncateText(it.Title, maxLineBytes)
	it.Author = truncateText(it.Author, maxLineBytes)
	it.AuthorMail = truncateText(it.AuthorMail, maxLineBytes)
	it.GUID = truncateText(it.GUID, maxLineBytes)
	it.Language = truncateText(it.Language, maxLineBytes)
	if len(it.Link) > maxURLBytes {
		it.Link = ""
	}
	if len(it.Image) > maxURLBytes || !urlclean.IsHTTP(it.Image) {
		it.Image = ""
	}
	if len(it.Categories) > maxCategories {
		it.Categories = it.Categories[:maxCategories]
	}
	for i, c := range it.Categories {
		it.Categories[i] = truncateText(c, maxLineBytes)
	}
	encs := it.Enclosures[:0]
	for _, e := range it.Enclosures {
		if len(encs) == maxEnclosures {
			break
		}
		if len(e.URL) <= maxURLBytes {
			e.Type = truncateText(e.Type, maxLineBytes)
			encs = append(encs, e)
		}
	}
	if len(encs) == 0 {
		encs = nil
	}
	it.Enclosures = encs
}

// truncateText cuts s to at most max bytes at a UTF-8 character boundary.
func truncateText(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// truncateHTML cuts HTML s to at most max bytes: at a character boundary,
// and before a tag or entity the cut would split ("<a hr", "&am"). The
// result may leave elements open; HTML parsers (and the sanitizer) close
// them.
func truncateHTML(s string, max int) string {
	if len(s) <= max {
		return s
	}
	s = truncateText(s, max)
	if i := strings.LastIndexByte(s, '<'); i >= 0 && strings.IndexByte(s[i:], '>') < 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '&'); i >= 0 && strings.IndexByte(s[i:], ';') < 0 && len(s)-i <= 32 {
		s = s[:i]
	}
	return s
}
