package fetcher

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage/bolt"

	"github.com/feedmill/feedmill/fetcher/schedule"
	"github.com/feedmill/feedmill/internal/testfs"
	"github.com/feedmill/feedmill/internal/testlog"
	"github.com/feedmill/feedmill/storage"
)

// generationServer serves a feed per path whose items are new at every
// request (so that every fetch has something to commit), and counts the
// requests per path.
type generationServer struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
}

func newGenerationServer(t *testing.T) *generationServer {
	g := &generationServer{hits: map[string]int{}}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		g.hits[r.URL.Path]++
		n := g.hits[r.URL.Path]
		g.mu.Unlock()
		var b strings.Builder
		b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>gen</title><link>https://example.org/</link>`)
		for i := range 10 {
			fmt.Fprintf(&b, `<item><title>%s %d.%d</title><guid>%s-%d-%d</guid><description>%s</description></item>`,
				r.URL.Path, n, i, r.URL.Path, n, i, strings.Repeat(fmt.Sprintf("word%d%d ", n, i), 300))
		}
		b.WriteString(`</channel></rss>`)
		fmt.Fprint(w, b.String())
	}))
	t.Cleanup(g.Close)
	return g
}

func (g *generationServer) count(path string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.hits[path]
}

// maxFetchesWithin is how many fetches the store backoff allows in window
// from a first fetch at its start: fetch k+1 comes schedule.StoreBackoff(k) after
// fetch k at the earliest.
func maxFetchesWithin(window, interval, maxInterval time.Duration) int {
	n, at := 1, time.Duration(0)
	for {
		at += schedule.StoreBackoff(n, interval, maxInterval)
		if at > window {
			return n
		}
		n++
	}
}

// TestStoreFullBacksOff: with the store on a full disk every commit fails;
// Run must then poll each source no more often than the store backoff
// allows (with and without per-host spacing), and once space returns the
// items are stored and the source is back on its normal schedule.
func TestStoreFullBacksOff(t *testing.T) {
	for _, hostInterval := range []time.Duration{-1, 50 * time.Millisecond} {
		t.Run(fmt.Sprintf("per_host_interval=%s", max(hostInterval, 0)), func(t *testing.T) {
			testStoreFullBacksOff(t, hostInterval)
		})
	}
}

func testStoreFullBacksOff(t *testing.T, hostInterval time.Duration) {
	const (
		interval    = 300 * time.Millisecond
		maxInterval = 1200 * time.Millisecond
		window      = 3 * time.Second
	)
	dir := testfs.Tmpfs(t, "2m")
	var logs testlog.Buffer
	st, err := bolt.Open(filepath.Join(dir, "feedmill.db"), storage.Options{Logger: logs.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	logs.Reset() // the new store's own lines
	srv := newGenerationServer(t)
	paths := []string{"/a", "/b", "/c"}
	for _, p := range paths {
		if _, err := st.UpsertSource(context.Background(), storage.Source{URL: srv.URL + p, Every: interval, Origin: storage.OriginCLI}); err != nil {
			t.Fatal(err)
		}
	}
	filler := filepath.Join(dir, "filler")
	testfs.Fill(t, filler)

	f := newTestFetcher(st, nil, func(o *Options) {
		o.MinInterval, o.Every, o.MaxInterval = interval, interval, maxInterval
		o.HostInterval = hostInterval
		o.Logger = logs.Logger()
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})

	time.Sleep(window)
	limit := maxFetchesWithin(window, interval, maxInterval)
	for _, p := range paths {
		n := srv.count(p)
		if n < 2 || n > limit {
			t.Errorf("%s: %d requests in %s with the disk full, want 2..%d (store backoff from %s, capped at %s)",
				p, n, window, limit, interval, maxInterval)
		}
		if s := getSource(t, st, srv.URL+p); !s.State.LastFetch.IsZero() {
			t.Fatalf("%s: a fetch was recorded on a full disk (the test's disk is not full)", p)
		}
	}
	if f.holds.len() != len(paths) {
		t.Errorf("%d store holds, want %d", f.holds.len(), len(paths))
	}
	m := f.Metrics()
	if m.StoreErrors == 0 || m.Outcomes[OutcomeStoreError] != m.StoreErrors || m.Outcomes[OutcomeStored] != 0 || m.ByStatus["2xx"] != 0 {
		t.Errorf("metrics on a full disk: %+v", m)
	}
	// One line for the cause, none per fetch.
	if n, all := logs.Count("level="), logs.Count(`msg="store cannot commit`); n != 1 || all != 1 {
		t.Errorf("%d log lines, %d about the store, want 1 of each:\n%s", n, all, logs.String())
	}

	// Space returns: the held sources are fetched within maxInterval and
	// their items stored.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(maxInterval + 3*time.Second)
	for _, p := range paths {
		for {
			s := getSource(t, st, srv.URL+p)
			if !s.State.LastSuccess.IsZero() && countItems(t, st, s.ID) > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: nothing stored %s after space returned", p, maxInterval+3*time.Second)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// And the schedule is the normal one again: the stored due time is
	// one interval (±10% jitter) after the fetch, no hold is left, and the
	// source is polled at its interval.
	before := map[string]int{}
	for _, p := range paths {
		before[p] = srv.count(p)
	}
	const normal = 1500 * time.Millisecond
	time.Sleep(normal)
	for _, p := range paths {
		s := getSource(t, st, srv.URL+p)
		if gap := s.State.NextDue.Sub(s.State.LastFetch); gap < interval*9/10 || gap > interval*11/10 {
			t.Errorf("%s: next due %s after the fetch, want %s ±10%%", p, gap, interval)
		}
		n := srv.count(p) - before[p]
		if lo, hi := 2, int(normal/(interval*9/10))+1; n < lo || n > hi {
			t.Errorf("%s: %d requests in %s after recovery, want %d..%d (every %s)", p, n, normal, lo, hi, interval)
		}
	}
	if n := f.holds.len(); n != 0 {
		t.Errorf("%d store holds left after recovery", n)
	}
	if m := f.Metrics(); m.Outcomes[OutcomeStored] == 0 || m.ItemsAdded == 0 {
		t.Errorf("metrics after recovery: %+v", m)
	}
	if n := logs.Count(`msg="store writable again after `); n != 1 {
		t.Errorf("%d lines saying the store is writable again, want 1:\n%s", n, logs.String())
	}
}

// TestStoreHoldDefersPass: a source held after a fetch the store could
// not record is not due for a pass (nor for Run) until its hold ends, is
// still fetched when named, and a recorded fetch ends the hold. Holds of removed sources go when Run rebuilds its schedule.
func TestStoreHoldDefersPass(t *testing.T) {
	srv, hits := pathCountingServer(t)
	clock := newClock()
	st := openStore(t, clock)
	src := addSource(t, st, srv.URL+"/a")
	gone := addSource(t, st, srv.URL+"/gone")
	f := newTestFetcher(st, clock, nil)
	due := f.holds.fail(src.ID, clock.Now(), time.Time{}, time.Hour, 24*time.Hour)
	f.holds.fail(gone.ID, clock.Now(), time.Time{}, time.Hour, 24*time.Hour)
	if !due.Equal(clock.Now().Add(time.Hour)) {
		t.Fatalf("held until %s, want an interval later", due)
	}
	if err := st.RemoveSource(t.Context(), gone.URL); err != nil {
		t.Fatal(err)
	}
	if _, err := f.buildHeap(nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.holds.due(gone.ID); ok {
		t.Error("hold of a removed source kept")
	}

	if rep := pass(t, f, PassOptions{}); len(rep.Results) != 0 {
		t.Fatalf("held source fetched by a pass: %+v", rep.Results)
	}
	clock.Add(time.Hour)
	if r := onlyResult(t, pass(t, f, PassOptions{})); r.Err != "" {
		t.Fatalf("after the hold: %+v", r)
	}
	if _, ok := f.holds.due(src.ID); ok {
		t.Error("hold kept after a recorded fetch")
	}
	// Named, a held source is fetched.
	f.holds.fail(src.ID, clock.Now(), time.Time{}, time.Hour, 24*time.Hour)
	if r := onlyResult(t, pass(t, f, PassOptions{URLs: []string{src.URL}})); r.Err != "" {
		t.Fatalf("named while held: %+v", r)
	}
	if h := hits(); h["/a"] != 2 {
		t.Errorf("hits %v", h)
	}
}
