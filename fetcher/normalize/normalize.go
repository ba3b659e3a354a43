package normalize

import (
	"html"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	nethtml "golang.org/x/net/html"
	"golang.org/x/text/encoding/charmap"

	"github.com/feedmill/feedmill/fetcher/urlclean"
	"github.com/feedmill/feedmill/storage"
)

// maxFuture is how far in the future an item's date may lie before it is
// taken as wrong and clamped to now.
const maxFuture = 24 * time.Hour

// Meta is what the fetcher keeps of a feed document itself.
type Meta struct {
	Title    string
	SiteURL  string
	Language string
}

// Feed converts a feed parsed from the body fetched at feedURL into the
// feed's metadata and its items, cleaned (item.go) and capped (limits.go),
// as storage expects them; now bounds dates in the future.
func Feed(feed *gofeed.Feed, feedURL *url.URL, now time.Time, lim Limits) (Meta, []storage.Item) {
	return FeedSkipping(feed, feedURL, now, lim, nil)
}

// Known reports, for items whose fields are filled but whose bodies are
// not yet cleaned (Item.RawHash set, Key "" when the item has no usable
// identity before cleaning), which ones the store already holds with the
// same RawHash.
type Known func(items []storage.Item) []bool

// FeedSkipping is Feed that cleans only the items known does not report:
// a known item keeps its raw fields, is marked Item.Known, and storage
// counts it unchanged without writing it. known may be nil (every item is
// cleaned).
func FeedSkipping(feed *gofeed.Feed, feedURL *url.URL, now time.Time, lim Limits, known Known) (Meta, []storage.Item) {
	meta, items, _ := FeedKept(feed, feedURL, now, lim, known, nil)
	return meta, items
}

// normalizeFeed is Feed without the caps.
func normalizeFeed(feed *gofeed.Feed, feedURL *url.URL, now time.Time) (Meta, []storage.Item) {
	meta, p := prepareFeed(feed, feedURL, now)
	for i := range p.items {
		finishItem(&p.items[i], p.raw[i], p.bases[i])
	}
	return meta, p.items
}

// prepared is a feed's items with every field but the bodies normalized,
// beside the gofeed items they came from and their base URLs.
type prepared struct {
	items []storage.Item
	raw   []*gofeed.Item
	bases []*url.URL
}

// prepareFeed normalizes the feed's metadata and its items' fields but
// the bodies: everything cheap, up to what an item's identity and raw
// hash need.
func prepareFeed(feed *gofeed.Feed, feedURL *url.URL, now time.Time) (Meta, prepared) {
	meta, base, siteRefused := feedContext(feed, feedURL)
	defaults := feedDefaultsOf(feed, base)
	p := prepared{items: make([]storage.Item, 0, len(feed.Items))}
	for _, it := range feed.Items {
		if it == nil {
			continue
		}
		out := prepareItem(it, base, meta.Language, now, &defaults)
		if siteRefused {
			noteCleaned(&out.Cleaned, cleanedSite)
		}
		p.items = append(p.items, out)
		p.raw = append(p.raw, it)
		p.bases = append(p.bases, base)
	}
	return meta, p
}

// feedContext is what the feed lends its items besides the defaults: its
// metadata, the base URL (the feed's link, else its URL) and whether the
// URL policy refused the feed's link.
func feedContext(feed *gofeed.Feed, feedURL *url.URL) (meta Meta, base *url.URL, siteRefused bool) {
	meta = Meta{
		Title:    plainText(feed.Title),
		Language: Text(strings.TrimSpace(feed.Language)),
	}
	base = feedURL
	if feed.Link != "" {
		if site, err := webLink(feed.Link, feedURL); err == nil {
			meta.SiteURL = site
			if u, err := url.Parse(site); err == nil {
				base = u
			}
		} else {
			siteRefused = true
		}
	}
	return meta, base, siteRefused
}

// normalizeItem converts one gofeed item: relative links are resolved
// against base (the feed's link, else the feed's URL), lang is the feed's
// language, now bounds dates in the future.
func normalizeItem(it *gofeed.Item, base *url.URL, lang string, now time.Time) storage.Item {
	out := prepareItem(it, base, lang, now, &feedDefaults{})
	finishItem(&out, it, base)
	return out
}

// prepareItem converts one gofeed item but its bodies, which stay raw
// (finishItem cleans them). defaults are the feed's fallbacks.
func prepareItem(it *gofeed.Item, base *url.URL, lang string, now time.Time, defaults *feedDefaults) storage.Item {
	out := storage.Item{
		GUID:     Text(strings.TrimSpace(it.GUID)),
		Title:    plainText(it.Title),
		Summary:  it.Description,
		Content:  it.Content,
		Language: lang,
	}
	var linkRefused bool
	if out.Link, linkRefused = itemLink(it, base); linkRefused {
		noteCleaned(&out.Cleaned, cleanedLink)
	}
	out.Published, out.Updated = itemDates(it, now)
	out.Author, out.AuthorMail = itemAuthor(it, defaults)
	out.Categories = cleanCategories(it.Categories)
	if len(out.Categories) == 0 {
		out.Categories = defaults.categories
	}
	for _, e := range it.Enclosures {
		if e == nil {
			continue
		}
		u, err := webURL(e.URL, base)
		if err != nil {
			if e.URL != "" {
				noteCleaned(&out.Cleaned, cleanedEnclosure)
			}
			continue
		}
		enc := storage.Enclosure{URL: u, Type: Text(strings.TrimSpace(e.Type))}
		if n, err := strconv.ParseInt(strings.TrimSpace(e.Length), 10, 64); err == nil && n > 0 {
			enc.Length = n
		}
		out.Enclosures = append(out.Enclosures, enc)
	}
	addDuration(out.Enclosures, it)
	setImages(&out, explicitImages(it, base))
	if out.Image == "" && hasEpisode(out.Enclosures) {
		out.Image = defaults.episodeImage
	}
	return out
}

// finishItem cleans a prepared item's bodies (item.go: boilerplate,
// sanitizing, fingerprint) and, for an item without an explicit image,
// takes the bodies' first image, as gofeed would have (image.go).
func finishItem(out *storage.Item, it *gofeed.Item, base *url.URL) {
	out.Summary, out.Content = Text(out.Summary), Text(out.Content)
	summaryImg, contentImg := cleanItem(out, base)
	if out.Image != "" {
		return
	}
	if src := itemImageURL(it, contentImg, summaryImg); src != "" {
		if u, err := webURL(src, base); err == nil {
			out.Image = u
		} else {
			noteCleaned(&out.Cleaned, cleanedImage)
		}
	}
}

// itemDates is an item's published and updated time in UTC: the feed's
// dates (gofeed's parse, else the lenient one of dates.go), clamped to now
// when too far ahead; published falls back to updated; updated is kept
// only when later than published.
func itemDates(it *gofeed.Item, now time.Time) (published, updated time.Time) {
	published = clampFuture(parsedDate(it.PublishedParsed, it.Published), now)
	updated = clampFuture(parsedDate(it.UpdatedParsed, it.Updated), now)
	if published.IsZero() {
		published = updated
	}
	if !updated.IsZero() && updated.After(published) {
		updated = updated.UTC()
	} else {
		updated = time.Time{}
	}
	if !published.IsZero() {
		published = published.UTC()
	}
	return published, updated
}

// itemLink picks an item's link: Link, else a GUID that is an http(s) URL
// (gofeed does not cross-fill them), else the first of Links; resolved
// against base, passed by the URL policy (http(s) only: a reader must be
// able to open the link, and a javascript: or data: link must never reach
// a page) and canonical. "" when none works. refused reports whether the
// policy refused the item's own Link.
func itemLink(it *gofeed.Item, base *url.URL) (link string, refused bool) {
	candidates := []string{it.Link}
	if urlclean.IsHTTP(it.GUID) {
		candidates = append(candidates, it.GUID)
	}
	candidates = append(candidates, it.Links...)
	for i, c := range candidates {
		if strings.TrimSpace(c) == "" {
			continue
		}
		u, err := webLink(c, base)
		if err == nil {
			return u, refused
		}
		refused = refused || i == 0
	}
	return "", refused
}

// clampFuture returns now for a time more than maxFuture ahead of it.
func clampFuture(t, now time.Time) time.Time {
	if !t.IsZero() && t.After(now.Add(maxFuture)) {
		return now
	}
	return t
}

// cleanCategories trims categories, drops empty ones and duplicates
// (ignoring case; the first spelling stays).
func cleanCategories(in []string) []string {
	var out []string
	seen := make(map[string]bool, len(in))
	for _, c := range in {
		c = plainText(c)
		k := strings.ToLower(c)
		if c == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, c)
	}
	return out
}

// plainText turns a title-like field into plain text: tags stripped,
// entities unescaped once, whitespace collapsed, trimmed, valid UTF-8
// without control characters.
func plainText(s string) string {
	s = Text(s)
	if s == "" {
		return ""
	}
	if looksLikeMarkup(s) {
		var b strings.Builder
		z := nethtml.NewTokenizer(strings.NewReader(s))
	loop:
		for {
			switch z.Next() {
			case nethtml.ErrorToken:
				break loop
			case nethtml.TextToken:
				b.Write(z.Text()) // unescaped by the tokenizer
			case nethtml.StartTagToken, nethtml.EndTagToken, nethtml.SelfClosingTagToken:
				b.WriteByte(' ')
			}
		}
		s = b.String()
	} else {
		s = html.UnescapeString(s)
	}
	return Text(strings.Join(strings.Fields(s), " "))
}

// looksLikeMarkup reports whether s contains something like an HTML tag or
// comment ("<b", "</", "<!"), not just a "<" in running text ("a < b").
func looksLikeMarkup(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] != '<' {
			continue
		}
		c := s[i+1]
		if c == '/' || c == '!' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			if strings.IndexByte(s[i:], '>') > 0 {
				return true
			}
		}
	}
	return false
}

// Text makes s valid UTF-8, removes C0 control characters other
// than tab, newline and carriage return, and turns C1 controls
// (U+0080–U+009F) into the windows-1252 characters they were meant to be
// ("don\u0092t" -> "don’t": text converted from windows-1252 as if it
// were Latin-1).
func Text(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if !hasControls(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r':
			return -1
		case r >= 0x80 && r <= 0x9F:
			if m := charmap.Windows1252.DecodeByte(byte(r)); m != utf8.RuneError && (m < 0x80 || m > 0x9F) {
				return m
			}
			return -1
		}
		return r
	}, s)
}

// hasControls reports whether the valid UTF-8 s holds a character
// Text maps: a C0 control other than tab, newline and carriage
// return, or a C1 control (encoded 0xC2 0x80–0x9F). A byte loop: this
// runs over every field of every item, and decoding runes cost a tenth
// of the cleaning.
func hasControls(s string) bool {
	// Eight bytes at a time: a word with no byte below 0x20 and no 0xC2
	// byte holds none (bit tricks from "Bit Twiddling Hacks": hasless and
	// haszero); a word that has one is looked at byte by byte.
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		c2 := x ^ 0xC2*ones
		if (x-0x20*ones)&^x&highs == 0 && (c2-ones)&^c2&highs == 0 {
			continue
		}
		if controlsIn(s[i:min(i+9, len(s))], 8) {
			return true
		}
	}
	return controlsIn(s[i:], len(s)-i)
}

// controlsIn is hasControls byte by byte, for the characters starting in
// the first n bytes of s (s may hold the byte after them, the second byte
// of a C1 control).
func controlsIn(s string, n int) bool {
	for i := 0; i < n; i++ {
		switch c := s[i]; {
		case c < 0x20:
			if c != '\t' && c != '\n' && c != '\r' {
				return true
			}
		case c == 0xC2:
			if i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9F {
				return true
			}
		}
	}
	return false
}
