package bolt

import (
	"context"
	"errors"
	"github.com/feedmill/feedmill/storage"
	"slices"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func TestUpsertSource(t *testing.T) {
	clk := newClock()
	s := openTest(t, storage.Options{Now: clk.Now})
	ctx := context.Background()
	if _, err := s.UpsertSource(ctx, storage.Source{}); err == nil {
		t.Error("empty URL accepted")
	}
	a, err := s.UpsertSource(ctx, storage.Source{URL: "https://a.example/", Tags: []string{"world"}, Origin: storage.OriginConfig})
	if err != nil || a.ID != 1 || !a.Added.Equal(clk.Now()) {
		t.Fatalf("new source = %+v, %v", a, err)
	}
	record(t, s, a.ID, item("x", clk.Now()))
	if _, err := s.RecordFetch(ctx, storage.Fetch{SourceID: a.ID, State: storage.FetchState{ETag: "e"}}); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Hour)
	b, err := s.UpsertSource(ctx, storage.Source{URL: "https://a.example/", Title: "A", Tags: []string{"tech"}, Every: time.Minute, Paused: true, Priority: 3, Stats: storage.SourceStats{Items: 99}})
	if err != nil {
		t.Fatal(err)
	}
	if b.ID != a.ID || !b.Added.Equal(a.Added) || b.State.ETag != "e" || b.Stats.Items != 1 {
		t.Errorf("update lost ID, State or Stats: %+v", b)
	}
	if b.Title != "A" || !slices.Equal(b.Tags, []string{"tech"}) || b.Every != time.Minute || !b.Paused || b.Priority != 3 || b.Origin != "" {
		t.Errorf("update did not take the config fields: %+v", b)
	}
	got, err := s.Source(a.ID)
	if err != nil || got.Title != "A" {
		t.Errorf("Source = %+v, %v", got, err)
	}
	c := addSource(t, s, "https://c.example/")
	all, err := s.Sources()
	if err != nil || len(all) != 2 || all[0].ID != a.ID || all[1].ID != c.ID {
		t.Errorf("Sources = %+v, %v", all, err)
	}
	if _, err := s.Source(77); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Source(unknown): %v", err)
	}
	mustCheck(t, s)
}

func TestRemoveSource(t *testing.T) {
	clk := newClock()
	s := openTest(t, storage.Options{Now: clk.Now, Retention: storage.Retention{MaxItemsPerSource: 2}})
	ctx := context.Background()
	a, b := addSource(t, s, "https://a.example/"), addSource(t, s, "https://b.example/")
	record(t, s, a.ID, item("a1", clk.Now()), item("a2", clk.Now().Add(-time.Hour)), item("a3", clk.Now().Add(-2*time.Hour)))
	record(t, s, b.ID, item("b1", clk.Now()))
	if err := s.RemoveSource(ctx, a.URL); err != nil {
		t.Fatal(err)
	}
	if got := guids(collect(t, s, storage.Query{})); !slices.Equal(got, []string{"b1"}) {
		t.Errorf("left %q", got)
	}
	if _, err := s.SourceByURL(a.URL); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("removed source still found: %v", err)
	}
	err := s.RemoveSource(ctx, a.URL)
	if !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("removing it again: %v", err)
	}
	// No trace left: keys and tombstones of a are gone.
	s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(bucketItemKeys)).ForEach(func(k, v []byte) error {
			if id, _ := u64(k[:8]); id == a.ID {
				t.Errorf("item key %q of the removed source is left", k[8:])
			}
			return nil
		})
	})
	mustCheck(t, s)
	// A fetch of the removed source that was in flight does not bring it back.
	if _, err := s.RecordFetch(ctx, storage.Fetch{SourceID: a.ID, Items: []storage.Item{item("a1", clk.Now())}}); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("fetch of a removed source: %v", err)
	}
	// Re-adding gives a new source with a new ID.
	if again := addSource(t, s, a.URL); again.ID == a.ID {
		t.Error("re-added source reused the old ID")
	}
	mustCheck(t, s)
}
