package storagetest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"
)

func testRecordFetch(t *testing.T, open Opener) {
	s, clk := openClocked(t, open, storage.Options{})
	src := AddSource(t, s, "https://example.org/feed.xml")
	start := clk.Now()
	t0 := start.Add(-time.Hour)
	a, b := Item("a", t0), Item("b", t0.Add(time.Minute))

	steps := []struct {
		name  string
		items []storage.Item
		want  storage.Ingested
		check func(t *testing.T)
	}{
		{
			name:  "add",
			items: []storage.Item{a, b},
			want:  storage.Ingested{Added: 2},
		},
		{
			name:  "identical fetch adds nothing",
			items: []storage.Item{a, b},
			want:  storage.Ingested{Unchanged: 2},
		},
		{
			name:  "repeat inside one fetch is stored once",
			items: []storage.Item{a, a},
			want:  storage.Ingested{Unchanged: 2},
		},
		{
			name: "changed body is an update",
			items: func() []storage.Item {
				a2 := a
				a2.Content = "<p>corrected</p>"
				return []storage.Item{a2, b}
			}(),
			want: storage.Ingested{Updated: 1, Unchanged: 1},
			check: func(t *testing.T) {
				it := itemByGUID(t, s, 0, "a")
				if it.Content != "<p>corrected</p>" || !it.Updated.Equal(clk.Now()) {
					t.Errorf("updated item = content %q updated %v, want the correction at %v", it.Content, it.Updated, clk.Now())
				}
				if !it.FirstSeen.Equal(start.Add(time.Minute)) { // the first step's clock
					t.Errorf("FirstSeen moved to %v", it.FirstSeen)
				}
			},
		},
		{
			name: "feed's later updated date wins",
			items: func() []storage.Item {
				a3 := a
				a3.Content = "<p>corrected twice</p>"
				a3.Updated = start.Add(time.Hour)
				return []storage.Item{a3}
			}(),
			want: storage.Ingested{Updated: 1},
			check: func(t *testing.T) {
				if it := itemByGUID(t, s, 0, "a"); !it.Updated.Equal(start.Add(time.Hour)) {
					t.Errorf("Updated = %v", it.Updated)
				}
			},
		},
		{
			name: "published change moves the index entries",
			items: func() []storage.Item {
				b2 := b
				b2.Title = "b, retitled"
				b2.Published = t0.Add(-24 * time.Hour)
				return []storage.Item{b2}
			}(),
			want: storage.Ingested{Updated: 1},
			check: func(t *testing.T) {
				got := GUIDs(Collect(t, s, storage.Query{}))
				if !slices.Equal(got, []string{"a", "b"}) {
					t.Errorf("order after the date change = %q", got)
				}
			},
		},
	}
	ids := map[string]uint64{}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			clk.Add(time.Minute)
			got := RecordItems(t, s, src.ID, step.items...)
			if !reflect.DeepEqual(got, step.want) {
				t.Errorf("Ingested = %+v, want %+v", got, step.want)
			}
			check(t, s)
			for _, it := range Collect(t, s, storage.Query{}) {
				if id, ok := ids[it.GUID]; ok && id != it.ID {
					t.Errorf("item %s changed ID from %d to %d", it.GUID, id, it.ID)
				}
				ids[it.GUID] = it.ID
			}
			if step.check != nil {
				step.check(t)
			}
		})
	}
	if got, _ := s.Source(src.ID); got.Stats.Items != 2 || got.Stats.ChangedAt.IsZero() {
		t.Errorf("stats = %+v", got.Stats)
	}
}

func testRecordFetchPublishedZero(t *testing.T, open Opener) {
	s, clk := openClocked(t, open, storage.Options{})
	src := AddSource(t, s, "https://example.org/feed.xml")
	RecordItems(t, s, src.ID, storage.Item{Link: "https://example.org/x", Title: "x"})
	first := clk.Now()
	clk.Add(time.Hour)
	res := RecordItems(t, s, src.ID, storage.Item{Link: "https://example.org/x", Title: "x"})
	if res.Unchanged != 1 {
		t.Errorf("second fetch = %+v", res)
	}
	it := itemByGUID(t, s, 0, "")
	if !it.Published.Equal(it.FirstSeen) || !it.FirstSeen.Equal(first) || it.Key != "l:https://example.org/x" || it.SourceID != src.ID {
		t.Errorf("item = %+v", it)
	}
}

func testRecordFetchStateAndURL(t *testing.T, open Opener) {
	s, clk := openClocked(t, open, storage.Options{})
	src := AddSource(t, s, "http://example.org/old")
	other := AddSource(t, s, "https://example.org/other")
	ctx := context.Background()
	state := storage.FetchState{ETag: `"v1"`, FeedTitle: "Example", LastStatus: 200}
	if _, err := s.RecordFetch(ctx, storage.Fetch{SourceID: src.ID, NewURL: "https://example.org/new", State: state}); err != nil {
		t.Fatal(err)
	}
	got, err := s.SourceByURL("https://example.org/new")
	if err != nil || got.ID != src.ID || got.State.ETag != `"v1"` || got.State.FeedTitle != "Example" {
		t.Fatalf("SourceByURL(new) = %+v, %v", got, err)
	}
	// The subscribed URL stays an alias, so the config that lists it keeps
	// matching; an intermediate URL of a second move does not.
	if got, err := s.SourceByURL("http://example.org/old"); err != nil || got.ID != src.ID || got.Subscribed != "http://example.org/old" {
		t.Errorf("SourceByURL(subscribed) = %+v, %v", got, err)
	}
	if _, err := s.RecordFetch(ctx, storage.Fetch{SourceID: src.ID, NewURL: "https://example.org/newer", State: state}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SourceByURL("https://example.org/new"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("intermediate URL still found: %v", err)
	}
	up, err := s.UpsertSource(ctx, storage.Source{URL: "http://example.org/old", Tags: []string{"t"}})
	if err != nil || up.ID != src.ID || up.URL != "https://example.org/newer" || len(up.Tags) != 1 {
		t.Errorf("upsert by the subscribed URL = %+v, %v", up, err)
	}
	check(t, s)

	_, err = s.RecordFetch(ctx, storage.Fetch{SourceID: src.ID, NewURL: other.URL, Items: []storage.Item{Item("a", clk.Now())}})
	if err == nil || !strings.Contains(err.Error(), other.URL) || !strings.Contains(err.Error(), "https://example.org/newer") {
		t.Errorf("moving onto another source's URL: %v", err)
	}
	if n := len(Collect(t, s, storage.Query{})); n != 0 {
		t.Errorf("the refused fetch stored %d items", n)
	}

	_, err = s.RecordFetch(ctx, storage.Fetch{SourceID: 999, Items: []storage.Item{Item("a", clk.Now())}})
	if !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("unknown source: %v", err)
	}
	check(t, s)
}

// testKnownRaw: an item stored with a raw hash is known under its key
// with that hash only; a Known item is counted unchanged and writes
// nothing; the raw hash follows the item when it changes.
func testKnownRaw(t *testing.T, open Opener) {
	s, _ := openClocked(t, open, storage.Options{})
	src := AddSource(t, s, "https://a.example/feed")
	t0 := time.Date(2025, 5, 30, 0, 0, 0, 0, time.UTC)
	a, b := Item("a", t0), Item("b", t0)
	a.RawHash, b.RawHash = 11, 0
	if got := RecordItems(t, s, src.ID, a, b); got.Added != 2 {
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
	if got := s.KnownRaw(src.ID+1, []storage.Item{{Key: keys[0], RawHash: 11}}); got[0] {
		t.Error("KnownRaw found the item under another source")
	}

	// A Known item with an empty body: unchanged, the stored body stays.
	known := a
	known.Known, known.Summary, known.Content, known.Title = true, "", "", "changed"
	if got := RecordItems(t, s, src.ID, known); got.Unchanged != 1 || got.Updated != 0 {
		t.Fatalf("known item: %+v", got)
	}
	stored := Collect(t, s, storage.Query{})
	for _, it := range stored {
		if it.GUID == "a" && (it.Title != a.Title || it.Content != a.Content) {
			t.Errorf("a Known item was written: %+v", it)
		}
	}

	// The same body under a new raw hash: unchanged, but the hash moves.
	b.RawHash = 22
	if got := RecordItems(t, s, src.ID, b); got.Unchanged != 1 {
		t.Fatalf("b again: %+v", got)
	}
	if got := ask(11, 22); !got[0] || !got[1] {
		t.Errorf("KnownRaw after b's new hash = %v", got)
	}
	check(t, s)
}

func testItemsQuery(t *testing.T, open Opener) {
	s, clk := openClocked(t, open, storage.Options{})
	base := clk.Now().Add(-100 * time.Hour)
	var srcs []storage.Source
	for _, u := range []string{"https://a.example/feed", "https://b.example/feed", "https://c.example/feed"} {
		srcs = append(srcs, AddSource(t, s, u))
	}
	// Item i goes to source i%3, published i hours after base.
	var all []string
	for i := range 30 {
		RecordItems(t, s, srcs[i%3].ID, Item(fmtGUID(i), base.Add(time.Duration(i)*time.Hour)))
		all = append([]string{fmtGUID(i)}, all...)
	}
	only := func(mod ...int) []string {
		var out []string
		for _, g := range all {
			var i int
			for _, c := range g[5:] {
				i = i*10 + int(c-'0')
			}
			if slices.Contains(mod, i%3) {
				out = append(out, g)
			}
		}
		return out
	}
	tests := []struct {
		name string
		q    storage.Query
		stop int // stop after this many; 0 = never
		want []string
	}{
		{name: "all, newest first", q: storage.Query{}, want: all},
		{name: "nil sources = every source", q: storage.Query{SourceIDs: nil}, want: all},
		{name: "empty sources = none", q: storage.Query{SourceIDs: []uint64{}}, want: nil},
		{name: "one source", q: storage.Query{SourceIDs: []uint64{srcs[1].ID}}, want: only(1)},
		{name: "two sources merged", q: storage.Query{SourceIDs: []uint64{srcs[2].ID, srcs[0].ID}}, want: only(0, 2)},
		{name: "all sources merged", q: storage.Query{SourceIDs: []uint64{srcs[0].ID, srcs[1].ID, srcs[2].ID, srcs[0].ID}}, want: all},
		{name: "unknown source", q: storage.Query{SourceIDs: []uint64{42}}, want: nil},
		{name: "since", q: storage.Query{Since: base.Add(25 * time.Hour)}, want: all[:5]},
		{name: "since, merged", q: storage.Query{SourceIDs: []uint64{srcs[0].ID, srcs[1].ID}, Since: base.Add(24 * time.Hour)}, want: []string{fmtGUID(28), fmtGUID(27), fmtGUID(25), fmtGUID(24)}},
		{name: "early stop", q: storage.Query{}, stop: 3, want: all[:3]},
		{name: "early stop, merged", q: storage.Query{SourceIDs: []uint64{srcs[0].ID, srcs[1].ID, srcs[2].ID}}, stop: 4, want: all[:4]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := s.Items(tt.q, func(it storage.Item) bool {
				got = append(got, it.GUID)
				return tt.stop == 0 || len(got) < tt.stop
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// testItemsChunks reads more items than one chunk, across sources, and
// writes from inside fn.
func testItemsChunks(t *testing.T, open Opener) {
	s, _ := openClocked(t, open, storage.Options{})
	a, b := AddSource(t, s, "https://a.example/"), AddSource(t, s, "https://b.example/")
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var batchA, batchB []storage.Item
	for i := range 500 {
		it := Item(fmtGUID(i), base.Add(time.Duration(i)*time.Minute))
		if i%2 == 0 {
			batchA = append(batchA, it)
		} else {
			batchB = append(batchB, it)
		}
	}
	RecordItems(t, s, a.ID, batchA...)
	RecordItems(t, s, b.ID, batchB...)
	for _, q := range []storage.Query{{}, {SourceIDs: []uint64{a.ID, b.ID}}} {
		n := 0
		last := time.Time{}
		err := s.Items(q, func(it storage.Item) bool {
			if !last.IsZero() && it.Published.After(last) {
				t.Fatalf("out of order at %d", n)
			}
			last = it.Published
			if n == 100 { // a write from inside fn must not deadlock
				if _, err := s.UpsertSource(context.Background(), storage.Source{URL: "https://c.example/"}); err != nil {
					t.Fatal(err)
				}
			}
			n++
			return true
		})
		if err != nil || n != 500 {
			t.Errorf("query %+v: %d items, %v", q, n, err)
		}
	}
}

func testItem(t *testing.T, open Opener) {
	s, clk := openClocked(t, open, storage.Options{})
	src := AddSource(t, s, "https://a.example/")
	RecordItems(t, s, src.ID, Item("x", clk.Now()))
	got := Collect(t, s, storage.Query{})[0]
	it, err := s.Item(got.ID)
	if err != nil || it.GUID != "x" || !reflect.DeepEqual(it, got) {
		t.Errorf("Item(%d) = %+v, %v; want %+v", got.ID, it, err, got)
	}
	if _, err := s.Item(12345); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Item(unknown): %v", err)
	}
}

func testVersion(t *testing.T, open Opener) {
	s, clk := openClocked(t, open, storage.Options{})
	v0 := s.Version(nil)
	if v0 == 0 {
		t.Fatal("Version starts at 0")
	}
	a := AddSource(t, s, "https://a.example/")
	b := AddSource(t, s, "https://b.example/")
	if s.Version(nil) <= v0 {
		t.Error("adding sources did not move the global version")
	}
	va, vb := s.Version([]uint64{a.ID}), s.Version([]uint64{b.ID})
	RecordItems(t, s, a.ID, Item("x", clk.Now()))
	if s.Version([]uint64{a.ID}) <= va {
		t.Error("an item of a did not move a's version")
	}
	if s.Version([]uint64{b.ID}) != vb {
		t.Error("an item of a moved b's version")
	}
	if got := s.Version([]uint64{a.ID, b.ID}); got != s.Version([]uint64{a.ID}) {
		t.Errorf("Version(a,b) = %d, want a's", got)
	}
	// A 304 (new fetch state, no items) or a repeat of known items changes
	// nothing readers show.
	va = s.Version([]uint64{a.ID})
	if _, err := s.RecordFetch(context.Background(), storage.Fetch{SourceID: a.ID, State: storage.FetchState{LastStatus: 304}}); err != nil {
		t.Fatal(err)
	}
	RecordItems(t, s, a.ID, Item("x", clk.Now()))
	if s.Version([]uint64{a.ID}) != va {
		t.Error("a 304 or a repeat moved a's version")
	}
	before := s.Version(nil)
	Collect(t, s, storage.Query{})
	s.Sources()
	AddSource(t, s, "https://a.example/") // no change
	if s.Version(nil) != before {
		t.Error("reads or a no-op upsert moved the version")
	}
	if err := s.RemoveSource(context.Background(), b.URL); err != nil {
		t.Fatal(err)
	}
	if s.Version([]uint64{b.ID}) <= vb || s.Version(nil) <= before {
		t.Error("removing b did not move the versions")
	}
}
