package storagetest

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"
)

func testMaxItemsPerSource(t *testing.T, open Opener) {
	s, clk := openClocked(t, open, storage.Options{Retention: storage.Retention{MaxItemsPerSource: 3}})
	src := AddSource(t, s, "https://a.example/")
	other := AddSource(t, s, "https://b.example/")
	base := clk.Now().Add(-10 * time.Hour)
	var feed []storage.Item
	for i := range 5 {
		feed = append(feed, Item(fmtGUID(i), base.Add(time.Duration(i)*time.Hour)))
	}
	tests := []struct {
		name  string
		items []storage.Item
		want  storage.Ingested
		keep  []string
	}{
		{"over the cap", feed, storage.Ingested{Added: 5, Removed: 2}, []string{fmtGUID(4), fmtGUID(3), fmtGUID(2)}},
		{"removed items do not come back", feed, storage.Ingested{Unchanged: 3, Skipped: 2}, []string{fmtGUID(4), fmtGUID(3), fmtGUID(2)}},
		{"a newer item pushes the oldest out", append(feed, Item("new", clk.Now())), storage.Ingested{Added: 1, Unchanged: 3, Skipped: 2, Removed: 1}, []string{"new", fmtGUID(4), fmtGUID(3)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RecordItems(t, s, src.ID, tt.items...)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Ingested = %+v, want %+v", got, tt.want)
			}
			if have := GUIDs(Collect(t, s, storage.Query{SourceIDs: []uint64{src.ID}})); !slices.Equal(have, tt.keep) {
				t.Errorf("kept %q, want %q", have, tt.keep)
			}
			check(t, s)
		})
	}
	// The cap is per source: another source may carry the same items.
	if got := RecordItems(t, s, other.ID, feed[:3]...); got.Added != 3 {
		t.Errorf("other source: %+v", got)
	}
	if got, _ := s.Source(src.ID); got.Stats.Items != 3 {
		t.Errorf("stats = %+v", got.Stats)
	}
}

func testMaxAge(t *testing.T, open Opener) {
	s, clk := openClocked(t, open, storage.Options{Retention: storage.Retention{MaxAge: 48 * time.Hour}})
	a, b := AddSource(t, s, "https://a.example/"), AddSource(t, s, "https://b.example/")
	now := clk.Now()
	res := RecordItems(t, s, a.ID, Item("old", now.Add(-72*time.Hour)), Item("day", now.Add(-24*time.Hour)), Item("fresh", now))
	if want := (storage.Ingested{Added: 2, Skipped: 1}); !reflect.DeepEqual(res, want) {
		t.Errorf("Ingested = %+v, want %+v", res, want)
	}
	RecordItems(t, s, b.ID, Item("b-day", now.Add(-30*time.Hour)), Item("b-fresh", now.Add(-time.Hour)))

	n, err := s.ApplyRetention(context.Background())
	if err != nil || n != 0 {
		t.Fatalf("ApplyRetention with nothing old = %d, %v", n, err)
	}
	clk.Add(26 * time.Hour) // "day" and "b-day" are now past 48h
	v := s.Version([]uint64{a.ID})
	n, err = s.ApplyRetention(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("ApplyRetention = %d, %v; want 2", n, err)
	}
	if got := GUIDs(Collect(t, s, storage.Query{})); !slices.Equal(got, []string{"fresh", "b-fresh"}) {
		t.Errorf("left %q", got)
	}
	if s.Version([]uint64{a.ID}) <= v {
		t.Error("retention did not move the version")
	}
	for _, src := range []storage.Source{a, b} {
		if got, _ := s.Source(src.ID); got.Stats.Items != 1 {
			t.Errorf("source %d stats = %+v", src.ID, got.Stats)
		}
	}
	check(t, s)
	// Items removed by age do not come back while the feed carries them
	// (they are older than MaxAge, or tombstoned).
	if res := RecordItems(t, s, a.ID, Item("day", now.Add(-24*time.Hour))); res.Skipped != 1 {
		t.Errorf("an item retention removed came back: %+v", res)
	}

	// A dateless item removed by retention stays removed while its
	// tombstone lives, and the tombstone goes MaxAge later.
	RecordItems(t, s, a.ID, storage.Item{Link: "https://a.example/dateless", Title: "dateless"})
	clk.Add(49 * time.Hour)
	if n, err := s.ApplyRetention(context.Background()); err != nil || n != 3 { // fresh, b-fresh, dateless
		t.Fatalf("ApplyRetention = %d, %v; want 3", n, err)
	}
	if res := RecordItems(t, s, a.ID, storage.Item{Link: "https://a.example/dateless", Title: "dateless"}); res.Skipped != 1 {
		t.Errorf("dateless item came back: %+v", res)
	}
	if n := len(tombstones(t, s)); n == 0 {
		t.Error("no tombstone of the items retention removed")
	}
	clk.Add(49 * time.Hour)
	if _, err := s.ApplyRetention(context.Background()); err != nil {
		t.Fatal(err)
	}
	if tombs := tombstones(t, s); len(tombs) != 0 {
		t.Errorf("%d tombstones left after purge: %+v", len(tombs), tombs)
	}
	check(t, s)
}

func testApplyRetentionChunks(t *testing.T, open Opener) {
	s, clk := openClocked(t, open, storage.Options{Retention: storage.Retention{MaxAge: time.Hour}})
	src := AddSource(t, s, "https://a.example/")
	var feed []storage.Item
	for i := range 2500 {
		feed = append(feed, Item(fmtGUID(i), clk.Now().Add(-time.Duration(i)*time.Second)))
	}
	RecordItems(t, s, src.ID, feed...)
	clk.Add(2 * time.Hour)
	n, err := s.ApplyRetention(context.Background())
	if err != nil || n != 2500 {
		t.Fatalf("ApplyRetention = %d, %v", n, err)
	}
	if got, _ := s.Source(src.ID); got.Stats.Items != 0 {
		t.Errorf("stats = %+v", got.Stats)
	}
	check(t, s)
}

// tombstones returns the store's tombstones, read through its Export.
func tombstones(t *testing.T, s storage.Store) []storage.Tombstone {
	t.Helper()
	var out []storage.Tombstone
	for _, r := range exportAll(t, s) {
		if r.Tombstone != nil {
			out = append(out, *r.Tombstone)
		}
	}
	return out
}
