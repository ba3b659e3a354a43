package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/bolt/internal/neardup"
	"go.etcd.io/bbolt"
)

// Export calls fn with the store's whole contents (storage.Exporter), from
// one read transaction: the sources by ID, the items by ID (each with its
// Lead from the near-duplicate index and its RawHash from the identity
// index), the tombstones, then the subscriptions. Writes go on meanwhile,
// but the file cannot grow its memory map until Export returns.
func (s *Store) Export(ctx context.Context, fn func(storage.Record) error) error {
	err := s.db.View(func(tx *bbolt.Tx) error {
		emit := func(r storage.Record) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			return fn(r)
		}
		if err := tx.Bucket([]byte(bucketSources)).ForEach(func(k, v []byte) error {
			src, err := decodeSource(k, v)
			if err != nil {
				return err
			}
			return emit(storage.Record{Source: &src})
		}); err != nil {
			return err
		}
		if err := exportItems(tx, emit); err != nil {
			return err
		}
		if err := exportTombstones(tx, emit); err != nil {
			return err
		}
		subs, err := readSubscriptions(tx)
		if err != nil {
			return err
		}
		for _, sub := range subs {
			if err := emit(storage.Record{Subscription: &sub}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("export %s: %w", s.path, err)
	}
	return nil
}

// exportItems emits every item, with what the item's value does not hold.
func exportItems(tx *bbolt.Tx, emit func(storage.Record) error) error {
	keys := tx.Bucket([]byte(bucketItemKeys))
	dedup := tx.Bucket([]byte(neardup.Bucket))
	return tx.Bucket([]byte(bucketItems)).ForEach(func(k, v []byte) error {
		it, err := decodeItem(k, v)
		if err != nil {
			return err
		}
		it.RawHash = itemKeyRaw(keys.Get(itemKeyKey(it.SourceID, it.Key)))
		if dedup != nil {
			if it.Lead, err = neardup.Lead(dedup, it.ID); err != nil {
				return err
			}
		}
		return emit(storage.Record{Item: &it})
	})
}

// exportTombstones emits the identities retention removed.
func exportTombstones(tx *bbolt.Tx, emit func(storage.Record) error) error {
	return tx.Bucket([]byte(bucketItemKeys)).ForEach(func(k, v []byte) error {
		_, at, isTomb, err := parseItemKeyValue(v)
		if err != nil || len(k) < 8 {
			return fmt.Errorf("%s %x: malformed entry %x", bucketItemKeys, k, v)
		}
		if !isTomb {
			return nil
		}
		sid, _ := u64(k[:8])
		return emit(storage.Record{Tombstone: &storage.Tombstone{SourceID: sid, Key: string(k[8:]), At: time.Unix(0, int64(at)).UTC()}})
	})
}

// importChunk is how many records one Import transaction writes: as many
// as the writer takes into one commit (maxBatchWeight).
const importChunk = maxBatchWeight

// Import writes the records next yields into this store, which must hold
// no source (storage.Importer). Every ID is kept and the ID sequences go
// past the highest; the indexes and the near-duplicate index are built
// as the items come, each item keeping its Story. It writes in
// transactions of 1,000 records: an error leaves what committed
// before it (the target of a failed copy is for deleting).
func (s *Store) Import(ctx context.Context, next func() (storage.Record, bool, error)) error {
	first := true
	for {
		var chunk []storage.Record
		for len(chunk) < importChunk {
			r, ok, err := next()
			if err != nil {
				return fmt.Errorf("import into %s: %w", s.path, err)
			}
			if !ok {
				break
			}
			chunk = append(chunk, r)
		}
		if len(chunk) == 0 && !first {
			return nil
		}
		var touched []uint64
		err := s.w.do(ctx, len(chunk), func(tx *bbolt.Tx) error {
			touched = touched[:0]
			if first {
				if k, _ := tx.Bucket([]byte(bucketSources)).Cursor().First(); k != nil {
					return errors.New("the store is not empty (it holds sources)")
				}
			}
			for _, r := range chunk {
				id, err := importRecord(tx, r)
				if err != nil {
					return err
				}
				touched = append(touched, id)
			}
			return nil
		}, func() { s.ver.Bump(touched...) })
		if err != nil {
			return fmt.Errorf("import into %s: %w", s.path, err)
		}
		if len(chunk) < importChunk {
			return nil
		}
		first = false
	}
}

// importRecord writes one record and returns the source it touched.
func importRecord(tx *bbolt.Tx, r storage.Record) (uint64, error) {
	n := 0
	for _, set := range []bool{r.Source != nil, r.Item != nil, r.Tombstone != nil, r.Subscription != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return 0, fmt.Errorf("record with %d parts set, want 1", n)
	}
	switch {
	case r.Source != nil:
		return r.Source.ID, importSource(tx, *r.Source)
	case r.Item != nil:
		return r.Item.SourceID, importItem(tx, *r.Item)
	case r.Tombstone != nil:
		return r.Tombstone.SourceID, importTombstone(tx, *r.Tombstone)
	default:
		return r.Subscription.SourceID, importSubscription(tx, *r.Subscription)
	}
}

func importSource(tx *bbolt.Tx, src storage.Source) error {
	if src.ID == 0 || src.URL == "" {
		return fmt.Errorf("source %d %q: no ID or URL", src.ID, src.URL)
	}
	if src.Subscribed == "" {
		src.Subscribed = src.URL
	}
	if tx.Bucket([]byte(bucketSources)).Get(u64key(src.ID)) != nil {
		return fmt.Errorf("source %d %s: ID already taken", src.ID, src.URL)
	}
	urls := tx.Bucket([]byte(bucketSourceURLs))
	for _, u := range []string{src.URL, src.Subscribed} {
		if other := urls.Get([]byte(u)); other != nil && !bytes.Equal(other, u64key(src.ID)) {
			return fmt.Errorf("source %d: URL %s is already source %x", src.ID, u, other)
		}
		if err := urls.Put([]byte(u), u64key(src.ID)); err != nil {
			return err
		}
	}
	src.Lease = 0
	if err := putSource(tx, src); err != nil {
		return err
	}
	return raiseSeq(tx, metaSeqSource, src.ID)
}

func importItem(tx *bbolt.Tx, it storage.Item) error {
	if it.ID == 0 || it.Key == "" {
		return fmt.Errorf("item %d of source %d: no ID or key", it.ID, it.SourceID)
	}
	if _, err := getSource(tx, it.SourceID); err != nil {
		return fmt.Errorf("item %d: %w", it.ID, err)
	}
	ix := openIndexes(tx)
	if ix.items.Get(u64key(it.ID)) != nil {
		return fmt.Errorf("item %d: ID already taken", it.ID)
	}
	kk := itemKeyKey(it.SourceID, it.Key)
	if ix.keys.Get(kk) != nil {
		return fmt.Errorf("item %d: source %d already has an item with key %q", it.ID, it.SourceID, it.Key)
	}
	it.Known = false
	if err := ix.putItem(it, itemText{}); err != nil {
		return err
	}
	if err := ix.keys.Put(kk, itemKeyValue(it.ID, it.RawHash)); err != nil {
		return err
	}
	if err := ix.putIndex(it); err != nil {
		return err
	}
	if ix.dedup != nil {
		d := docOf(&it)
		if err := neardup.Put(ix.dedup, &d); err != nil {
			return fmt.Errorf("item %d: near-duplicate index: %w", it.ID, err)
		}
	}
	return raiseSeq(tx, metaSeqItem, it.ID)
}

func importTombstone(tx *bbolt.Tx, tomb storage.Tombstone) error {
	if _, err := getSource(tx, tomb.SourceID); err != nil {
		return fmt.Errorf("tombstone %q: %w", tomb.Key, err)
	}
	keys := tx.Bucket([]byte(bucketItemKeys))
	kk := itemKeyKey(tomb.SourceID, tomb.Key)
	if keys.Get(kk) != nil {
		return fmt.Errorf("tombstone %q of source %d: the key is taken", tomb.Key, tomb.SourceID)
	}
	if err := noteTombstone(tx, pubNanos(tomb.At)); err != nil {
		return err
	}
	return keys.Put(kk, tombstone(tomb.At))
}

func importSubscription(tx *bbolt.Tx, sub storage.Subscription) error {
	if _, err := getSource(tx, sub.SourceID); err != nil {
		return fmt.Errorf("subscription: %w", err)
	}
	return putSubscription(tx, sub)
}

// raiseSeq moves a sequence up to id, so that the next ID handed out
// comes after it.
func raiseSeq(tx *bbolt.Tx, name []byte, id uint64) error {
	meta := tx.Bucket([]byte(bucketMeta))
	if cur, ok := u64(meta.Get(name)); ok && cur >= id {
		return nil
	}
	return meta.Put(name, u64key(id))
}
