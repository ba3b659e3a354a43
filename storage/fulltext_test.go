package storage

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestRecordFullText: the story replaces the teaser in place (same ID,
// Updated moves), the feed's teaser again is a repeat that keeps the
// story, a changed teaser replaces it, a stale result is dropped, and a
// failure records only the reason.
func TestRecordFullText(t *testing.T) {
	clk := newClock()
	s := openTest(t, Options{Now: clk.Now})
	src := addSource(t, s, "https://example.org/feed.xml")
	teaser := item("a", clk.Now().Add(-time.Hour))
	teaser.Content = "<p>Short teaser.</p>"
	res, err := s.RecordFetch(context.Background(), Fetch{SourceID: src.ID, Items: []Item{teaser}})
	if err != nil || len(res.Changed) != 1 || !res.Changed[0].Added {
		t.Fatalf("RecordFetch = %+v, %v", res, err)
	}
	id := res.Changed[0].ID
	stored, err := s.Item(id)
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute)
	ok, err := s.RecordFullText(context.Background(), FullTextResult{ItemID: id, Hash: stored.Hash,
		Content: "<p>The whole story.</p>", Fingerprint: 99, Author: "Page Author",
		FullText: FullText{URL: "https://example.org/a", Fetched: true, Extractor: "readability", Words: 3}})
	if err != nil || !ok {
		t.Fatalf("RecordFullText = %v, %v", ok, err)
	}
	up, _ := s.Item(id)
	if up.Content != "<p>The whole story.</p>" || up.Author != "Page Author" || up.FullText == nil || !up.FullText.Fetched {
		t.Fatalf("upgraded item = %+v", up)
	}
	if !up.Updated.After(stored.Published) || up.FirstSeen != stored.FirstSeen {
		t.Errorf("Updated %v (published %v), FirstSeen %v -> %v", up.Updated, stored.Published, stored.FirstSeen, up.FirstSeen)
	}
	if n := len(collect(t, s, Query{})); n != 1 {
		t.Errorf("%d items stored, want 1", n)
	}
	mustCheck(t, s)

	if got := record(t, s, src.ID, teaser); got.Unchanged != 1 {
		t.Errorf("teaser again: %+v, want unchanged", got)
	}
	if again, _ := s.Item(id); again.Content != up.Content {
		t.Errorf("teaser again undid the story: %q", again.Content)
	}

	ok, err = s.RecordFullText(context.Background(), FullTextResult{ItemID: id, Hash: stored.Hash + 1,
		FullText: FullText{Reason: "HTTP 500"}})
	if err != nil || ok {
		t.Errorf("stale result applied: %v, %v", ok, err)
	}

	changed := teaser
	changed.Content = "<p>A new teaser.</p>"
	if got := record(t, s, src.ID, changed); got.Updated != 1 {
		t.Errorf("changed teaser: %+v", got)
	}
	now, _ := s.Item(id)
	if now.Content != changed.Content || now.FullText != nil {
		t.Errorf("changed teaser: content %q, full text %+v", now.Content, now.FullText)
	}
	ok, err = s.RecordFullText(context.Background(), FullTextResult{ItemID: id, Hash: now.Hash,
		FullText: FullText{URL: "https://example.org/a", Reason: "HTTP 404", Attempts: 1}})
	if err != nil || !ok {
		t.Fatalf("RecordFullText failure = %v, %v", ok, err)
	}
	failed, _ := s.Item(id)
	if failed.Content != changed.Content || failed.FullText == nil || failed.FullText.Reason != "HTTP 404" || !failed.Updated.Equal(now.Updated) {
		t.Errorf("after a failure: %+v", failed)
	}
	if _, err := s.RecordFullText(context.Background(), FullTextResult{ItemID: 12345}); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing item: %v", err)
	}
	mustCheck(t, s)
}
