package bolt

import (
	"context"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"

	"go.etcd.io/bbolt"
)

// watermark reads the tombstone watermark (ok false = unknown).
func watermark(t *testing.T, s *Store) (uint64, bool) {
	t.Helper()
	var (
		w  uint64
		ok bool
	)
	if err := s.db.View(func(tx *bbolt.Tx) error { w, ok = tombWatermark(tx); return nil }); err != nil {
		t.Fatal(err)
	}
	return w, ok
}

func countTombstones(t *testing.T, s *Store) int {
	t.Helper()
	n := 0
	if err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(bucketItemKeys)).ForEach(func(_, v []byte) error {
			if _, _, isTomb, _ := parseItemKeyValue(v); isTomb {
				n++
			}
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTombstoneWatermark: a new store knows it has no tombstones, a
// tombstone lowers the watermark, retention keeps a young tombstone and
// purges an old one, and an unknown watermark is rebuilt by one walk.
func TestTombstoneWatermark(t *testing.T) {
	clk := newClock()
	s := openTest(t, storage.Options{Now: clk.Now, Retention: storage.Retention{MaxAge: 48 * time.Hour, MaxItemsPerSource: 1}})
	if w, ok := watermark(t, s); !ok || w != math.MaxUint64 {
		t.Fatalf("new store: watermark %d, %v; want none", w, ok)
	}
	src := addSource(t, s, "https://a.example/")
	record(t, s, src.ID, item("old", clk.Now().Add(-time.Hour)), item("new", clk.Now())) // "old" trimmed
	if n := countTombstones(t, s); n != 1 {
		t.Fatalf("%d tombstones, want 1", n)
	}
	want := pubNanos(clk.Now())
	if w, ok := watermark(t, s); !ok || w != want {
		t.Fatalf("after a tombstone: watermark %d, %v; want %d", w, ok, want)
	}
	// Young: kept, and the watermark with it.
	clk.Add(time.Hour)
	if _, err := s.ApplyRetention(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := countTombstones(t, s); n != 1 {
		t.Fatalf("young tombstone purged: %d left", n)
	}
	// Unknown watermark: one walk rebuilds it from the tombstone kept.
	if err := s.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(bucketMeta)).Delete(metaTombOldest)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyRetention(context.Background()); err != nil {
		t.Fatal(err)
	}
	if w, ok := watermark(t, s); !ok || w != want {
		t.Fatalf("rebuilt watermark %d, %v; want %d", w, ok, want)
	}
	// Old: purged; retention's removal of "new" left a tombstone of now.
	clk.Add(49 * time.Hour)
	if n, err := s.ApplyRetention(context.Background()); err != nil || n != 1 {
		t.Fatalf("ApplyRetention = %d, %v; want 1", n, err)
	}
	if n := countTombstones(t, s); n != 1 {
		t.Fatalf("%d tombstones, want the one of \"new\"", n)
	}
	if w, ok := watermark(t, s); !ok || w != pubNanos(clk.Now()) {
		t.Fatalf("watermark %d, %v; want %d", w, ok, pubNanos(clk.Now()))
	}
	// That one too goes MaxAge later, and the store has none left.
	clk.Add(49 * time.Hour)
	if _, err := s.ApplyRetention(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := countTombstones(t, s); n != 0 {
		t.Fatalf("%d tombstones left after purge", n)
	}
	if w, ok := watermark(t, s); !ok || w != math.MaxUint64 {
		t.Fatalf("after purge: watermark %d, %v; want none", w, ok)
	}
	mustCheck(t, s)
}

// TestMigrateV3Watermark: a version 2 store with a tombstone migrates to
// a watermark at that tombstone's time.
func TestMigrateV3Watermark(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v2.db")
	at := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		if err := migrateV1(tx); err != nil {
			return err
		}
		if err := migrateV2(tx); err != nil {
			return err
		}
		if err := tx.Bucket([]byte(bucketItemKeys)).Put(itemKeyKey(1, "g:gone"), tombstone(at)); err != nil {
			return err
		}
		if err := tx.Bucket([]byte(bucketItemKeys)).Put(itemKeyKey(1, "g:later"), tombstone(at.Add(time.Hour))); err != nil {
			return err
		}
		return tx.Bucket([]byte(bucketMeta)).Put(metaSchema, u64key(2))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	s := openAt(t, path, storage.Options{})
	if w, ok := watermark(t, s); !ok || w != pubNanos(at) {
		t.Fatalf("migrated watermark %d, %v; want %d", w, ok, pubNanos(at))
	}
}
