package storage

import (
	"math"
	"testing"
	"time"
)

func TestNanos(t *testing.T) {
	for _, c := range []struct {
		t    time.Time
		want int64
	}{
		{time.Time{}, 0},
		{time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), 0},
		{time.Unix(1, 5), 1_000_000_005},
		{time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), math.MaxInt64},
	} {
		if got := Nanos(c.t); got != c.want {
			t.Errorf("Nanos(%v) = %d, want %d", c.t, got, c.want)
		}
	}
}

func TestRevise(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := t0.Add(time.Hour)
	old := Item{ID: 7, Story: 3, FirstSeen: t0, Published: t0, Updated: t0.Add(time.Minute)}
	// The feed's later date is taken; its own earlier one is not.
	it := Revise(old, Item{Title: "new", Updated: t0.Add(2 * time.Minute)}, now)
	if it.ID != 7 || it.Story != 3 || !it.FirstSeen.Equal(t0) || !it.Published.Equal(t0) || it.Title != "new" {
		t.Errorf("identity not kept: %+v", it)
	}
	if !it.Updated.Equal(t0.Add(2 * time.Minute)) {
		t.Errorf("updated = %v, want the feed's later date", it.Updated)
	}
	if it := Revise(old, Item{Updated: t0}, now); !it.Updated.Equal(now) {
		t.Errorf("updated = %v, want now: the feed's date did not move", it.Updated)
	}
	later := t0.Add(3 * time.Hour)
	if it := Revise(old, Item{Published: later}, now); !it.Published.Equal(later) {
		t.Errorf("published = %v, want the feed's %v", it.Published, later)
	}
}

func TestFullTextApply(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	it := Item{Image: "https://a.example/i.jpg", Published: t0.Add(time.Hour), Content: "teaser"}
	r := FullTextResult{Content: "story", Fingerprint: 9, Lead: []uint32{1}, Image: "https://b.example/j.jpg", Author: "A"}
	r.Apply(&it, t0) // a clock behind the item's date
	if it.Content != "story" || it.Fingerprint != 9 || it.Image != "https://a.example/i.jpg" || it.Author != "A" {
		t.Errorf("applied: %+v", it)
	}
	if !it.Updated.After(it.Published) {
		t.Errorf("updated %v does not move past published %v", it.Updated, it.Published)
	}
}

func TestIncoming(t *testing.T) {
	f := Fetch{SourceID: 4, Items: []Item{{GUID: "a", Title: "x"}, {GUID: "b", Known: true}}}
	in := Incoming(f)
	keys := ItemKeys(f.Items)
	for i, it := range in {
		if it.Key != keys[i] || it.SourceID != 4 {
			t.Errorf("item %d: key %q source %d", i, it.Key, it.SourceID)
		}
	}
	if in[0].Hash != f.Items[0].BodyHash() || in[1].Hash != 0 {
		t.Errorf("hashes %d %d: want the body's, and none for a known item", in[0].Hash, in[1].Hash)
	}
}
