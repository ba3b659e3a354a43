package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/internal/storytest"
	"github.com/feedmill/feedmill/storage/postgres"
	"github.com/feedmill/feedmill/storage/postgres/pgtest"
)

// fixedClock returns a clock at *now.
func fixedClock(now *time.Time) func() time.Time { return func() time.Time { return *now } }

// Items removed by retention never come back while their feed carries
// them; trimming by count leaves tombstones too.
func TestRetentionTombstones(t *testing.T) {
	ctx := context.Background()
	now := t0
	s := openStore(t, postgres.Options{Options: storage.Options{Now: fixedClock(&now),
		Retention: storage.Retention{MaxAge: 48 * time.Hour, MaxItemsPerSource: 3}}})
	src, err := s.UpsertSource(ctx, storage.Source{URL: "http://a.example/feed"})
	if err != nil {
		t.Fatal(err)
	}
	var items []storage.Item
	for i := range 5 {
		it := item(fmt.Sprint(i), fmt.Sprint("item ", i))
		it.Published = t0.Add(time.Duration(i-5) * time.Hour)
		items = append(items, it)
	}
	old := item("old", "too old")
	old.Published = t0.Add(-72 * time.Hour)
	res, err := s.RecordFetch(ctx, storage.Fetch{SourceID: src.ID, Items: append(items, old)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 5 || res.Removed != 2 || res.Skipped != 1 {
		t.Fatalf("first fetch: %+v", res)
	}
	res, err = s.RecordFetch(ctx, storage.Fetch{SourceID: src.ID, Items: items})
	if err != nil || res.Skipped != 2 || res.Unchanged != 3 || res.Added != 0 {
		t.Fatalf("second fetch (trimmed items again): %+v, %v", res, err)
	}
	now = t0.Add(47*time.Hour + 30*time.Minute)
	n, err := s.ApplyRetention(ctx)
	if err != nil || n != 3 {
		t.Fatalf("ApplyRetention = %d, %v; want 3", n, err)
	}
	res, err = s.RecordFetch(ctx, storage.Fetch{SourceID: src.ID, Items: items})
	if err != nil || res.Added != 0 || res.Skipped != 5 {
		t.Fatalf("after retention: %+v, %v", res, err)
	}
	if got, _ := s.Source(src.ID); got.Stats.Items != 0 {
		t.Errorf("Stats.Items = %d, want 0", got.Stats.Items)
	}
}

// A permanent redirect moves the source; the subscribed URL stays an
// alias; a URL another source has is refused.
func TestNewURL(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, postgres.Options{})
	a, _ := s.UpsertSource(ctx, storage.Source{URL: "http://a.example/feed"})
	b, _ := s.UpsertSource(ctx, storage.Source{URL: "http://b.example/feed"})
	if _, err := s.RecordFetch(ctx, storage.Fetch{SourceID: a.ID, NewURL: "http://a2.example/feed"}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"http://a.example/feed", "http://a2.example/feed"} {
		if got, err := s.SourceByURL(u); err != nil || got.ID != a.ID || got.URL != "http://a2.example/feed" {
			t.Errorf("SourceByURL(%s) = %+v, %v", u, got, err)
		}
	}
	if _, err := s.RecordFetch(ctx, storage.Fetch{SourceID: b.ID, NewURL: "http://a2.example/feed"}); err == nil {
		t.Error("moving onto another source's URL succeeded")
	}
	if s.WriteErrors() != 0 {
		t.Errorf("a refused move counted as a write error")
	}
	if _, err := s.RecordFetch(ctx, storage.Fetch{SourceID: 99}); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("fetch of an unknown source: %v", err)
	}
}

// Items reads newest first across chunks, by source and since a time.
func TestItemsQuery(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, postgres.Options{})
	var srcs [2]storage.Source
	for i := range srcs {
		srcs[i], _ = s.UpsertSource(ctx, storage.Source{URL: fmt.Sprintf("http://s%d.example/", i)})
		var items []storage.Item
		for j := range 150 {
			it := item(fmt.Sprint(j), fmt.Sprint("s", i, " item ", j))
			it.Published = t0.Add(time.Duration(j*2+i) * time.Minute)
			items = append(items, it)
		}
		if _, err := s.RecordFetch(ctx, storage.Fetch{SourceID: srcs[i].ID, Items: items}); err != nil {
			t.Fatal(err)
		}
	}
	check := func(q storage.Query, want int) {
		t.Helper()
		var last time.Time
		n := 0
		err := s.Items(q, func(it storage.Item) bool {
			if n > 0 && it.Published.After(last) {
				t.Fatalf("item %d after an older one", it.ID)
			}
			if q.SourceIDs != nil && it.SourceID != q.SourceIDs[0] {
				t.Fatalf("item of source %d", it.SourceID)
			}
			last = it.Published
			n++
			return true
		})
		if err != nil || n != want {
			t.Errorf("Items(%+v): %d items, %v; want %d", q, n, err, want)
		}
	}
	check(storage.Query{}, 300)
	check(storage.Query{SourceIDs: []uint64{srcs[1].ID}}, 150)
	check(storage.Query{SourceIDs: []uint64{}}, 0)
	check(storage.Query{Since: t0.Add(200 * time.Minute)}, 100)
	check(storage.Query{SourceIDs: []uint64{srcs[0].ID}, Since: t0.Add(200 * time.Minute)}, 50)
	known := s.KnownRaw(srcs[0].ID, []storage.Item{{Key: "g:1", RawHash: 0}, {Key: "g:nope", RawHash: 1}})
	if known[0] || known[1] {
		t.Errorf("KnownRaw = %v", known)
	}
}

// A teaser that matched nothing joins its story when its full text
// arrives.
func TestFullTextRefilesLoneTeaser(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, postgres.Options{})
	a, _ := s.UpsertSource(ctx, storage.Source{URL: "http://a.example/"})
	b, _ := s.UpsertSource(ctx, storage.Source{URL: "http://b.example/"})
	full := storage.Item{GUID: "full", Title: "t", Content: storytest.A, Published: t0, Fingerprint: 0xfeedface, Lead: storytest.Lead(storytest.A)}
	teaser := storage.Item{GUID: "teaser", Title: "t", Content: "council", Published: t0}
	ra, err := s.RecordFetch(ctx, storage.Fetch{SourceID: a.ID, Items: []storage.Item{full}})
	if err != nil {
		t.Fatal(err)
	}
	rb, err := s.RecordFetch(ctx, storage.Fetch{SourceID: b.ID, Items: []storage.Item{teaser}})
	if err != nil {
		t.Fatal(err)
	}
	tid := rb.Changed[0].ID
	got, _ := s.Item(tid)
	if got.Story != 0 {
		t.Fatalf("teaser joined story %d before its text came", got.Story)
	}
	ok, err := s.RecordFullText(ctx, storage.FullTextResult{ItemID: tid, Hash: got.Hash, Content: storytest.A,
		Fingerprint: 0xfeedface, Lead: storytest.Lead(storytest.A), FullText: storage.FullText{Fetched: true, URL: "http://b.example/1"}})
	if err != nil || !ok {
		t.Fatalf("RecordFullText = %v, %v", ok, err)
	}
	got, _ = s.Item(tid)
	if got.Story != ra.Changed[0].ID || got.Content != storytest.A || got.FullText == nil {
		t.Fatalf("after full text: story %d (want %d), %+v", got.Story, ra.Changed[0].ID, got.FullText)
	}
	sim, err := s.Similarity(tid, ra.Changed[0].ID)
	if err != nil || !sim.Same || sim.SimHashDistance != 0 {
		t.Errorf("Similarity = %+v, %v", sim, err)
	}
	ok, err = s.RecordFullText(ctx, storage.FullTextResult{ItemID: tid, Hash: 1})
	if err != nil || ok {
		t.Errorf("stale result applied: %v, %v", ok, err)
	}
}

// Renditions are dated alike everywhere: the same etag keeps its time,
// a new one takes now but never goes back.
func TestStampRender(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, postgres.Options{})
	at, err := s.StampRender(ctx, "c/rss/1", "e1", t0)
	if err != nil || !at.Equal(t0) {
		t.Fatalf("first stamp: %v, %v", at, err)
	}
	if at, _ = s.StampRender(ctx, "c/rss/1", "e1", t0.Add(time.Hour)); !at.Equal(t0) {
		t.Errorf("same etag: %v, want %v", at, t0)
	}
	if at, _ = s.StampRender(ctx, "c/rss/1", "e2", t0.Add(-time.Hour)); !at.Equal(t0) {
		t.Errorf("new etag, earlier clock: %v, want %v", at, t0)
	}
	if at, _ = s.StampRender(ctx, "c/rss/1", "e3", t0.Add(time.Hour)); !at.Equal(t0.Add(time.Hour)) {
		t.Errorf("new etag: %v", at)
	}
}

// A database that goes away makes Health report ErrUnhealthy.
func TestHealthWhenDatabaseGone(t *testing.T) {
	dsn, drop, err := pgtest.CreateDB()
	if err != nil {
		t.Fatal(err)
	}
	s, err := postgres.Open(dsn, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Health(); err != nil {
		t.Fatalf("Health of a fresh store: %v", err)
	}
	if err := drop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Health(); !errors.Is(err, storage.ErrUnhealthy) {
		t.Fatalf("Health with the database gone: %v", err)
	}
	if _, err := s.UpsertSource(context.Background(), storage.Source{URL: "http://a.example/"}); err == nil || s.WriteErrors() == 0 {
		t.Errorf("write to a gone database: %v, %d write errors", err, s.WriteErrors())
	}
}

// Paused sources are not due; ForceDue makes the others due now.
func TestPausedAndForceDue(t *testing.T) {
	ctx := context.Background()
	now := t0
	s := openStore(t, postgres.Options{Options: storage.Options{Now: fixedClock(&now)}})
	later := storage.FetchState{NextDue: t0.Add(time.Hour)}
	a, _ := s.UpsertSource(ctx, storage.Source{URL: "http://a.example/", State: later})
	b, _ := s.UpsertSource(ctx, storage.Source{URL: "http://b.example/", Paused: true})
	if got, _ := s.ClaimDue(ctx, 10); len(got) != 0 {
		t.Fatalf("claimed %d sources, none due", len(got))
	}
	if due, _ := s.NextDue(ctx); !due.Equal(t0.Add(time.Hour)) {
		t.Errorf("NextDue = %v", due)
	}
	if err := s.ForceDue(ctx, nil); err != nil {
		t.Fatal(err)
	}
	got, _ := s.ClaimDue(ctx, 10)
	if len(got) != 1 || got[0].ID != a.ID {
		t.Fatalf("claimed %+v, want only source %d", got, a.ID)
	}
	b.Paused = false
	if _, err := s.UpsertSource(ctx, b); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ClaimDue(ctx, 10); len(got) != 1 || got[0].ID != b.ID {
		t.Fatalf("after unpausing: claimed %+v", got)
	}
}

// A read-only store reads, refuses writes, and needs a migrated schema.
func TestReadOnly(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDB(t)
	rw := openDSN(t, dsn, postgres.Options{})
	src, _ := rw.UpsertSource(ctx, storage.Source{URL: "http://a.example/"})
	ro := openDSN(t, dsn, postgres.Options{Options: storage.Options{ReadOnly: true}})
	if got, err := ro.Source(src.ID); err != nil || got.URL != src.URL {
		t.Fatalf("read-only Source: %+v, %v", got, err)
	}
	if _, err := ro.UpsertSource(ctx, storage.Source{URL: "http://b.example/"}); !errors.Is(err, storage.ErrReadOnly) {
		t.Errorf("read-only write: %v", err)
	}
	if _, err := postgres.Open(pgtest.NewEmptyDB(t), storage.Options{ReadOnly: true}); !errors.Is(err, storage.ErrNeedsMigration) {
		t.Errorf("read-only open of an empty database: %v", err)
	}
}

// Upkeep keeps weekly partitions (from Monday) from MaxAge ago to three
// days ahead, and drops older ones.
func TestPartitions(t *testing.T) {
	ctx := context.Background()
	now := t0 // a Sunday
	s := openStore(t, postgres.Options{Options: storage.Options{Now: fixedClock(&now), Retention: storage.Retention{MaxAge: 48 * time.Hour}}})
	want := "[neardup_20260223 neardup_20260302 neardup_default]"
	if got, err := s.Partitions(ctx); err != nil || fmt.Sprint(got) != want {
		t.Fatalf("partitions at open: %v, %v; want %v", got, err, want)
	}
	now = t0.Add(5 * 24 * time.Hour)
	if err := s.Upkeep(ctx); err != nil {
		t.Fatal(err)
	}
	want = "[neardup_20260302 neardup_20260309 neardup_default]"
	if got, _ := s.Partitions(ctx); fmt.Sprint(got) != want {
		t.Errorf("partitions five days later: %v, want %v", got, want)
	}
}

// A fetch that brings only state moves Version when the title, site or
// language changed, and not otherwise; a stale lease is still refused.
func TestStateOnlyFetch(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, postgres.Options{})
	src, _ := s.UpsertSource(ctx, storage.Source{URL: "http://a.example/"})
	st := storage.FetchState{FeedTitle: "A", LastStatus: 200, NextDue: t0}
	v := s.Version([]uint64{src.ID})
	if _, err := s.RecordFetch(ctx, storage.Fetch{SourceID: src.ID, State: st}); err != nil {
		t.Fatal(err)
	}
	if s.Version([]uint64{src.ID}) == v {
		t.Error("a new title did not move Version")
	}
	v = s.Version([]uint64{src.ID})
	st.LastStatus = 304
	if _, err := s.RecordFetch(ctx, storage.Fetch{SourceID: src.ID, State: st}); err != nil {
		t.Fatal(err)
	}
	if s.Version([]uint64{src.ID}) != v {
		t.Error("a 304 moved Version")
	}
	if got, _ := s.Source(src.ID); got.State.LastStatus != 304 || got.State.FeedTitle != "A" {
		t.Errorf("state after the 304: %+v", got.State)
	}
	if _, err := s.RecordFetch(ctx, storage.Fetch{SourceID: src.ID, Lease: 12345, State: st}); !errors.Is(err, storage.ErrLeaseLost) {
		t.Errorf("stale lease on a 304: %v", err)
	}
	if _, err := s.RecordFetch(ctx, storage.Fetch{SourceID: 999, State: st}); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("304 of an unknown source: %v", err)
	}
}
