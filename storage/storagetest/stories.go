package storagetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/internal/storytest"
)

func testStoryAssignment(t *testing.T, open Opener) {
	s, a, b, c, t0 := threeSources(t, open)
	const fpA = 0x0123456789abcdef

	RecordItems(t, s, a.ID, dupItem("a1", storytest.A, fpA, t0))
	first := Collect(t, s, storage.Query{SourceIDs: []uint64{a.ID}})[0]

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
			RecordItems(t, s, tt.src.ID, tt.it)
			got := itemByGUID(t, s, tt.src.ID, tt.it.GUID)
			if same := got.Story == first.ID; same != tt.sameStory {
				t.Errorf("story %d (first item %d): same story = %v, want %v", got.Story, first.ID, same, tt.sameStory)
			}
		})
	}
	// An update keeps the story even when the text changes.
	up := dupItem("b1", storytest.B, 0, t0.Add(time.Hour))
	up.Title = "changed"
	RecordItems(t, s, b.ID, up)
	if x := itemByGUID(t, s, b.ID, "b1"); x.Story != first.ID {
		t.Errorf("updated item lost its story: %d", x.Story)
	}
	check(t, s)
}

// testStoryLookupBounded: a source that repeats one body many times does
// not hide the story from another source (the lookup skips an outlet's
// own items before it counts candidates).
func testStoryLookupBounded(t *testing.T, open Opener) {
	s, a, b, c, t0 := threeSources(t, open)
	RecordItems(t, s, c.ID, dupItem("c1", storytest.A, 0, t0.Add(-time.Hour)))
	var many []storage.Item
	for i := range 48 { // three times the candidates one key gives
		many = append(many, dupItem(fmt.Sprintf("a%d", i), storytest.A, 0, t0.Add(time.Duration(i)*time.Minute)))
	}
	RecordItems(t, s, a.ID, many...)
	RecordItems(t, s, b.ID, dupItem("b1", storytest.A, 0, t0))
	first := Collect(t, s, storage.Query{SourceIDs: []uint64{c.ID}})[0]
	for _, src := range []storage.Source{a, b} {
		for _, it := range Collect(t, s, storage.Query{SourceIDs: []uint64{src.ID}}) {
			if it.Story != first.ID {
				t.Fatalf("%s: story %d, want %d", it.GUID, it.Story, first.ID)
			}
		}
	}
}

// testStoriesForgetRemoved: an item removed (trimmed by max items,
// with its source, or by age) is no story for later copies.
func testStoriesForgetRemoved(t *testing.T, open Opener) {
	s, clk := openClocked(t, open, storage.Options{Retention: storage.Retention{MaxAge: 48 * time.Hour, MaxItemsPerSource: 2}})
	a := AddSource(t, s, "https://a.example/feed")
	b := AddSource(t, s, "https://b.example/feed")
	c := AddSource(t, s, "https://c.example/feed")
	const fpA, fpB, fpC = 0x0123456789abcdef, 0x7edcba9876543210, 0x5555aaaa3333cccc
	now := clk.Now()
	RecordItems(t, s, a.ID, dupItem("a1", storytest.A, fpA, now), dupItem("a2", storytest.B, fpB, now.Add(-time.Minute)))
	// A third item trims the oldest, a2.
	if got := RecordItems(t, s, a.ID, dupItem("a3", storytest.C, fpC, now.Add(time.Minute))); got.Removed != 1 {
		t.Fatalf("third item: %+v, want one removed", got)
	}
	RecordItems(t, s, c.ID, dupItem("c1", storytest.B, fpB, now))
	if c1 := itemByGUID(t, s, c.ID, "c1"); c1.Story != 0 {
		t.Errorf("copy of a trimmed item joined story %d", c1.Story)
	}
	a1 := itemByGUID(t, s, a.ID, "a1")
	if err := s.RemoveSource(context.Background(), a.URL); err != nil {
		t.Fatal(err)
	}
	RecordItems(t, s, c.ID, dupItem("c2", storytest.A, fpA, now))
	if c2 := itemByGUID(t, s, c.ID, "c2"); c2.Story != 0 {
		t.Errorf("copy of an item of a removed source joined story %d (a1 was %d)", c2.Story, a1.ID)
	}
	check(t, s)
	clk.Add(72 * time.Hour)
	if n, err := s.ApplyRetention(context.Background()); err != nil || n != 2 {
		t.Fatalf("ApplyRetention = %d, %v; want 2", n, err)
	}
	// Within the story window of c2, but c2 is gone.
	RecordItems(t, s, b.ID, dupItem("b1", storytest.A, fpA, now.Add(50*time.Hour)))
	if b1 := itemByGUID(t, s, b.ID, "b1"); b1.Story != 0 {
		t.Errorf("copy of an item retention removed joined story %d", b1.Story)
	}
	check(t, s)
}

// testSimilarity compares stored items as the near-duplicate rules do.
func testSimilarity(t *testing.T, open Opener) {
	s, a, b, _, t0 := threeSources(t, open)
	const fpA = 0x0123456789abcdef
	RecordItems(t, s, a.ID, dupItem("x", storytest.A, fpA, t0), Item("w", t0))
	RecordItems(t, s, b.ID, dupItem("y", storytest.A, fpA^0b101, t0), dupItem("z", storytest.B, ^uint64(fpA), t0))
	x, w := itemByGUID(t, s, a.ID, "x"), itemByGUID(t, s, a.ID, "w")
	y, z := itemByGUID(t, s, b.ID, "y"), itemByGUID(t, s, b.ID, "z")
	sim := func(p, q storage.Item) storage.Similarity {
		t.Helper()
		got, err := s.Similarity(p.ID, q.ID)
		if err != nil {
			t.Fatalf("Similarity(%s, %s): %v", p.GUID, q.GUID, err)
		}
		if back, err := s.Similarity(q.ID, p.ID); err != nil || back != got {
			t.Errorf("Similarity(%s, %s) = %+v, %v; the other way %+v", q.GUID, p.GUID, back, err, got)
		}
		return got
	}
	if got, want := sim(x, y), (storage.Similarity{SimHashDistance: 2, LeadContainment: 1, Score: 1, Same: true}); got != want {
		t.Errorf("copies: %+v, want %+v", got, want)
	}
	if got := sim(x, z); got.SimHashDistance != 64 || got.LeadContainment >= 0.8 || got.LeadContainment < 0 || got.Same || got.Score != got.LeadContainment {
		t.Errorf("other stories: %+v", got)
	}
	if got, want := sim(x, w), (storage.Similarity{SimHashDistance: -1, LeadContainment: -1}); got != want {
		t.Errorf("an item without text: %+v, want %+v", got, want)
	}
	if y.Story != x.ID || z.Story != 0 {
		t.Errorf("stories: y %d, z %d; want %d, 0", y.Story, z.Story, x.ID)
	}
}

// testRecordFullText: the story replaces the teaser in place (same ID,
// Updated moves), the feed's teaser again is a repeat that keeps the
// story, a changed teaser replaces it, a stale result is dropped, and a
// failure records only the reason.
func testRecordFullText(t *testing.T, open Opener) {
	s, clk := openClocked(t, open, storage.Options{})
	src := AddSource(t, s, "https://example.org/feed.xml")
	teaser := Item("a", clk.Now().Add(-time.Hour))
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
	v := s.Version([]uint64{src.ID})
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
	if !up.Updated.After(stored.Published) || !up.FirstSeen.Equal(stored.FirstSeen) {
		t.Errorf("Updated %v (published %v), FirstSeen %v -> %v", up.Updated, stored.Published, stored.FirstSeen, up.FirstSeen)
	}
	if s.Version([]uint64{src.ID}) <= v {
		t.Error("the story did not move the source's version")
	}
	if n := len(Collect(t, s, storage.Query{})); n != 1 {
		t.Errorf("%d items stored, want 1", n)
	}
	check(t, s)

	if got := RecordItems(t, s, src.ID, teaser); got.Unchanged != 1 {
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
	if got := RecordItems(t, s, src.ID, changed); got.Updated != 1 {
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
	check(t, s)
}

// testRecordFullTextRefilesStory: a teaser that matched nothing joins the
// story its full text matches, unless a copy has joined it meanwhile; one
// whose full text matches nothing stays its own story, and later copies
// find it by its new text.
func testRecordFullTextRefilesStory(t *testing.T, open Opener) {
	s, a, b, c, t0 := threeSources(t, open)
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

	RecordItems(t, s, a.ID, dupItem("a1", storytest.A, fpA, t0))
	RecordItems(t, s, b.ID, dupItem("b1", standfirst(1), 0, t0.Add(time.Minute)))
	a1 := itemByGUID(t, s, a.ID, "a1")
	if b1 := itemByGUID(t, s, b.ID, "b1"); b1.Story != 0 {
		t.Fatalf("the standfirst teaser joined story %d", b1.Story)
	}
	if b1 := upgrade("b1", fpA^1, storytest.A); b1.Story != a1.ID {
		t.Errorf("lone teaser upgraded: story %d, want %d", b1.Story, a1.ID)
	}

	// A copy joined the teaser's story: the teaser keeps it.
	RecordItems(t, s, a.ID, dupItem("a2", storytest.B, fpB, t0))
	RecordItems(t, s, b.ID, dupItem("b2", standfirst(2), 0, t0.Add(time.Minute)))
	RecordItems(t, s, c.ID, dupItem("c2", standfirst(2), 0, t0.Add(2*time.Minute)))
	b2, c2 := itemByGUID(t, s, b.ID, "b2"), itemByGUID(t, s, c.ID, "c2")
	if c2.Story != b2.ID {
		t.Fatalf("the copy of the standfirst: story %d, want %d", c2.Story, b2.ID)
	}
	if b2 = upgrade("b2", fpB, storytest.B); b2.Story != 0 {
		t.Errorf("teaser with a copy upgraded: story %d, want its own", b2.Story)
	}

	// A full text that matches nothing: its own story, found by later copies.
	RecordItems(t, s, b.ID, dupItem("b3", standfirst(3), 0, t0.Add(time.Minute)))
	if b3 := upgrade("b3", fpD, storytest.C); b3.Story != 0 {
		t.Errorf("unmatched full text: story %d, want its own", b3.Story)
	}
	RecordItems(t, s, c.ID, dupItem("c3", storytest.C, fpD^3, t0.Add(time.Hour)))
	if c3, b3 := itemByGUID(t, s, c.ID, "c3"), itemByGUID(t, s, b.ID, "b3"); c3.Story != b3.ID {
		t.Errorf("later copy of an upgraded teaser: story %d, want %d", c3.Story, b3.ID)
	}
	check(t, s)
}
