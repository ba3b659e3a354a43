package normalize

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

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
	// summary, each (Limits.MaxItemBytes). Longer HTML is truncated
	// between tags or inside a text, with the elements left open closed
	// (truncateHTML), never dropped.
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

// truncateHTML cuts the HTML s to at most max bytes, so that it stays
// well-formed: between tags, or inside a text at a character boundary
// and before an entity the cut would split ("&am"), never inside a tag;
// and the elements left open are closed (their end tags count in max). A
// reader that shows items one after another on a page then never finds
// the next item inside an element this one left open. End tags without
// a start tag are dropped.
func truncateHTML(s string, max int) string {
	if len(s) <= max {
		return s
	}
	t := truncator{max: max, out: make([]byte, 0, max)}
	z := html.NewTokenizer(strings.NewReader(s))
	for t.next(z) {
	}
	for i := len(t.open) - 1; i >= 0; i-- {
		t.out = append(append(append(t.out, "</"...), t.open[i]...), '>')
	}
	return string(t.out)
}

// truncator is truncateHTML's state: the output so far, the elements it
// left open, and the bytes their end tags will take.
type truncator struct {
	max     int
	out     []byte
	open    []string
	closing int
}

// next copies the next token of z to the output if it fits, and reports
// whether to go on.
func (t *truncator) next(z *html.Tokenizer) bool {
	tt := z.Next()
	raw := z.Raw()
	room := t.max - len(t.out) - t.closing
	switch tt {
	case html.ErrorToken:
		return false
	case html.TextToken:
		if len(raw) > room {
			t.out = append(t.out, cutText(raw, room)...)
			return false
		}
	case html.StartTagToken:
		name, _ := z.TagName()
		if voidElements[atom.Lookup(name)] {
			break
		}
		end := len(name) + 3 // "</name>"
		if len(raw)+end > room {
			return false
		}
		t.open = append(t.open, string(name))
		t.closing += end
	case html.EndTagToken:
		name, _ := z.TagName()
		t.closeTo(string(name))
		return true
	}
	if len(raw) > room {
		return false
	}
	t.out = append(t.out, raw...)
	return true
}

// closeTo writes the end tags of the open elements down to and including
// the innermost named name; none when name is not open.
func (t *truncator) closeTo(name string) {
	i := len(t.open) - 1
	for i >= 0 && t.open[i] != name {
		i--
	}
	if i < 0 {
		return
	}
	for j := len(t.open) - 1; j >= i; j-- {
		t.out = append(append(append(t.out, "</"...), t.open[j]...), '>')
		t.closing -= len(t.open[j]) + 3
	}
	t.open = t.open[:i]
}

// cutText returns the longest start of the raw text b that fits in n
// bytes: at a character boundary, and before an entity it would split.
func cutText(b []byte, n int) []byte {
	if n <= 0 {
		return nil
	}
	cut := min(n, len(b))
	for cut > 0 && cut < len(b) && !utf8.RuneStart(b[cut]) {
		cut--
	}
	b = b[:cut]
	if i := bytes.LastIndexByte(b, '&'); i >= 0 && bytes.IndexByte(b[i:], ';') < 0 && len(b)-i <= 32 {
		b = b[:i]
	}
	return b
}
