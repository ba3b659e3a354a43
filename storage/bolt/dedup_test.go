package bolt

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"

	"go.etcd.io/bbolt"

	"github.com/feedmill/feedmill/storage/bolt/internal/neardup"
	"github.com/feedmill/feedmill/storage/internal/storytest"
)

func dupItem(guid, text string, fp uint64, at time.Time) storage.Item {
	it := item(guid, at)
	it.Lead = storytest.Lead(text)
	it.Fingerprint = fp
	return it
}

func TestDedupIndexFollowsItems(t *testing.T) {
	clk := newClock()
	s := openTest(t, storage.Options{Now: clk.Now, Retention: storage.Retention{MaxAge: 48 * time.Hour, MaxItemsPerSource: 2}})
	a := addSource(t, s, "https://a.example/feed")
	b := addSource(t, s, "https://b.example/feed")
	now := clk.Now()
	record(t, s, a.ID, dupItem("a1", storytest.A, 1, now), dupItem("a2", storytest.B, 2, now.Add(-time.Minute)))
	if n := dedupRecords(t, s); n != 2 {
		t.Fatalf("%d index records after two items, want 2", n)
	}
	// A third item trims the oldest (max_items_per_source 2).
	record(t, s, a.ID, dupItem("a3", storytest.A+" again", 3, now.Add(time.Minute)))
	if n := dedupRecords(t, s); n != 2 {
		t.Errorf("%d index records after a trim, want 2", n)
	}
	record(t, s, b.ID, dupItem("b1", storytest.A, 4, now))
	if err := s.RemoveSource(context.Background(), a.URL); err != nil {
		t.Fatal(err)
	}
	if n := dedupRecords(t, s); n != 1 {
		t.Errorf("%d index records after removing a source, want 1", n)
	}
	mustCheck(t, s)
	clk.Add(72 * time.Hour)
	if _, err := s.ApplyRetention(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := dedupRecords(t, s); n != 0 {
		t.Errorf("%d index records after retention removed everything, want 0", n)
	}
	mustCheck(t, s)
}

func TestMigrateV1ToV2(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	it := dupItem("old", storytest.A, 0xfeed, time.Now().Add(-time.Hour))
	it.ID, it.SourceID, it.Key = 1, 1, "g:old"
	err = db.Update(func(tx *bbolt.Tx) error {
		if err := migrateV1(tx); err != nil {
			return err
		}
		v, err := encodeValue(it)
		if err != nil {
			return err
		}
		if err := tx.Bucket([]byte(bucketItems)).Put(u64key(1), v); err != nil {
			return err
		}
		return tx.Bucket([]byte(bucketMeta)).Put(metaSchema, u64key(1))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	s := openAt(t, path, storage.Options{})
	if err := s.db.View(func(tx *bbolt.Tx) error {
		v, err := readSchema(tx)
		if err != nil || v != schemaVersion() {
			return fmt.Errorf("schema %d, %v", v, err)
		}
		if tx.Bucket([]byte(neardup.Bucket)) == nil {
			return fmt.Errorf("no %s bucket", neardup.Bucket)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The v1 item carried a fingerprint (its lead is not stored in the
	// item): the index holds its record.
	if n := dedupRecords(t, s); n != 1 {
		t.Errorf("%d index records after the migration, want 1", n)
	}
	if sim, err := s.Similarity(1, 1); err != nil || sim.SimHashDistance != 0 {
		t.Errorf("Similarity of the migrated item with itself = %+v, %v; want its fingerprint indexed", sim, err)
	}
}

// dedupRecords counts the near-duplicate index's records (one per indexed
// item; the index's own tests check its entries against its records).
func dedupRecords(t *testing.T, s *Store) int {
	t.Helper()
	n := 0
	if err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(neardup.Bucket)).ForEach(func(k, _ []byte) error {
			if len(k) == 9 && k[0] == 'R' {
				n++
			}
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return n
}
