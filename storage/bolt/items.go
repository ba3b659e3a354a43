package bolt

import (
	"bytes"
	"container/heap"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/feedmill/feedmill/storage"

	"github.com/feedmill/feedmill/storage/bolt/internal/neardup"
	"go.etcd.io/bbolt"
)

// RecordFetch stores the outcome of one poll in one transaction (through the
// writer, so it returns once committed): the new state, the new URL, and the
// items, deduplicated by identity (see identity.go), with retention applied
// to the source.
//
// The source must still exist (a source removed while it was fetched stays
// removed: ErrNotFound). A NewURL that another source already has is an
// error and nothing of the fetch is stored. Items are counted in Ingested:
// new (Added), a known identity with a changed body (Updated: same ID,
// FirstSeen and Story, new body, Updated moves), a known identity with the
// same body or a repeat within the fetch (Unchanged), older than
// Retention.MaxAge or removed by retention before (Skipped), and items this
// fetch pushed past Retention.MaxItemsPerSource (Removed, oldest first).
func (s *Store) RecordFetch(ctx context.Context, f storage.Fetch) (storage.Ingested, error) {
	now := s.now()
	incoming := storage.Incoming(f)
	texts := make([]itemText, len(incoming))
	for i, known := range s.knownKeys(f.SourceID, incoming) {
		if !known {
			texts[i] = newItemText(&incoming[i])
		}
	}
	var (
		res     storage.Ingested
		visible bool
	)
	err := s.w.do(ctx, len(incoming), func(tx *bbolt.Tx) error {
		var err error
		res, visible, err = s.recordFetch(tx, f, incoming, texts, now)
		return err
	}, func() {
		// A 304 or an error changes only fetch state: readers' caches of
		// the source's items stay valid.
		if visible {
			s.ver.Bump(f.SourceID)
		}
	})
	if err != nil {
		return storage.Ingested{}, fmt.Errorf("record fetch of source %d: %w", f.SourceID, err)
	}
	return res, nil
}

// knownKeys reports which of a source's items (keys set) the store holds,
// as an item or a tombstone (items marked Known are, without a lookup),
// read outside the writer: RecordFetch encodes ahead only the texts of the
// items it expects to add (most of a feed answering 200 is items stored
// before, found unchanged by their hash, whose text would be encoded for
// nothing). It is a guess the transaction does not
// rely on: an item added meanwhile wastes its text, one removed meanwhile
// is encoded by the writer.
func (s *Store) knownKeys(sourceID uint64, items []storage.Item) []bool {
	known := make([]bool, len(items))
	ask := false
	for i := range items {
		known[i] = items[i].Known
		ask = ask || !known[i]
	}
	if !ask {
		return known // a 304, an empty feed or all known: no read transaction
	}
	_ = s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucketItemKeys))
		if b == nil {
			return nil
		}
		for i := range items {
			if !known[i] {
				known[i] = b.Get(itemKeyKey(sourceID, items[i].Key)) != nil
			}
		}
		return nil
	})
	return known
}

// KnownRaw reports which of a source's items the store holds under the
// same identity with the same raw hash (Item.Key as ItemKeys gives it, and
// Item.RawHash; an item with either empty is not known): the fetcher need not clean those again
// (it marks them Item.Known). It reads outside the writer; RecordFetch
// never stores a Known item, so a change meanwhile costs at most a fetch.
func (s *Store) KnownRaw(sourceID uint64, items []storage.Item) []bool {
	known := make([]bool, len(items))
	if len(items) == 0 {
		return known
	}
	_ = s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucketItemKeys))
		if b == nil {
			return nil
		}
		for i := range items {
			if items[i].Key == "" || items[i].RawHash == 0 {
				continue
			}
			raw := itemKeyRaw(b.Get(itemKeyKey(sourceID, items[i].Key)))
			known[i] = raw != 0 && raw == items[i].RawHash
		}
		return nil
	})
	return known
}

// recordFetch is RecordFetch's transaction. It may run more than once and
// changes nothing but tx. visible reports a change readers show: items, or
// the source's URL, title, site or language. texts are the incoming
// items' texts, encoded ahead (see itemText); nil = encode them here.
func (s *Store) recordFetch(tx *bbolt.Tx, f storage.Fetch, incoming []storage.Item, texts []itemText, now time.Time) (res storage.Ingested, visible bool, err error) {
	if len(texts) != len(incoming) {
		texts = make([]itemText, len(incoming))
	}
	src, err := getSource(tx, f.SourceID)
	if err != nil {
		return res, false, err
	}
	old := src
	if f.NewURL != "" && f.NewURL != src.URL {
		if err := moveSource(tx, &src, f.NewURL); err != nil {
			return res, false, err
		}
	}
	src.State = f.State

	ix := openIndexes(tx)
	if res, err = s.ingestItems(tx, ix, src.ID, incoming, texts, now); err != nil {
		return res, false, err
	}
	src.Stats.Items += res.Added

	if limit := s.ret.MaxItemsPerSource; limit > 0 && src.Stats.Items > limit {
		n, err := ix.trimSource(src.ID, src.Stats.Items-limit, now)
		if err != nil {
			return res, false, err
		}
		res.Removed = n
		src.Stats.Items -= n
	}
	if res.Added+res.Updated+res.Removed > 0 {
		src.Stats.ChangedAt = now
	}
	visible = res.Added+res.Updated+res.Removed > 0 || src.URL != old.URL ||
		src.State.FeedTitle != old.State.FeedTitle || src.State.SiteURL != old.State.SiteURL ||
		src.State.Language != old.State.Language
	return res, visible, putSource(tx, src)
}

// moveSource records that src now lives at newURL: the URL index points
// newURL at it, and src.URL is newURL. It refuses a URL another source has.
func moveSource(tx *bbolt.Tx, src *storage.Source, newURL string) error {
	urls := tx.Bucket([]byte(bucketSourceURLs))
	if other := urls.Get([]byte(newURL)); other != nil {
		if otherID, _ := u64(other); otherID != src.ID {
			return fmt.Errorf("move source %d from %s to %s: that URL is already source %d",
				src.ID, src.URL, newURL, otherID)
		}
	}
	// The subscribed URL stays an alias; an intermediate one does not.
	if src.URL != src.Subscribed {
		if err := urls.Delete([]byte(src.URL)); err != nil {
			return err
		}
	}
	if err := urls.Put([]byte(newURL), u64key(src.ID)); err != nil {
		return err
	}
	src.URL = newURL
	return nil
}

// ingestItems stores the incoming items of source sourceID, texts their
// encoded texts, and tells what became of each.
func (s *Store) ingestItems(tx *bbolt.Tx, ix indexes, sourceID uint64, incoming []storage.Item, texts []itemText, now time.Time) (res storage.Ingested, err error) {
	var cutoff time.Time
	if s.ret.MaxAge > 0 {
		cutoff = now.Add(-s.ret.MaxAge)
	}
	seen := make(map[string]bool, len(incoming))
	for i, it := range incoming {
		if seen[it.Key] {
			res.Unchanged++
			continue
		}
		seen[it.Key] = true
		if !cutoff.IsZero() && !it.Published.IsZero() && it.Published.Before(cutoff) {
			res.Skipped++
			continue
		}
		if it.Known {
			// Not cleaned: never stored. Found as KnownRaw found it, it
			// is unchanged; changed or removed meanwhile, the next fetch
			// cleans it.
			res.Unchanged++
			continue
		}
		kk := itemKeyKey(sourceID, it.Key)
		v := ix.keys.Get(kk)
		if v == nil {
			id, err := ix.add(tx, it, texts[i], now)
			if err != nil {
				return res, err
			}
			res.Added++
			res.Changed = append(res.Changed, storage.Changed{Index: i, ID: id, Added: true})
			continue
		}
		id, _, isTomb, err := parseItemKeyValue(v)
		if err != nil {
			return res, fmt.Errorf("%s %x: malformed value %x", bucketItemKeys, kk, v)
		}
		if isTomb {
			res.Skipped++
			continue
		}
		updated, err := ix.update(id, it, texts[i], now)
		if err != nil {
			return res, err
		}
		if it.RawHash != 0 && itemKeyRaw(v) != it.RawHash {
			if err := ix.keys.Put(kk, itemKeyValue(id, it.RawHash)); err != nil {
				return res, err
			}
		}
		if updated {
			res.Updated++
			res.Changed = append(res.Changed, storage.Changed{Index: i, ID: id})
		} else {
			res.Unchanged++
		}
	}
	return res, nil
}

// indexes are the item buckets of one write transaction.
type indexes struct {
	items, keys, bySource, byTime *bbolt.Bucket
	dedup                         *bbolt.Bucket // near-duplicate index (dedup.go)
}

func openIndexes(tx *bbolt.Tx) indexes {
	return indexes{
		items:    tx.Bucket([]byte(bucketItems)),
		keys:     tx.Bucket([]byte(bucketItemKeys)),
		bySource: tx.Bucket([]byte(bucketBySource)),
		byTime:   tx.Bucket([]byte(bucketByTime)),
		dedup:    tx.Bucket([]byte(neardup.Bucket)),
	}
}

// add stores a new item: its ID (returned), FirstSeen, and Published if it
// has none. text is its text encoded ahead, or none.
func (ix indexes) add(tx *bbolt.Tx, it storage.Item, text itemText, now time.Time) (uint64, error) {
	id, err := nextSeq(tx, metaSeqItem)
	if err != nil {
		return 0, err
	}
	it.ID = id
	it.FirstSeen = now
	if it.Published.IsZero() {
		it.Published = now
	}
	if err := ix.assignStory(&it); err != nil {
		return 0, err
	}
	if err := ix.putItem(it, text); err != nil {
		return 0, err
	}
	if err := ix.keys.Put(itemKeyKey(it.SourceID, it.Key), itemKeyValue(id, it.RawHash)); err != nil {
		return 0, err
	}
	return id, ix.putIndex(it)
}

// update applies an incoming item to the stored item id of the same
// identity. It reports whether the body changed (and so was written).
// text is in's text encoded ahead, or none.
func (ix indexes) update(id uint64, in storage.Item, text itemText, now time.Time) (bool, error) {
	k := u64key(id)
	v := ix.items.Get(k)
	if v == nil {
		return false, fmt.Errorf("%s %x of source %d points to missing item %d", bucketItemKeys, in.Key, in.SourceID, id)
	}
	if h, ok := storedHash(v); ok && h == in.Hash {
		return false, nil // a repeat: the common case, read without decoding
	}
	old, err := decodeItem(k, v)
	if err != nil {
		return false, err
	}
	if old.Hash == in.Hash {
		return false, nil
	}
	it := storage.Revise(old, in, now)
	if ix.dedup != nil {
		if err := neardup.Delete(ix.dedup, it.ID); err != nil {
			return false, err
		}
		d := docOf(&it)
		if err := neardup.Put(ix.dedup, &d); err != nil {
			return false, err
		}
	}
	if pubNanos(it.Published) != pubNanos(old.Published) {
		if err := ix.deleteIndex(old); err != nil {
			return false, err
		}
		if err := ix.putIndex(it); err != nil {
			return false, err
		}
	}
	return true, ix.putItem(it, text)
}

// putItem stores it, its text from text when it was encoded ahead.
func (ix indexes) putItem(it storage.Item, text itemText) error {
	if text.buf == nil {
		var err error
		if text, err = encodeItemText(&it); err != nil {
			return fmt.Errorf("encode item %d: %w", it.ID, err)
		}
	}
	v, err := text.value(&it)
	if err != nil {
		return fmt.Errorf("encode item %d: %w", it.ID, err)
	}
	return ix.items.Put(u64key(it.ID), v)
}

func (ix indexes) putIndex(it storage.Item) error {
	if err := ix.bySource.Put(bySourceKey(it.SourceID, it.Published, it.ID), nil); err != nil {
		return err
	}
	return ix.byTime.Put(byTimeKey(it.Published, it.ID), u64key(it.SourceID))
}

func (ix indexes) deleteIndex(it storage.Item) error {
	if err := ix.bySource.Delete(bySourceKey(it.SourceID, it.Published, it.ID)); err != nil {
		return err
	}
	return ix.byTime.Delete(byTimeKey(it.Published, it.ID))
}

// remove deletes a stored item and its index entries, and leaves a
// tombstone under its identity so that a feed still carrying it does not
// bring it back. The tombstone dates from the later of the item's Published
// and now: tombstones are purged MaxAge after that (retention.go), so one
// never goes before the feed would be skipped for age anyway, and an item
// without a date of its own does not return the day after.
func (ix indexes) remove(it storage.Item, now time.Time) error {
	if err := ix.deleteIndex(it); err != nil {
		return err
	}
	if err := ix.items.Delete(u64key(it.ID)); err != nil {
		return err
	}
	if ix.dedup != nil {
		if err := neardup.Delete(ix.dedup, it.ID); err != nil {
			return err
		}
	}
	at := it.Published
	if now.After(at) {
		at = now
	}
	if err := noteTombstone(ix.keys.Tx(), pubNanos(at)); err != nil {
		return err
	}
	return ix.keys.Put(itemKeyKey(it.SourceID, it.Key), tombstone(at))
}

// loadItem reads a stored item by its 8-byte ID key.
func (ix indexes) loadItem(k []byte) (storage.Item, error) {
	v := ix.items.Get(k)
	if v == nil {
		return storage.Item{}, fmt.Errorf("item %x: %w", k, storage.ErrNotFound)
	}
	return decodeItem(k, v)
}

// trimSource removes the n oldest items of a source (by Published).
func (ix indexes) trimSource(sourceID uint64, n int, now time.Time) (int, error) {
	prefix := u64key(sourceID)
	var ids [][]byte
	c := ix.bySource.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(ids) < n; k, _ = c.Next() {
		if len(k) != 24 {
			return 0, fmt.Errorf("%s %x: %w", bucketBySource, k, errBadKey)
		}
		ids = append(ids, bytes.Clone(k[16:]))
	}
	for _, id := range ids {
		it, err := ix.loadItem(id)
		if err != nil {
			return 0, err
		}
		if err := ix.remove(it, now); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// Item returns one item by ID.
func (s *Store) Item(id uint64) (storage.Item, error) {
	var it storage.Item
	err := s.db.View(func(tx *bbolt.Tx) error {
		k := u64key(id)
		v := tx.Bucket([]byte(bucketItems)).Get(k)
		if v == nil {
			return fmt.Errorf("item %d: %w", id, storage.ErrNotFound)
		}
		var err error
		it, err = decodeItem(k, v)
		return err
	})
	return it, err
}

// Items calls fn with the items that q selects, newest Published first (ties
// broken by newest ID), until fn returns false. Items are copies, safe to
// keep. A value that does not decode is an error naming its key; Items
// stops there.
//
// Items reads in chunks (64 entries, doubling up to 1,024), each in its own
// short read transaction that copies the raw values out; it decodes an item
// only when it hands it to fn, and calls fn outside any transaction. So fn
// may call any method of the store, writes included, and a slow fn never
// holds a read transaction open (which would keep the writer from growing
// the file). The price: a write that commits between two chunks shows in
// the later chunk only; the order never goes backwards.
func (s *Store) Items(q storage.Query, fn func(storage.Item) bool) error {
	var since uint64
	bounded := !q.Since.IsZero()
	if bounded {
		since = pubNanos(q.Since)
	}
	var next func(tx *bbolt.Tx, limit int) ([]rawItem, bool, error)
	if q.SourceIDs == nil {
		next = newTimeScan(since, bounded).next
	} else {
		if len(q.SourceIDs) == 0 {
			return nil
		}
		next = newMergeScan(q.SourceIDs, since, bounded).next
	}
	for limit := 64; ; limit = min(limit*2, 1024) {
		var chunk []rawItem
		var done bool
		err := s.db.View(func(tx *bbolt.Tx) error {
			var err error
			chunk, done, err = next(tx, limit)
			return err
		})
		if err != nil {
			return err
		}
		for _, raw := range chunk {
			it, err := decodeItem(raw.key, raw.value)
			if err != nil {
				return err
			}
			if bounded && it.Published.Before(q.Since) {
				return nil
			}
			if !fn(it) {
				return nil
			}
		}
		if done {
			return nil
		}
	}
}

// rawItem is a stored item copied out of a read transaction, decoded only
// when Items yields it.
type rawItem struct {
	key, value []byte
}

// loadRaw copies the stored item with the 8-byte ID key k; ref names the
// index entry that pointed to it in the error when there is none.
func loadRaw(items *bbolt.Bucket, k []byte, refBucket string, ref []byte) (rawItem, error) {
	v := items.Get(k)
	if v == nil {
		return rawItem{}, fmt.Errorf("%s %x: item %x: %w", refBucket, ref, k, storage.ErrNotFound)
	}
	return rawItem{key: bytes.Clone(k), value: bytes.Clone(v)}, nil
}

// timeScan walks by_time backwards across chunks.
type timeScan struct {
	since   uint64
	bounded bool
	last    []byte // the last by_time key read; nil before the first chunk
}

func newTimeScan(since uint64, bounded bool) *timeScan {
	return &timeScan{since: since, bounded: bounded}
}

func (ts *timeScan) next(tx *bbolt.Tx, limit int) ([]rawItem, bool, error) {
	c := tx.Bucket([]byte(bucketByTime)).Cursor()
	items := tx.Bucket([]byte(bucketItems))
	var k []byte
	if ts.last == nil {
		k, _ = c.Last()
	} else if k, _ = c.Seek(ts.last); k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	var out []rawItem
	for ; k != nil; k, _ = c.Prev() {
		if len(k) != 16 {
			return nil, false, fmt.Errorf("%s %x: %w", bucketByTime, k, errBadKey)
		}
		if ts.bounded && binary.BigEndian.Uint64(k) < ts.since {
			return out, true, nil
		}
		raw, err := loadRaw(items, k[8:], bucketByTime, k)
		if err != nil {
			return nil, false, err
		}
		out = append(out, raw)
		ts.last = bytes.Clone(k)
		if len(out) == limit {
			return out, false, nil
		}
	}
	return out, true, nil
}

// mergeScan merges reverse walks of by_source, one per source, newest
// first, across chunks.
type mergeScan struct {
	since   uint64
	bounded bool
	srcs    []mergeSource
}

type mergeSource struct {
	prefix []byte
	last   []byte // the last key read; nil before the first
	done   bool
}

func newMergeScan(ids []uint64, since uint64, bounded bool) *mergeScan {
	ms := &mergeScan{since: since, bounded: bounded}
	seen := make(map[uint64]bool, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			ms.srcs = append(ms.srcs, mergeSource{prefix: u64key(id)})
		}
	}
	return ms
}

// mergeHead is the newest unread entry of one source.
type mergeHead struct {
	key []byte // by_source key; valid only inside the transaction
	src int
	c   *bbolt.Cursor
}

// mergeHeap is a max-heap of heads by (published, item ID).
type mergeHeap []mergeHead

func (h mergeHeap) Len() int           { return len(h) }
func (h mergeHeap) Less(i, j int) bool { return bytes.Compare(h[i].key[8:], h[j].key[8:]) > 0 }
func (h mergeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)        { *h = append(*h, x.(mergeHead)) }
func (h *mergeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// valid reports whether k is a usable entry of the source ms.srcs[i].
func (ms *mergeScan) valid(i int, k []byte) (bool, error) {
	src := &ms.srcs[i]
	if k == nil || !bytes.HasPrefix(k, src.prefix) {
		src.done = true
		return false, nil
	}
	if len(k) != 24 {
		return false, fmt.Errorf("%s %x: %w", bucketBySource, k, errBadKey)
	}
	if ms.bounded && binary.BigEndian.Uint64(k[8:16]) < ms.since {
		src.done = true
		return false, nil
	}
	return true, nil
}

func (ms *mergeScan) next(tx *bbolt.Tx, limit int) ([]rawItem, bool, error) {
	bucket := tx.Bucket([]byte(bucketBySource))
	items := tx.Bucket([]byte(bucketItems))
	h := make(mergeHeap, 0, len(ms.srcs))
	for i := range ms.srcs {
		src := &ms.srcs[i]
		if src.done {
			continue
		}
		c := bucket.Cursor()
		var k []byte
		if src.last == nil {
			// The first key past the prefix, then one back.
			end := binary.BigEndian.Uint64(src.prefix) + 1
			if end == 0 {
				k, _ = c.Last()
			} else if k, _ = c.Seek(u64key(end)); k == nil {
				k, _ = c.Last()
			} else {
				k, _ = c.Prev()
			}
		} else if k, _ = c.Seek(src.last); k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		ok, err := ms.valid(i, k)
		if err != nil {
			return nil, false, err
		}
		if ok {
			h = append(h, mergeHead{key: k, src: i, c: c})
		}
	}
	heap.Init(&h)
	var out []rawItem
	for h.Len() > 0 && len(out) < limit {
		top := &h[0]
		raw, err := loadRaw(items, top.key[16:], bucketBySource, top.key)
		if err != nil {
			return nil, false, err
		}
		out = append(out, raw)
		ms.srcs[top.src].last = bytes.Clone(top.key)
		k, _ := top.c.Prev()
		ok, err := ms.valid(top.src, k)
		if err != nil {
			return nil, false, err
		}
		if ok {
			top.key = k
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	return out, h.Len() == 0, nil
}
