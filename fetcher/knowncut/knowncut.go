package knowncut

import (
	"encoding/binary"
	"hash/maphash"
	"sync"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/feedmill/feedmill/fetcher/normalize"
	"github.com/feedmill/feedmill/fetcher/schedule"
	"github.com/feedmill/feedmill/storage"
)

// DefaultBudget is the memory, in bytes of entries (their strings and a
// fixed overhead each), a Cache keeps at most.
const DefaultBudget = 32 << 20

// entryOverhead is what an entry costs beside its strings: its map slot
// (the hash and the entry) with the map's slack.
const entryOverhead = 200

// unheldOverhead is what an Unheld hash costs.
const unheldOverhead = 24

// entry is what an item element became the last time it was parsed: the
// fields of the item normalize.FeedKept reads of a kept item, and the
// date the schedule reads of it (gofeed's published date, else its
// updated date; zero when none).
type entry struct {
	guid, link, title  string
	published, updated time.Time
	rawHash            uint64
	date               time.Time
}

// Cache remembers, per source, what the item elements of its last parsed
// document became, by a keyed hash of each element's bytes and their
// context. It is safe for concurrent use.
type Cache struct {
	seed   maphash.Seed
	budget int

	mu      sync.Mutex
	used    int
	sources map[uint64]*sourceEntries
}

// sourceEntries are one source's entries and what they hold under: the
// normalize.Context of the document and the time it was parsed at; and
// the hashes of items the store turned out not to hold (Unheld), never
// remembered while the document carries them.
type sourceEntries struct {
	context uint64
	at      time.Time
	size    int
	byHash  map[uint64]entry
	unheld  map[uint64]bool
}

// New returns an empty Cache of budget bytes (DefaultBudget when ≤ 0).
func New(budget int) *Cache {
	if budget <= 0 {
		budget = DefaultBudget
	}
	return &Cache{seed: maphash.MakeSeed(), budget: budget, sources: make(map[uint64]*sourceEntries)}
}

// Doc is a body Scan could follow: where its items stand, and each one's
// hash.
type Doc struct {
	body   []byte
	items  []span
	hashes []uint64
}

// Items is the number of the document's items.
func (d *Doc) Items() int { return len(d.items) }

// Scan finds the items of an RSS 2.0 body (scan.go) and hashes each with
// its context. ok is false when the body is anything scan does not model.
func (c *Cache) Scan(body []byte) (Doc, bool) {
	ctxEnd, items, ok := scan(body)
	if !ok || len(items) == 0 {
		return Doc{}, false
	}
	var ctx [8]byte
	binary.LittleEndian.PutUint64(ctx[:], maphash.Bytes(c.seed, body[:ctxEnd]))
	d := Doc{body: body, items: items, hashes: make([]uint64, len(items))}
	var h maphash.Hash
	h.SetSeed(c.seed)
	for i, s := range items {
		h.Reset()
		h.Write(ctx[:])
		h.Write(body[s.start:s.end])
		d.hashes[i] = h.Sum64()
	}
	return d, true
}

// Cut returns the document without the items the source's entries know
// (nothing when it knows none, or now is before the entries were made),
// those items' entries in document order with their places, and the
// normalize.Context they hold under.
func (c *Cache) Cut(sourceID uint64, d Doc, now time.Time) (cut []byte, kept []normalize.Kept, dates []time.Time, context uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	se := c.sources[sourceID]
	if se == nil || now.Before(se.at) {
		return nil, nil, nil, 0
	}
	n := len(d.body)
	for i, h := range d.hashes {
		if e, ok := se.byHash[h]; ok {
			kept = append(kept, normalize.Kept{At: i, Item: storage.Item{GUID: e.guid, Link: e.link, Title: e.title,
				Published: e.published, Updated: e.updated, RawHash: e.rawHash}})
			dates = append(dates, e.date)
			n -= d.items[i].end - d.items[i].start
		}
	}
	if len(kept) == 0 {
		return nil, nil, nil, 0
	}
	cut = make([]byte, 0, n)
	prev := 0
	for _, k := range kept {
		s := d.items[k.At]
		cut = append(cut, d.body[prev:s.start]...)
		prev = s.end
	}
	return append(cut, d.body[prev:]...), kept, dates, se.context
}

// Remember replaces the source's entries with what the document's items
// became: items[i] and dates[i] are item i's (both as long as the
// document's items, else nothing is remembered), parsed at now under
// context. Only items normalize.Reusable allows are kept, each the first
// of its identity in the document (storage counts a later one unchanged
// and keeps the first one's raw hash), and none the store was found not
// to hold (Unheld). A source whose entries do not fit the budget keeps
// none.
func (c *Cache) Remember(sourceID uint64, d Doc, context uint64, now time.Time, items []storage.Item, dates []time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var unheld map[uint64]bool
	if old := c.sources[sourceID]; old != nil {
		unheld = old.unheld
	}
	c.forget(sourceID)
	if len(items) != len(d.hashes) || len(dates) != len(d.hashes) {
		return
	}
	se := &sourceEntries{context: context, at: now, byHash: make(map[uint64]entry, len(items))}
	keys := storage.ItemKeys(items)
	first := make(map[string]bool, len(keys))
	for i := range items {
		it, h := &items[i], d.hashes[i]
		if first[keys[i]] {
			continue
		}
		first[keys[i]] = true
		if unheld[h] {
			if se.unheld == nil {
				se.unheld = make(map[uint64]bool)
			}
			se.unheld[h] = true
			se.size += unheldOverhead
			continue
		}
		if !normalize.Reusable(it, now) {
			continue
		}
		se.byHash[h] = entry{guid: it.GUID, link: it.Link, title: it.Title,
			published: it.Published, updated: it.Updated, rawHash: it.RawHash, date: dates[i]}
		se.size += entryOverhead + len(it.GUID) + len(it.Link) + len(it.Title)
	}
	if len(se.byHash) == 0 && len(se.unheld) == 0 || c.used+se.size > c.budget {
		return
	}
	c.sources[sourceID] = se
	c.used += se.size
}

// Unheld records that the store does not hold the document's items at
// the places given (kept by Cut, refused by the store's raw-hash lookup):
// the next Remember leaves them out, so that the next fetch parses them
// instead of cutting them again.
func (c *Cache) Unheld(sourceID uint64, d Doc, places []int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	se := c.sources[sourceID]
	if se == nil {
		return
	}
	if se.unheld == nil {
		se.unheld = make(map[uint64]bool)
	}
	for _, i := range places {
		if i >= 0 && i < len(d.hashes) && !se.unheld[d.hashes[i]] {
			se.unheld[d.hashes[i]] = true
			se.size += unheldOverhead
			c.used += unheldOverhead
		}
	}
}

func (c *Cache) forget(sourceID uint64) {
	if se := c.sources[sourceID]; se != nil {
		c.used -= se.size
		delete(c.sources, sourceID)
	}
}

// Dates returns the schedule dates of a feed's items (schedule.ItemDate),
// in its order.
func Dates(feed *gofeed.Feed) []time.Time {
	dates := make([]time.Time, len(feed.Items))
	for i, it := range feed.Items {
		if it == nil {
			continue
		}
		if t := schedule.ItemDate(it); t != nil {
			dates[i] = *t
		}
	}
	return dates
}

// Merge returns the schedule dates of all the document's items: the
// parsed feed's and the kept ones' in their places (as Cut gave them).
func Merge(parsed []time.Time, kept []normalize.Kept, keptDates []time.Time) []time.Time {
	all := make([]time.Time, 0, len(parsed)+len(kept))
	next := 0
	for i, k := range kept {
		take := min(k.At-len(all), len(parsed)-next)
		all = append(all, parsed[next:next+take]...)
		next += take
		all = append(all, keptDates[i])
	}
	return append(all, parsed[next:]...)
}

// ScheduleFeed returns feed with items that carry only the given dates
// (as gofeed's published date), for the schedule's reading of a feed
// whose items were partly left out of the parse.
func ScheduleFeed(feed *gofeed.Feed, dates []time.Time) *gofeed.Feed {
	out := *feed
	out.Items = make([]*gofeed.Item, len(dates))
	for i := range dates {
		out.Items[i] = &gofeed.Item{}
		if !dates[i].IsZero() {
			out.Items[i].PublishedParsed = &dates[i]
		}
	}
	return &out
}
