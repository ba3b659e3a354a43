package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/postgres"
)

func TestRecordFetchBasics(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, postgres.Options{})
	src, err := s.UpsertSource(ctx, storage.Source{URL: "http://a.example/feed", Title: "A"})
	if err != nil {
		t.Fatal(err)
	}
	v0 := s.Version([]uint64{src.ID})
	res, err := s.RecordFetch(ctx, storage.Fetch{SourceID: src.ID, Items: []storage.Item{item("1", "one"), item("2", "two"), item("1", "one")}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 2 || res.Unchanged != 1 || len(res.Changed) != 2 {
		t.Fatalf("first fetch: %+v", res)
	}
	if s.Version([]uint64{src.ID}) == v0 {
		t.Error("Version did not move")
	}
	upd := item("2", "two!")
	res, err = s.RecordFetch(ctx, storage.Fetch{SourceID: src.ID, Items: []storage.Item{item("1", "one"), upd}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 0 || res.Updated != 1 || res.Unchanged != 1 {
		t.Fatalf("second fetch: %+v", res)
	}
	var got []storage.Item
	if err := s.Items(storage.Query{}, func(it storage.Item) bool { got = append(got, it); return true }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Title != "two!" || got[0].ID < got[1].ID {
		t.Fatalf("items: %+v", got)
	}
	back, err := s.SourceByURL("http://a.example/feed")
	if err != nil || back.Stats.Items != 2 || back.Title != "A" {
		t.Fatalf("source: %+v, %v", back, err)
	}
	if _, err := s.Item(999); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Item(999): %v", err)
	}
	if err := s.RemoveSource(ctx, "http://a.example/feed"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Item(got[0].ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("item of removed source: %v", err)
	}
}
