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
	src := addSource(t, s, "https://a.example/")
	other := addSource(t, s, "https://b.example/")
	base := clk.Now().Add(-10 * time.Hour)
	var feed []storage.Item
	for i := range 5 {
		feed = append(feed, item(fmtGUID(i), base.Add(time.Duration(i)*time.Hour)))
	}
	tests := []struct {
		name  string
		items []storage.Item
		want  storage.Ingested
		keep  []string
	}{
		{"over the cap", feed, storage.Ingested{Added: 5, Removed: 2}, []string{fmtGUID(4), fmtGUID(3), fmtGUID(2)}},
		{"removed items do not come back", feed, storage.Ingested{Unchanged: 3, Skipped: 2}, []string{fmtGUID(4), fmtGUID(3), fmtGUID(2)}},
		{"a newer item pushes the oldest out", append(feed, item("new", clk.Now())), storage.Ingested{Added: 1, Unchanged: 3, Skipped: 2, Removed: 1}, []string{"new", fmtGUID(4), fmtGUID(3)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := record(t, s, src.ID, tt.items...)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Ingested = %+v, want %+v", got, tt.want)
			}
			if have := guids(collect(t, s, storage.Query{SourceIDs: []uint64{src.ID}})); !slices.Equal(have, tt.keep) {
				t.Errorf("kept %q, want %q", have, tt.keep)
			}
			check(t, s)
		})
	}
	// The cap is per source: another source may carry the same items.
	if got := record(t, s, other.ID, feed[:3]...); got.Added != 3 {
		t.Errorf("other source: %+v", got)
	}
	if got, _ := s.Source(src.ID); got.Stats.Items != 3 {
		t.Errorf("stats = %+v", got.Stats)
	}
}

func testMaxAge(t *testing.T, open Opener) {
	s, clk := openClocked(t, open, storage.Options{Retention: storage.Retention{MaxAge: 48 * time.Hour}})
	a, b := addSource(t, s, "https://a.example/"), addSource(t, s, "https://b.example/")
	now := clk.Now()
	res := record(t, s, a.ID, item("old", now.Add(-72*time.Hour)), item("day", now.Add(-24*time.Hour)), item("fresh", now))
	if want := (storage.Ingested{Added: 2, Skipped: 1}); !reflect.DeepEqual(res, want) {
		t.Errorf("Ingested = %+v, want %+v", res, want)
	}
	record(t, s, b.ID, item("b-day", now.Add(-30*time.Hour)), item("b-fresh", now.Add(-time.Hour)))

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
	if got := guids(collect(t, s, storage.Query{})); !slices.Equal(got, []string{"fresh", "b-fresh"}) {
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
	if res := record(t, s, a.ID, item("day", now.Add(-24*time.Hour))); res.Skipped != 1 {
		t.Errorf("an item retention removed came back: %+v", res)
	}

	// A dateless item removed by retention stays removed while its
	// tombstone lives, and the tombstone goes MaxAge later.
	record(t, s, a.ID, storage.Item{Link: "https://a.example/dateless", Title: "dateless"})
	clk.Add(49 * time.Hour)
	if n, err := s.ApplyRetention(context.Background()); err != nil || n != 3 { // fresh, b-fresh, dateless
		t.Fatalf("ApplyRetention = %d, %v; want 3", n, err)
	}
	if res := record(t, s, a.ID, storage.Item{Link: "https://a.example/dateless", Title: "dateless"}); res.Skipped != 1 {
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
	src := addSource(t, s, "https://a.example/")
	var feed []storage.Item
	for i := range 2500 {
		feed = append(feed, item(fmtGUID(i), clk.Now().Add(-time.Duration(i)*time.Second)))
	}
	record(t, s, src.ID, feed...)
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
	ex, ok := s.(storage.Exporter)
	if !ok {
		t.Fatalf("%T is no storage.Exporter", s)
	}
	var out []storage.Tombstone
	err := ex.Export(context.Background(), func(r storage.Record) error {
		if r.Tombstone != nil {
			out = append(out, *r.Tombstone)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	return out
}
