package bolt

import (
	"github.com/feedmill/feedmill/storage"
	"testing"
	"time"
)

// TestKnownRaw: an item stored with a raw hash is known under its key
// with that hash only; a Known item is counted unchanged and writes
// nothing; the raw hash follows the item when it changes.
func TestKnownRaw(t *testing.T) {
	s := openTest(t, storage.Options{})
	src := addSource(t, s, "https://a.example/feed")
	t0 := time.Date(2025, 5, 30, 0, 0, 0, 0, time.UTC)
	a, b := item("a", t0), item("b", t0)
	a.RawHash, b.RawHash = 11, 0
	if got := record(t, s, src.ID, a, b); got.Added != 2 {
		t.Fatalf("first fetch: %+v", got)
	}
	keys := storage.ItemKeys([]storage.Item{a, b})
	ask := func(raws ...uint64) []bool {
		q := []storage.Item{{Key: keys[0], RawHash: raws[0]}, {Key: keys[1], RawHash: raws[1]}, {Key: "g:none", RawHash: 11}, {RawHash: 11}}
		return s.KnownRaw(src.ID, q)
	}
	if got := ask(11, 0); !got[0] || got[1] || got[2] || got[3] {
		t.Errorf("KnownRaw = %v, want only the first", got)
	}
	if got := ask(12, 11); got[0] || got[1] {
		t.Errorf("KnownRaw with other hashes = %v, want none", got)
	}

	// A Known item with an empty body: unchanged, the stored body stays.
	known := a
	known.Known, known.Summary, known.Content, known.Title = true, "", "", "changed"
	if got := record(t, s, src.ID, known); got.Unchanged != 1 || got.Updated != 0 {
		t.Fatalf("known item: %+v", got)
	}
	stored := collect(t, s, storage.Query{})
	for _, it := range stored {
		if it.GUID == "a" && (it.Title != a.Title || it.Content != a.Content) {
			t.Errorf("a Known item was written: %+v", it)
		}
	}

	// The same body under a new raw hash: unchanged, but the hash moves.
	b.RawHash = 22
	if got := record(t, s, src.ID, b); got.Unchanged != 1 {
		t.Fatalf("b again: %+v", got)
	}
	if got := ask(11, 22); !got[0] || !got[1] {
		t.Errorf("KnownRaw after b's new hash = %v", got)
	}
	mustCheck(t, s)
}
