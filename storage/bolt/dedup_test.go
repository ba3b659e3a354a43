package bolt

import (
	"context"
	"fmt"
	"github.com/feedmill/feedmill/storage"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// threeSources opens a store with sources a, b and c, and returns an hour
// before its clock's now.
func threeSources(t *testing.T) (s *Store, a, b, c storage.Source, t0 time.Time) {
	clk := newClock()
	s = openTest(t, storage.Options{Now: clk.Now})
	a = addSource(t, s, "https://a.example/feed")
	b = addSource(t, s, "https://b.example/feed")
	c = addSource(t, s, "https://c.example/feed")
	return s, a, b, c, clk.Now().Add(-time.Hour)
}

func TestStoryAssignment(t *testing.T) {
	s, a, b, c, t0 := threeSources(t)
	const fpA = 0x0123456789abcdef

	record(t, s, a.ID, dupItem("a1", storytest.A, fpA, t0))
	first := collect(t, s, storage.Query{SourceIDs: []uint64{a.ID}})[0]

	teaser := strings.Join(strings.Fields(storytest.A)[:14], " ")
	tests := []struct {
		name      string
		src       storage.Source
		it        storage.Item
		sameStory bool
	}{
		{"same lead, same source", a, dupItem("a2", storytest.A, 0, t0.Add(time.Hour)), false},
		{"teaser in another source", b, dupItem("b1", teaser, 0, t0.Add(time.Hour)), true},
		{"near fingerprint, other lead", c, dupItem("c1", storytest.C, fpA^0b10010, t0.Add(2*time.Hour)), true},
		{"same lead, four days later", c, dupItem("c2", storytest.A, 0, t0.Add(96*time.Hour)), false},
		{"other story", b, dupItem("b2", storytest.B, ^uint64(fpA), t0), false},
		{"fingerprint 4 bits away", b, dupItem("b3", "", fpA^0b1111, t0), false},
		{"lead too short", c, dupItem("c3", strings.Join(strings.Fields(storytest.A)[:8], " "), 0, t0), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			record(t, s, tt.src.ID, tt.it)
			var got storage.Item
			for _, x := range collect(t, s, storage.Query{SourceIDs: []uint64{tt.src.ID}}) {
				if x.GUID == tt.it.GUID {
					got = x
				}
			}
			if same := got.Story == first.ID; same != tt.sameStory {
				t.Errorf("story %d (first item %d): same story = %v, want %v", got.Story, first.ID, same, tt.sameStory)
			}
		})
	}
	// An update keeps the story even when the text changes.
	up := dupItem("b1", storytest.B, 0, t0.Add(time.Hour))
	up.Title = "changed"
	record(t, s, b.ID, up)
	for _, x := range collect(t, s, storage.Query{SourceIDs: []uint64{b.ID}}) {
		if x.GUID == "b1" && x.Story != first.ID {
			t.Errorf("updated item lost its story: %d", x.Story)
		}
	}
	mustCheck(t, s)
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

// TestStoryLookupBounded: a source that repeats one body many times does
// not hide the story from another source (the scan skips an outlet's own
// items before it counts candidates).
func TestStoryLookupBounded(t *testing.T) {
	s, a, b, c, t0 := threeSources(t)
	record(t, s, c.ID, dupItem("c1", storytest.A, 0, t0.Add(-time.Hour)))
	var many []storage.Item
	for i := range 48 { // three times the candidates one key gives
		many = append(many, dupItem(fmt.Sprintf("a%d", i), storytest.A, 0, t0.Add(time.Duration(i)*time.Minute)))
	}
	record(t, s, a.ID, many...)
	record(t, s, b.ID, dupItem("b1", storytest.A, 0, t0))
	first := collect(t, s, storage.Query{SourceIDs: []uint64{c.ID}})[0]
	for _, src := range []storage.Source{a, b} {
		for _, it := range collect(t, s, storage.Query{SourceIDs: []uint64{src.ID}}) {
			if it.Story != first.ID {
				t.Fatalf("%s: story %d, want %d", it.GUID, it.Story, first.ID)
			}
		}
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
