package normalize

import (
	"net/url"
	"strconv"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/feedmill/feedmill/storage"
)

// Kept is an item its caller left out of the parse, because the store is
// expected to hold it unchanged (package knowncut): where it stands among
// the document's items, and the fields FeedKept gave it the last time the
// same item element was parsed in the same Context (GUID, Link, Title,
// Published, Updated, RawHash; see Reusable).
type Kept struct {
	At   int
	Item storage.Item
}

// Context is the hash of everything a feed lends its items beyond their
// own elements: the feed's URL and base URL, its language, the defaults
// (author, categories, episode artwork), whether its link was refused,
// and the byte cap on bodies. An item element parsed again under the same
// Context is prepared to the same fields (dates aside, see Reusable).
func Context(feed *gofeed.Feed, feedURL *url.URL, lim Limits) uint64 {
	meta, base, siteRefused := feedContext(feed, feedURL)
	d := feedDefaultsOf(feed, base)
	h := newFieldHash()
	h.field(rawVersion)
	h.field(feedURL.String())
	h.field(base.String())
	h.field(meta.Language)
	h.field(strconv.FormatBool(siteRefused))
	h.field(strconv.Itoa(lim.MaxItemBytes))
	h.field(d.author)
	h.field(d.authorMail)
	h.field(d.episodeImage)
	h.field(strconv.Itoa(len(d.categories)))
	for _, c := range d.categories {
		h.field(c)
	}
	return uint64(h)
}

// Reusable reports whether an item FeedKept returned at now may stand in
// as a Kept item for a later parse (at now or after) of the same element
// in the same Context: it has a raw hash and an identity of its own (a
// GUID or a link), no date was clamped to now, and no field FeedKept reads
// of a Kept item was cut by the caps.
func Reusable(it *storage.Item, now time.Time) bool {
	return it.RawHash != 0 && (it.GUID != "" || it.Link != "") &&
		!it.Published.Equal(now) && !it.Updated.Equal(now) &&
		len(it.GUID) < maxLineBytes/2 && len(it.Title) < maxLineBytes/2 && len(it.Link) < maxURLBytes/2
}

// FeedKept is FeedSkipping for a feed parsed with the items kept left
// out: each kept item takes its place among the parsed ones (Kept.At, in
// increasing order), counts in the identity rules (GUID reuse) as the
// parsed ones do, and must be reported by known, since its bodies were
// never read. ok is false, and nothing is returned, when a kept item is
// not known, the places do not fit, or the items would exceed
// lim.MaxItems: the caller parses the whole document instead.
func FeedKept(feed *gofeed.Feed, feedURL *url.URL, now time.Time, lim Limits, known Known, kept []Kept) (Meta, []storage.Item, bool) {
	if len(kept) > 0 && (known == nil || lim.MaxItems > 0 && len(feed.Items)+len(kept) > lim.MaxItems) {
		return Meta{}, nil, false
	}
	capParsed(feed, lim.MaxItems, lim.MaxItemBytes)
	meta, p := prepareFeed(feed, feedURL, now)
	if !p.splice(kept) {
		return Meta{}, nil, false
	}
	var skip []bool
	if known != nil && len(p.items) > 0 {
		keys := storage.ItemKeys(p.items)
		for i := range p.items {
			if p.raw[i] != nil {
				p.items[i].RawHash = rawHash(&p.items[i], p.raw[i], p.bases[i])
			}
			if keys[i][0] != 'h' { // "h:" keys hash the cleaned body
				p.items[i].Key = keys[i]
			}
		}
		skip = known(p.items)
		for i := range p.items {
			p.items[i].Key = ""
		}
	}
	for i := range p.items {
		if i < len(skip) && skip[i] {
			// Storage reads nothing of a known item's bodies.
			p.items[i].Known, p.items[i].Summary, p.items[i].Content = true, "", ""
			continue
		}
		if p.raw[i] == nil {
			return Meta{}, nil, false // kept, but the store no longer holds it
		}
		finishItem(&p.items[i], p.raw[i], p.bases[i])
	}
	return meta, applyLimits(p.items, lim.MaxItems, lim.MaxItemBytes), true
}

// splice puts the kept items into their places among the prepared ones
// (with no raw item and no base). It reports false when a place is out
// of order or beyond the items.
func (p *prepared) splice(kept []Kept) bool {
	if len(kept) == 0 {
		return true
	}
	n := len(p.items) + len(kept)
	items := make([]storage.Item, 0, n)
	raw := make([]*gofeed.Item, 0, n)
	bases := make([]*url.URL, 0, n)
	next := 0 // the next prepared item
	for _, k := range kept {
		if k.At < len(items) || k.At >= n {
			return false
		}
		take := k.At - len(items)
		if next+take > len(p.items) {
			return false
		}
		items = append(items, p.items[next:next+take]...)
		raw = append(raw, p.raw[next:next+take]...)
		bases = append(bases, p.bases[next:next+take]...)
		next += take
		items = append(items, storage.Item{GUID: k.Item.GUID, Link: k.Item.Link, Title: k.Item.Title,
			Published: k.Item.Published, Updated: k.Item.Updated, RawHash: k.Item.RawHash})
		raw = append(raw, nil)
		bases = append(bases, nil)
	}
	items = append(items, p.items[next:]...)
	raw = append(raw, p.raw[next:]...)
	bases = append(bases, p.bases[next:]...)
	p.items, p.raw, p.bases = items, raw, bases
	return true
}
