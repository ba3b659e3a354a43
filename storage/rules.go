package storage

import (
	"math"
	"time"
)

// Nanos is a time as the stores keep and compare it: Unix nanoseconds,
// 0 for a zero time or one before 1970, math.MaxInt64 past 2262.
func Nanos(t time.Time) int64 {
	switch {
	case t.IsZero() || t.Before(unixEpoch):
		return 0
	case t.After(maxNanoTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

var (
	unixEpoch   = time.Unix(0, 0)
	maxNanoTime = time.Unix(0, math.MaxInt64)
)

// Revise is the item a store keeps when a fetch brings a new body (in)
// for a stored item (old): in, under old's ID, FirstSeen and Story, with
// old's Published when in has none, and an Updated that moves — the
// feed's own date only when it is later than anything the item showed
// before, else now.
func Revise(old, in Item, now time.Time) Item {
	it := in
	it.ID, it.FirstSeen, it.Story = old.ID, old.FirstSeen, old.Story
	if it.Published.IsZero() {
		it.Published = old.Published
	}
	if in.Updated.After(old.lastShown()) {
		it.Updated = in.Updated
	} else {
		it.Updated = now
	}
	return it
}

// Apply puts r's story into it (Content, Fingerprint, Lead, Cleaned; the
// page's Image and Author where the item has none), and moves Updated past
// anything the item showed before.
func (r FullTextResult) Apply(it *Item, now time.Time) {
	it.Content = r.Content
	it.Fingerprint, it.Lead = r.Fingerprint, r.Lead
	it.Cleaned = r.Cleaned
	if it.Image == "" {
		it.Image = r.Image
	}
	if it.Author == "" {
		it.Author = r.Author
	}
	prev := it.lastShown()
	if !now.After(prev) {
		now = prev.Add(time.Second)
	}
	it.Updated = now
}

// lastShown is the latest date the item showed readers: Updated, or
// Published when later.
func (it Item) lastShown() time.Time {
	if it.Published.After(it.Updated) {
		return it.Published
	}
	return it.Updated
}

// Incoming is a fetch's items as a store files them: each with its
// identity key (ItemKeys), the fetch's source and its BodyHash; an item
// marked Known, which is counted unchanged and never written, gets no
// hash.
func Incoming(f Fetch) []Item {
	keys := ItemKeys(f.Items)
	out := make([]Item, len(f.Items))
	for i, it := range f.Items {
		it.Key, it.SourceID = keys[i], f.SourceID
		if !it.Known {
			it.Hash = it.BodyHash()
		}
		out[i] = it
	}
	return out
}
