package storagetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"
)

func testUpsertSource(t *testing.T, open Opener) {
	s, clk := openClocked(t, open, storage.Options{})
	ctx := context.Background()
	if _, err := s.UpsertSource(ctx, storage.Source{}); err == nil {
		t.Error("empty URL accepted")
	}
	a, err := s.UpsertSource(ctx, storage.Source{URL: "https://a.example/", Tags: []string{"world"}, Origin: storage.OriginConfig})
	if err != nil || a.ID != 1 || !a.Added.Equal(clk.Now()) {
		t.Fatalf("new source = %+v, %v", a, err)
	}
	RecordItems(t, s, a.ID, Item("x", clk.Now()))
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
	c := AddSource(t, s, "https://c.example/")
	all, err := s.Sources()
	if err != nil || len(all) != 2 || all[0].ID != a.ID || all[1].ID != c.ID {
		t.Errorf("Sources = %+v, %v", all, err)
	}
	if _, err := s.Source(77); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Source(unknown): %v", err)
	}
	check(t, s)
}

func testRemoveSource(t *testing.T, open Opener) {
	s, clk := openClocked(t, open, storage.Options{Retention: storage.Retention{MaxItemsPerSource: 2}})
	ctx := context.Background()
	a, b := AddSource(t, s, "https://a.example/"), AddSource(t, s, "https://b.example/")
	RecordItems(t, s, a.ID, Item("a1", clk.Now()), Item("a2", clk.Now().Add(-time.Hour)), Item("a3", clk.Now().Add(-2*time.Hour)))
	RecordItems(t, s, b.ID, Item("b1", clk.Now()))
	if err := s.RemoveSource(ctx, a.URL); err != nil {
		t.Fatal(err)
	}
	if got := GUIDs(Collect(t, s, storage.Query{})); !slices.Equal(got, []string{"b1"}) {
		t.Errorf("left %q", got)
	}
	if _, err := s.SourceByURL(a.URL); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("removed source still found: %v", err)
	}
	err := s.RemoveSource(ctx, a.URL)
	if !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("removing it again: %v", err)
	}
	// No trace left: the store's check finds no key or tombstone of a.
	check(t, s)
	// A fetch of the removed source that was in flight does not bring it back.
	if _, err := s.RecordFetch(ctx, storage.Fetch{SourceID: a.ID, Items: []storage.Item{Item("a1", clk.Now())}}); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("fetch of a removed source: %v", err)
	}
	// Re-adding gives a new source with a new ID, whose items (a3 was
	// trimmed from the old one) are new.
	again := AddSource(t, s, a.URL)
	if again.ID == a.ID {
		t.Error("re-added source reused the old ID")
	}
	if got := RecordItems(t, s, again.ID, Item("a1", clk.Now()), Item("a3", clk.Now().Add(-time.Hour))); got.Added != 2 {
		t.Errorf("items of the re-added source: %+v, want 2 added", got)
	}
	check(t, s)
}

func testSubscriptions(t *testing.T, open Opener) {
	s, clk := openClocked(t, open, storage.Options{})
	ctx := context.Background()
	a, b := AddSource(t, s, "https://a.example/feed"), AddSource(t, s, "https://b.example/feed")
	if subs, err := s.Subscriptions(); err != nil || len(subs) != 0 {
		t.Fatalf("Subscriptions of a new store = %v, %v", subs, err)
	}
	at := clk.Now().Truncate(time.Second)
	subA := storage.Subscription{SourceID: a.ID, ID: "cb-a", Secret: "s3cret", Hub: "https://hub.example/",
		Topic: a.URL, State: storage.SubRequested, Requested: at}
	subB := storage.Subscription{SourceID: b.ID, ID: "cb-b", Secret: "other", Hub: "https://hub.example/",
		Topic: b.URL, State: storage.SubDenied, Reason: "no", Requested: at}
	for _, sub := range []storage.Subscription{subA, subB} {
		if err := s.PutSubscription(ctx, sub); err != nil {
			t.Fatal(err)
		}
	}
	// A second Put replaces the source's subscription.
	subA.State, subA.LeaseEnd, subA.LastPush = storage.SubActive, at.Add(24*time.Hour), at.Add(time.Minute)
	if err := s.PutSubscription(ctx, subA); err != nil {
		t.Fatal(err)
	}
	subs, err := s.Subscriptions()
	if err != nil || len(subs) != 2 {
		t.Fatalf("Subscriptions = %v, %v", subs, err)
	}
	for _, want := range []storage.Subscription{subA, subB} {
		if got := subs[want.SourceID]; !sameSubscription(got, want) {
			t.Errorf("subscription of source %d = %+v, want %+v", want.SourceID, got, want)
		}
	}
	if err := s.DeleteSubscription(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSubscription(ctx, a.ID); err != nil {
		t.Errorf("deleting a subscription that is gone: %v", err)
	}
	if subs, err := s.Subscriptions(); err != nil || len(subs) != 1 || !sameSubscription(subs[b.ID], subB) {
		t.Errorf("after the delete: %v, %v", subs, err)
	}
}

// sameSubscription compares subscriptions field by field, times as
// instants.
func sameSubscription(a, b storage.Subscription) bool {
	return a.SourceID == b.SourceID && a.ID == b.ID && a.Secret == b.Secret && a.Hub == b.Hub &&
		a.Topic == b.Topic && a.State == b.State && a.Reason == b.Reason && a.Requested.Equal(b.Requested) &&
		a.LeaseEnd.Equal(b.LeaseEnd) && a.LastPush.Equal(b.LastPush)
}

// testHealth: a new store answers, is healthy, has a size and no failed
// write.
func testHealth(t *testing.T, open Opener) {
	s, _ := openClocked(t, open, storage.Options{})
	AddSource(t, s, "https://a.example/feed")
	if err := s.Ping(); err != nil {
		t.Errorf("Ping: %v", err)
	}
	if err := s.Health(); err != nil {
		t.Errorf("Health of a new store: %v", err)
	}
	if n, err := s.Size(); err != nil || n <= 0 {
		t.Errorf("Size = %d, %v", n, err)
	}
	if n := s.WriteErrors(); n != 0 {
		t.Errorf("WriteErrors = %d", n)
	}
}

// testClose: Close waits for the writes in flight, is idempotent, and
// writes after it fail with ErrClosed, as does Ping.
func testClose(t *testing.T, open Opener) {
	s, clk := openClocked(t, open, storage.Options{})
	src := AddSource(t, s, "https://a.example/")
	RecordItems(t, s, src.ID, Item("x", clk.Now()))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ctx := context.Background()
	if _, err := s.UpsertSource(ctx, storage.Source{URL: "https://late.example/"}); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("UpsertSource after Close: %v", err)
	}
	if _, err := s.RecordFetch(ctx, storage.Fetch{SourceID: src.ID, Items: []storage.Item{Item("y", clk.Now())}}); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("RecordFetch after Close: %v", err)
	}
	if err := s.Ping(); err == nil {
		t.Error("Ping of a closed store succeeded")
	}
}

// testRecordFetchConcurrent: fetches of many sources at once all land,
// each counted once.
func testRecordFetchConcurrent(t *testing.T, open Opener) {
	s, clk := openClocked(t, open, storage.Options{})
	const writers, fetches, perFetch = 16, 10, 5
	var srcs []storage.Source
	for g := range writers {
		srcs = append(srcs, AddSource(t, s, fmt.Sprintf("https://%d.example/", g)))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	added := 0
	for g := range writers {
		wg.Go(func() {
			for f := range fetches {
				var items []storage.Item
				for i := range perFetch {
					items = append(items, Item(fmt.Sprintf("%d-%d-%d", g, f, i), clk.Now().Add(-time.Duration(f*perFetch+i)*time.Minute)))
				}
				res, err := s.RecordFetch(context.Background(), storage.Fetch{SourceID: srcs[g].ID, Items: items})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				added += res.Added
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if want := writers * fetches * perFetch; added != want {
		t.Errorf("added %d, want %d", added, want)
	}
	if n := len(Collect(t, s, storage.Query{})); n != added {
		t.Errorf("the store has %d items, want %d", n, added)
	}
	for _, src := range srcs {
		if got, err := s.Source(src.ID); err != nil || got.Stats.Items != fetches*perFetch {
			t.Errorf("source %d: %+v, %v", src.ID, got.Stats, err)
		}
	}
	check(t, s)
}

// testCanceledWrite: a write whose context ended before it started stores
// nothing.
func testCanceledWrite(t *testing.T, open Opener) {
	s, _ := openClocked(t, open, storage.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.UpsertSource(ctx, storage.Source{URL: "https://a.example/"}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled upsert: %v", err)
	}
	if _, err := s.SourceByURL("https://a.example/"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("canceled upsert was stored: %v", err)
	}
}
