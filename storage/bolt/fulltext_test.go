package bolt

import (
	"context"
	"errors"
	"github.com/feedmill/feedmill/storage"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage/internal/storytest"
)

// TestRecordFullText: the story replaces the teaser in place (same ID,
// Updated moves), the feed's teaser again is a repeat that keeps the
// story, a changed teaser replaces it, a stale result is dropped, and a
// failure records only the reason.
func TestRecordFullText(t *testing.T) {
	clk := newClock()
	s := openTest(t, storage.Options{Now: clk.Now})
	src := addSource(t, s, "https://example.org/feed.xml")
	teaser := item("a", clk.Now().Add(-time.Hour))
	teaser.Content = "<p>Short teaser.</p>"
	res, err := s.RecordFetch(context.Background(), storage.Fetch{SourceID: src.ID, Items: []storage.Item{teaser}})
	if err != nil || len(res.Changed) != 1 || !res.Changed[0].Added {
		t.Fatalf("RecordFetch = %+v, %v", res, err)
	}
	id := res.Changed[0].ID
	stored, err := s.Item(id)
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute)
	ok, err := s.RecordFullText(context.Background(), storage.FullTextResult{ItemID: id, Hash: stored.Hash,
		Content: "<p>The whole story.</p>", Fingerprint: 99, Author: "Page Author",
		FullText: storage.FullText{URL: "https://example.org/a", Fetched: true, Extractor: "readability", Words: 3}})
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
	if n := len(collect(t, s, storage.Query{})); n != 1 {
		t.Errorf("%d items stored, want 1", n)
	}
	mustCheck(t, s)

	if got := record(t, s, src.ID, teaser); got.Unchanged != 1 {
		t.Errorf("teaser again: %+v, want unchanged", got)
	}
	if again, _ := s.Item(id); again.Content != up.Content {
		t.Errorf("teaser again undid the story: %q", again.Content)
	}

	ok, err = s.RecordFullText(context.Background(), storage.FullTextResult{ItemID: id, Hash: stored.Hash + 1,
		FullText: storage.FullText{Reason: "HTTP 500"}})
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
	ok, err = s.RecordFullText(context.Background(), storage.FullTextResult{ItemID: id, Hash: now.Hash,
		FullText: storage.FullText{URL: "https://example.org/a", Reason: "HTTP 404", Attempts: 1}})
	if err != nil || !ok {
		t.Fatalf("RecordFullText failure = %v, %v", ok, err)
	}
	failed, _ := s.Item(id)
	if failed.Content != changed.Content || failed.FullText == nil || failed.FullText.Reason != "HTTP 404" || !failed.Updated.Equal(now.Updated) {
		t.Errorf("after a failure: %+v", failed)
	}
	if _, err := s.RecordFullText(context.Background(), storage.FullTextResult{ItemID: 12345}); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("missing item: %v", err)
	}
	mustCheck(t, s)
}

// TestRecordFullTextRefilesStory: a teaser that matched nothing joins the
// story its full text matches, unless a copy has joined it meanwhile; one
// whose full text matches nothing stays its own story, and later copies
// find it by its new text.
func TestRecordFullTextRefilesStory(t *testing.T) {
	s, a, b, c, t0 := threeSources(t)
	const fpA, fpB, fpD = 0x0123456789abcdef, 0x7edcba9876543210, 0x5555aaaa3333cccc
	standfirsts := []string{
		"",
		"parents say the closures will mean an hour on the bus for children as young as six every morning",
		"ferry passengers spent the night in the terminal while crews checked the damage to the old pier",
		"visitors asked for sunday afternoons in a survey that drew more answers than any before it",
	}
	standfirst := func(i int) string { return standfirsts[i] }
	upgrade := func(guid string, fp uint64, text string) storage.Item {
		t.Helper()
		it := itemByGUID(t, s, b.ID, guid)
		ok, err := s.RecordFullText(context.Background(), storage.FullTextResult{ItemID: it.ID, Hash: it.Hash,
			Content: "<p>" + text + "</p>", Fingerprint: fp, Lead: storytest.Lead(text), FullText: storage.FullText{Fetched: true}})
		if err != nil || !ok {
			t.Fatalf("RecordFullText %s = %v, %v", guid, ok, err)
		}
		it, err = s.Item(it.ID)
		if err != nil {
			t.Fatal(err)
		}
		return it
	}

	record(t, s, a.ID, dupItem("a1", storytest.A, fpA, t0))
	record(t, s, b.ID, dupItem("b1", standfirst(1), 0, t0.Add(time.Minute)))
	a1 := itemByGUID(t, s, a.ID, "a1")
	if b1 := itemByGUID(t, s, b.ID, "b1"); b1.Story != 0 {
		t.Fatalf("the standfirst teaser joined story %d", b1.Story)
	}
	if b1 := upgrade("b1", fpA^1, storytest.A); b1.Story != a1.ID {
		t.Errorf("lone teaser upgraded: story %d, want %d", b1.Story, a1.ID)
	}

	// A copy joined the teaser's story: the teaser keeps it.
	record(t, s, a.ID, dupItem("a2", storytest.B, fpB, t0))
	record(t, s, b.ID, dupItem("b2", standfirst(2), 0, t0.Add(time.Minute)))
	record(t, s, c.ID, dupItem("c2", standfirst(2), 0, t0.Add(2*time.Minute)))
	b2, c2 := itemByGUID(t, s, b.ID, "b2"), itemByGUID(t, s, c.ID, "c2")
	if c2.Story != b2.ID {
		t.Fatalf("the copy of the standfirst: story %d, want %d", c2.Story, b2.ID)
	}
	if b2 = upgrade("b2", fpB, storytest.B); b2.Story != 0 {
		t.Errorf("teaser with a copy upgraded: story %d, want its own", b2.Story)
	}

	// A full text that matches nothing: its own story, found by later copies.
	record(t, s, b.ID, dupItem("b3", standfirst(3), 0, t0.Add(time.Minute)))
	if b3 := upgrade("b3", fpD, storytest.C); b3.Story != 0 {
		t.Errorf("unmatched full text: story %d, want its own", b3.Story)
	}
	record(t, s, c.ID, dupItem("c3", storytest.C, fpD^3, t0.Add(time.Hour)))
	if c3, b3 := itemByGUID(t, s, c.ID, "c3"), itemByGUID(t, s, b.ID, "b3"); c3.Story != b3.ID {
		t.Errorf("later copy of an upgraded teaser: story %d, want %d", c3.Story, b3.ID)
	}
	mustCheck(t, s)
}

func itemByGUID(t *testing.T, s *Store, sourceID uint64, guid string) storage.Item {
	t.Helper()
	for _, it := range collect(t, s, storage.Query{SourceIDs: []uint64{sourceID}}) {
		if it.GUID == guid {
			return it
		}
	}
	t.Fatalf("no item %s in source %d", guid, sourceID)
	return storage.Item{}
}
