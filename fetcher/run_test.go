package fetcher

import (
	"container/heap"
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage/bolt"

	"github.com/feedmill/feedmill/storage"
)

func TestDueHeap(t *testing.T) {
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var h dueHeap
	for i, m := range []int{30, 5, 20, 1, 10} {
		heap.Push(&h, dueEntry{due: base.Add(time.Duration(m) * time.Minute), id: uint64(i)})
	}
	var got []uint64
	for h.Len() > 0 {
		got = append(got, heap.Pop(&h).(dueEntry).id)
	}
	if fmt.Sprint(got) != "[3 1 4 2 0]" {
		t.Errorf("order %v", got)
	}
}

// pathCountingServer serves sampleRSS and counts the requests per path.
func pathCountingServer(t *testing.T) (*httptest.Server, func() map[string]int) {
	t.Helper()
	var mu sync.Mutex
	hits := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		fmt.Fprint(w, sampleRSS)
	}))
	t.Cleanup(srv.Close)
	return srv, func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(hits)
	}
}

func TestRun(t *testing.T) {
	srv, hits := pathCountingServer(t)
	st := openStore(t, nil)
	addSource(t, st, srv.URL+"/a")
	f := newTestFetcher(st, nil, nil)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()

	waitFor := func(path string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if s, err := st.SourceByURL(srv.URL + path); err == nil && !s.State.LastSuccess.IsZero() {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("%s never fetched", path)
	}
	waitFor("/a")
	addSource(t, st, srv.URL+"/b")
	f.Reschedule()
	waitFor("/b")
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
	if h := hits(); h["/a"] != 1 || h["/b"] != 1 {
		t.Errorf("hits %v: each source once (next due is 30m away)", h)
	}
}

// TestRunRestartFetchesOnlyDue: due times live in the store, so a
// restarted daemon (a new Fetcher on the reopened bbolt file) fetches only
// the source that is due, not the ones fetched before the restart.
func TestRunRestartFetchesOnlyDue(t *testing.T) {
	srv, hits := pathCountingServer(t)
	path := filepath.Join(t.TempDir(), "feedmill.db")

	runUntil := func(st storage.Store, fetched ...string) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- newTestFetcher(st, nil, nil).Run(ctx) }()
		deadline := time.Now().Add(5 * time.Second)
		for _, p := range fetched {
			for {
				if s, err := st.SourceByURL(srv.URL + p); err == nil && !s.State.LastSuccess.IsZero() {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s never fetched", p)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		time.Sleep(200 * time.Millisecond) // room for unwanted requests
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
	}

	st, err := bolt.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/a", "/b", "/c"} {
		addSource(t, st, srv.URL+p)
	}
	runUntil(st, "/a", "/b", "/c")
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st, err = bolt.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	addSource(t, st, srv.URL+"/d")
	runUntil(st, "/d")

	want := map[string]int{"/a": 1, "/b": 1, "/c": 1, "/d": 1}
	if h := hits(); fmt.Sprint(h) != fmt.Sprint(want) {
		t.Errorf("requests %v, want %v", h, want)
	}
}

// TestRunBoundedWorkers: many sources due at once are fetched by the
// fixed worker pool, not by a goroutine each.
func TestRunBoundedWorkers(t *testing.T) {
	const sources, workers = 200, 4
	var inFlight, peak, total atomic.Int32
	var peakGoroutines atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		for g, p := int64(runtime.NumGoroutine()), peakGoroutines.Load(); g > p && !peakGoroutines.CompareAndSwap(p, g); p = peakGoroutines.Load() {
		}
		time.Sleep(5 * time.Millisecond)
		total.Add(1)
		w.WriteHeader(http.StatusNotModified)
	}))
	defer srv.Close()
	st := openStore(t, nil)
	for i := range sources {
		addSource(t, st, fmt.Sprintf("%s/feed/%d", srv.URL, i))
	}
	f := newTestFetcher(st, nil, func(o *Options) { o.Workers = workers; o.PerHost = 50 })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for total.Load() < sources && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if total.Load() != sources {
		t.Fatalf("%d of %d sources fetched", total.Load(), sources)
	}
	if p := peak.Load(); p > workers {
		t.Errorf("%d requests in flight, want at most %d workers", p, workers)
	}
	// Test, server and pool goroutines: far fewer than one per source.
	if g := peakGoroutines.Load(); g > 60 {
		t.Errorf("%d goroutines while %d sources were due", g, sources)
	}
}

// TestRunCron: with Options.Cron the sources are fetched at the ticks of
// the expression, not when they come due.
func TestRunCron(t *testing.T) {
	tests := []struct {
		cron      string
		wait      time.Duration
		wantFetch bool
	}{
		{"* * * * * *", 2500 * time.Millisecond, true}, // every second (gronx's seconds field)
		{"0 0 1 1 *", 600 * time.Millisecond, false},   // once a year: not within the test
	}
	for _, tt := range tests {
		t.Run(tt.cron, func(t *testing.T) {
			var hits atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				fmt.Fprint(w, sampleRSS)
			}))
			defer srv.Close()
			st := openStore(t, nil)
			addSource(t, st, srv.URL+"/a")
			addSource(t, st, srv.URL+"/b")
			f := newTestFetcher(st, nil, func(o *Options) { o.Cron = tt.cron })
			ctx, cancel := context.WithTimeout(context.Background(), tt.wait)
			defer cancel()
			if err := f.Run(ctx); err != nil {
				t.Fatal(err)
			}
			got := hits.Load()
			if tt.wantFetch && got != 2 {
				t.Errorf("%d requests, want 2 (one per source: after the first tick they are not due)", got)
			}
			if !tt.wantFetch && got != 0 {
				t.Errorf("%d requests before the first tick", got)
			}
		})
	}
	f := newTestFetcher(openStore(t, nil), nil, func(o *Options) { o.Cron = "every day" })
	if err := f.Run(context.Background()); err == nil {
		t.Error("bad cron accepted")
	}
}
