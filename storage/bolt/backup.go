package bolt

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/feedmill/feedmill/storage"

	"github.com/feedmill/feedmill/storage/bolt/internal/neardup"
	"go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the store to w while it stays in use:
// one read transaction, so writes go on (they cannot grow the file's memory
// map past a long backup, but they do not wait for it otherwise). The copy
// is a complete bbolt file that Open accepts.
func (s *Store) Backup(w io.Writer) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("backup %s: %w", s.path, err)
	}
	return n, nil
}

// maxCheckErrors bounds what Check reports: past it, more of the same
// helps nobody.
const maxCheckErrors = 100

// Check runs bbolt's consistency check and the store's own (indexes agree
// with items); nil when all is well. The error joins every problem found
// (up to 100), each naming the bucket and key.
func (s *Store) Check() error {
	var errs []error
	report := func(format string, args ...any) {
		if len(errs) < maxCheckErrors {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	err := s.db.View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			report("bbolt: %w", err)
		}
		checkLayout(tx, report)
		if b := tx.Bucket([]byte(neardup.Bucket)); b != nil {
			neardup.Check(b, report)
		}
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) == maxCheckErrors {
		errs = append(errs, errors.New("check: too many problems, stopped reporting"))
	}
	return errors.Join(errs...)
}

// itemFacts is what the index checks need to know of a stored item.
type itemFacts struct {
	source uint64
	pub    uint64
	key    string
}

// checkLayout verifies the invariants of layout version 1.
func checkLayout(tx *bbolt.Tx, report func(string, ...any)) {
	for _, name := range []string{bucketMeta, bucketSources, bucketSourceURLs, bucketItems, bucketItemKeys, bucketBySource, bucketByTime} {
		if tx.Bucket([]byte(name)) == nil {
			report("bucket %s is missing", name)
			return
		}
	}
	sources := checkSources(tx, report)
	items := checkItems(tx, sources, report)
	checkIndexEntries(tx, sources, items, report)
}

// seqOf is the last ID handed out of a sequence (0 when unreadable).
func seqOf(tx *bbolt.Tx, name []byte) uint64 {
	n, _ := u64(tx.Bucket([]byte(bucketMeta)).Get(name))
	return n
}

// checkSources checks sources and their URLs, both ways, and returns the
// sources it could read.
func checkSources(tx *bbolt.Tx, report func(string, ...any)) map[uint64]storage.Source {
	b := func(name string) *bbolt.Bucket { return tx.Bucket([]byte(name)) }
	maxSource := seqOf(tx, metaSeqSource)
	sources := make(map[uint64]storage.Source)
	b(bucketSources).ForEach(func(k, v []byte) error {
		src, err := decodeSource(k, v)
		if err != nil {
			report("%w", err)
			return nil
		}
		if id, ok := u64(k); !ok || id != src.ID {
			report("%s %x: holds source %d", bucketSources, k, src.ID)
		}
		if src.ID > maxSource {
			report("%s %x: ID %d is past the sequence (%d)", bucketSources, k, src.ID, maxSource)
		}
		for _, u := range []string{src.URL, src.Subscribed} {
			if id, ok := u64(b(bucketSourceURLs).Get([]byte(u))); !ok || id != src.ID {
				report("source %d: %s has no entry for its URL %s", src.ID, bucketSourceURLs, u)
			}
		}
		sources[src.ID] = src
		return nil
	})
	b(bucketSourceURLs).ForEach(func(k, v []byte) error {
		id, ok := u64(v)
		if src, found := sources[id]; !ok || !found || !src.Known(string(k)) {
			report("%s %q: points to %x, which is not a source with that URL", bucketSourceURLs, k, v)
		}
		return nil
	})
	return sources
}

// checkItems checks that each item has its three index entries and that
// the sources' counts are right, and returns what the index checks need
// of the items it could read.
func checkItems(tx *bbolt.Tx, sources map[uint64]storage.Source, report func(string, ...any)) map[uint64]itemFacts {
	b := func(name string) *bbolt.Bucket { return tx.Bucket([]byte(name)) }
	maxItem := seqOf(tx, metaSeqItem)
	items := make(map[uint64]itemFacts)
	counts := make(map[uint64]int)
	b(bucketItems).ForEach(func(k, v []byte) error {
		it, err := decodeItem(k, v)
		if err != nil {
			report("%w", err)
			return nil
		}
		if id, ok := u64(k); !ok || id != it.ID {
			report("%s %x: holds item %d", bucketItems, k, it.ID)
		}
		if it.ID > maxItem {
			report("%s %x: ID %d is past the sequence (%d)", bucketItems, k, it.ID, maxItem)
		}
		if _, ok := sources[it.SourceID]; !ok {
			report("item %d: source %d does not exist", it.ID, it.SourceID)
		}
		if id, _, _, err := parseItemKeyValue(b(bucketItemKeys).Get(itemKeyKey(it.SourceID, it.Key))); err != nil || id != it.ID {
			report("item %d: %s has no entry for its key %q", it.ID, bucketItemKeys, it.Key)
		}
		if b(bucketBySource).Get(bySourceKey(it.SourceID, it.Published, it.ID)) == nil {
			report("item %d: no %s entry", it.ID, bucketBySource)
		}
		if sid, ok := u64(b(bucketByTime).Get(byTimeKey(it.Published, it.ID))); !ok || sid != it.SourceID {
			report("item %d: no %s entry for source %d", it.ID, bucketByTime, it.SourceID)
		}
		items[it.ID] = itemFacts{source: it.SourceID, pub: pubNanos(it.Published), key: it.Key}
		counts[it.SourceID]++
		return nil
	})
	for id, src := range sources {
		if src.Stats.Items != counts[id] {
			report("source %d: stats count %d items, the store holds %d", id, src.Stats.Items, counts[id])
		}
	}
	return items
}

// checkIndexEntries checks that every index entry points to an existing
// item of the right source.
func checkIndexEntries(tx *bbolt.Tx, sources map[uint64]storage.Source, items map[uint64]itemFacts, report func(string, ...any)) {
	b := func(name string) *bbolt.Bucket { return tx.Bucket([]byte(name)) }
	b(bucketBySource).ForEach(func(k, _ []byte) error {
		if len(k) != 24 {
			report("%s %x: malformed key", bucketBySource, k)
			return nil
		}
		sid, _ := u64(k[:8])
		pub, _ := u64(k[8:16])
		id, _ := u64(k[16:])
		if f, ok := items[id]; !ok || f.source != sid || f.pub != pub {
			report("%s %x: no item %d of source %d published then", bucketBySource, k, id, sid)
		}
		return nil
	})
	b(bucketByTime).ForEach(func(k, v []byte) error {
		sid, okv := u64(v)
		if len(k) != 16 || !okv {
			report("%s %x: malformed entry %x", bucketByTime, k, v)
			return nil
		}
		pub, _ := u64(k[:8])
		id, _ := u64(k[8:])
		if f, ok := items[id]; !ok || f.source != sid || f.pub != pub {
			report("%s %x: no item %d of source %d published then", bucketByTime, k, id, sid)
		}
		return nil
	})
	b(bucketItemKeys).ForEach(func(k, v []byte) error {
		if len(k) < 8 {
			report("%s %x: malformed key", bucketItemKeys, k)
			return nil
		}
		sid, _ := u64(k[:8])
		if _, ok := sources[sid]; !ok {
			report("%s %x: source %d does not exist", bucketItemKeys, k, sid)
		}
		id, _, isTomb, err := parseItemKeyValue(v)
		switch {
		case err != nil:
			report("%s %x: malformed value %x", bucketItemKeys, k, v)
		case isTomb:
		default:
			if f, ok := items[id]; !ok || f.source != sid || !bytes.Equal([]byte(f.key), k[8:]) {
				report("%s %x: no item %d of source %d with that key", bucketItemKeys, k, id, sid)
			}
		}
		return nil
	})
}
