package fetcher

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/feedmill/feedmill/storage"
)

// PassOptions choose what a pass fetches.
type PassOptions struct {
	All  bool     // ignore due times (never a retirement or a Retry-After window)
	URLs []string // only these sources (they must exist in the store); implies All for them
	// OnStart, when set, is called once with the number of sources the
	// pass will report, before any OnResult.
	OnStart func(total int)
	// OnResult, when set, is called once per source as it finishes
	// (from worker goroutines, serialized by the fetcher).
	OnResult func(Result)
	// Cluster hands the pass to the processes sharing the store (the
	// store must be a storage.Claimer): the sources are made due now and
	// the pass waits until they were fetched, by whichever process
	// claimed them.
	Cluster bool
}

// Result is the outcome of one source in a pass.
type Result struct {
	URL         string        `json:"url"`
	Status      int           `json:"status"` // HTTP status, 0 = none
	NotModified bool          `json:"not_modified,omitempty"`
	Added       int           `json:"added"`
	Updated     int           `json:"updated"`
	Err         string        `json:"error,omitempty"` // "" = success
	Duration    time.Duration `json:"duration"`
	NextDue     time.Time     `json:"next_due"`
}

// Report sums up a pass.
type Report struct {
	Results  []Result      `json:"results"`
	Failed   int           `json:"failed"`
	Duration time.Duration `json:"duration"`
}

// Pass fetches the due sources (or as PassOptions say) once, with
// Options.Workers workers and at most Options.PerHost requests to one host
// at a time, records each outcome in the store, and returns when all are
// recorded.
//
// Due sources are those whose NextDue has come, that are not paused or
// retired (410) and not inside a Retry-After window. With All, due times
// and pauses are ignored; with URLs, exactly those sources are fetched
// (an unknown URL gives a Result with Err "unknown source"; a retired
// source or one inside its Retry-After window gives a Result with Err
// "skipped: ..." and is not fetched).
//
// With full text (Options.FullText), Pass returns once every article page
// queued so far was tried once; retries go on while the Fetcher lives.
//
// When ctx ends, Pass starts no new fetch; the fetches in flight finish
// (within Options.Timeout) and are recorded, and Pass returns the results
// so far with ctx.Err().
func (f *Fetcher) Pass(ctx context.Context, po PassOptions) (Report, error) {
	start := time.Now()
	var rep Report
	sources, err := f.store.Sources()
	if err != nil {
		return rep, fmt.Errorf("list sources: %w", err)
	}
	pick, pre := f.choose(sources, po)
	if po.OnStart != nil {
		po.OnStart(len(pick) + len(pre))
	}

	var mu sync.Mutex // serializes OnResult and rep
	emit := func(r Result) {
		mu.Lock()
		defer mu.Unlock()
		rep.Results = append(rep.Results, r)
		if r.Err != "" {
			rep.Failed++
		}
		if po.OnResult != nil {
			po.OnResult(r)
		}
	}
	for _, r := range pre {
		emit(r)
	}
	if c, ok := f.store.(storage.Claimer); ok && po.Cluster {
		err := f.clusterPass(ctx, c, pick, emit)
		rep.Duration = time.Since(start)
		return rep, err
	}
	f.fetchAll(ctx, pick, emit)
	_ = f.pages.wait(ctx, true) // the pass's article pages, tried once
	rep.Duration = time.Since(start)
	f.metrics.pass(rep.Duration)
	return rep, ctx.Err()
}

// choose picks the sources a pass fetches, interleaved over their hosts,
// and the results of those named in po.URLs that it will not fetch.
func (f *Fetcher) choose(sources []storage.Source, po PassOptions) (pick []storage.Source, pre []Result) {
	now := f.opts.Now()
	if len(po.URLs) == 0 {
		for _, s := range sources {
			if f.eligible(s, now, po.All) {
				pick = append(pick, s)
			}
		}
		return interleaveHosts(pick), nil
	}
	byURL := make(map[string]storage.Source, len(sources))
	for _, s := range sources {
		byURL[s.URL] = s
	}
	seen := make(map[string]bool)
	for _, u := range po.URLs {
		if seen[u] {
			continue
		}
		seen[u] = true
		s, ok := byURL[u]
		switch {
		case !ok:
			pre = append(pre, Result{URL: u, Err: "unknown source"})
		case s.State.Retired:
			pre = append(pre, Result{URL: u, Status: s.State.LastStatus, Err: "skipped: retired (HTTP 410 Gone)"})
		case now.Before(s.State.RetryUntil):
			pre = append(pre, Result{URL: u, Status: s.State.LastStatus, NextDue: s.State.NextDue,
				Err: "skipped: server asked to retry after " + s.State.RetryUntil.UTC().Format(time.RFC3339)})
		default:
			pick = append(pick, s)
		}
	}
	return interleaveHosts(pick), pre
}

// fetchAll fetches pick with at most Options.Workers goroutines, passing
// each result to emit, until done or ctx ends (the fetches begun finish).
func (f *Fetcher) fetchAll(ctx context.Context, pick []storage.Source, emit func(Result)) {
	jobs := make(chan storage.Source)
	var wg sync.WaitGroup
	for range min(f.opts.Workers, len(pick)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for src := range jobs {
				if r, ok := f.fetchOne(ctx, src); ok {
					emit(r)
				}
			}
		}()
	}
feed:
	for _, s := range pick {
		select {
		case jobs <- s:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
}

// eligible reports whether a pass picks s: never when retired or inside a
// Retry-After window; with all, otherwise always; else when not paused and
// due (its stored due time, or its store hold's when the store could not
// record its last fetch).
func (f *Fetcher) eligible(s storage.Source, now time.Time, all bool) bool {
	if s.State.Retired || now.Before(s.State.RetryUntil) {
		return false
	}
	if all {
		return true
	}
	return !s.Paused && !f.dueTime(s).After(now)
}

// dueTime is when s is due: its stored NextDue, or later while a store
// hold lasts.
func (f *Fetcher) dueTime(s storage.Source) time.Time {
	due := s.State.NextDue
	if held, ok := f.holds.due(s.ID); ok && held.After(due) {
		due = held
	}
	return due
}

// fetchOne fetches and records one source, holding a worker slot and a
// slot of its host. It returns false when ctx ended before the fetch
// began (nothing was fetched or recorded). Once begun, the fetch is not
// cut short by ctx: it runs within Options.Timeout and is recorded.
func (f *Fetcher) fetchOne(ctx context.Context, src storage.Source) (Result, bool) {
	select {
	case f.slots <- struct{}{}:
	case <-ctx.Done():
		return Result{}, false
	}
	defer func() { <-f.slots }()
	host := hostKey(src.URL)
	if !f.hosts.acquire(ctx, host) {
		return Result{}, false
	}
	defer f.hosts.release(host)

	f.setBusy(src.ID, true)
	defer f.setBusy(src.ID, false)

	start := time.Now()
	bg := context.WithoutCancel(ctx)
	fetch, res := f.fetchSource(bg, src)
	fetch.Lease = src.Lease
	plan := f.planPages(src, fetch.Items)
	ing, err := f.record(bg, src, fetch)
	res.Added, res.Updated = ing.Added, ing.Updated
	if err == nil {
		f.queuePages(plan, fetch.Items, ing.Changed)
	}
	res.Duration = time.Since(start)
	storeErr := err != nil && !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, storage.ErrLeaseLost)
	switch {
	case errors.Is(err, storage.ErrLeaseLost):
		res.Err = "store: lease lost: another process fetches the source now"
	case storeErr:
		res.NextDue = f.holds.fail(src.ID, fetch.State.LastFetch, fetch.State.NextDue, fetch.State.Interval, f.opts.MaxInterval)
		res.Err = "store: " + shorten(err.Error())
	case err != nil:
		res.Err = "store: source removed while it was fetched"
	default:
		f.holds.clear(src.ID)
	}
	f.metrics.observe(res, ing, storeErr)
	if err == nil && fetch.NewURL != "" {
		f.log.Info("fetch: source moved", "url", src.URL, "new_url", fetch.NewURL)
	}
	switch {
	case storeErr:
		f.log.Debug("fetch not stored", "url", src.URL, "status", res.Status, "err", err, "next_due", res.NextDue)
	case fetch.State.NetworkDown:
		f.log.Debug("fetch failed, network down", "url", src.URL, "err", res.Err, "next_due", res.NextDue)
	case res.Err != "":
		f.log.Warn("fetch failed", "url", src.URL, "status", res.Status, "err", res.Err, "next_due", res.NextDue)
	default:
		f.log.Debug("fetched", "url", src.URL, "status", res.Status, "added", res.Added, "updated", res.Updated,
			"duration", res.Duration, "next_due", res.NextDue)
	}
	return res, true
}

// record stores a fetch. A new URL another source has already is dropped
// (the source keeps its old URL) rather than losing the fetch. That is
// logged only when the fetch could be stored without it: when the store
// cannot commit at all, the store's own line says so, once.
func (f *Fetcher) record(ctx context.Context, src storage.Source, fetch storage.Fetch) (storage.Ingested, error) {
	ing, err := f.store.RecordFetch(ctx, fetch)
	if err != nil && fetch.NewURL != "" && !errors.Is(err, storage.ErrClosed) {
		moveErr, newURL := err, fetch.NewURL
		fetch.NewURL = ""
		ing, err = f.store.RecordFetch(ctx, fetch)
		if err == nil {
			f.log.Warn("fetch: cannot move source", "url", src.URL, "new_url", newURL, "err", moveErr)
		}
	}
	return ing, err
}

func (f *Fetcher) setBusy(id uint64, b bool) {
	f.busyMu.Lock()
	defer f.busyMu.Unlock()
	if b {
		f.busy[id] = true
	} else {
		delete(f.busy, id)
	}
}

func (f *Fetcher) isBusy(id uint64) bool {
	f.busyMu.Lock()
	defer f.busyMu.Unlock()
	return f.busy[id]
}

// hostKey is the per-host limit's key for a source URL: its lower-case
// host name (ports of one host share the limit).
func hostKey(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return strings.ToLower(u.Hostname())
}

// interleaveHosts orders sources round-robin over their hosts, keeping each
// host's order, so that workers rarely wait for a busy host while others
// are idle.
func interleaveHosts(in []storage.Source) []storage.Source {
	if len(in) < 2 {
		return in
	}
	var hosts []string
	groups := make(map[string][]storage.Source)
	for _, s := range in {
		h := hostKey(s.URL)
		if _, ok := groups[h]; !ok {
			hosts = append(hosts, h)
		}
		groups[h] = append(groups[h], s)
	}
	out := make([]storage.Source, 0, len(in))
	for len(out) < len(in) {
		for _, h := range hosts {
			if g := groups[h]; len(g) > 0 {
				out = append(out, g[0])
				groups[h] = g[1:]
			}
		}
	}
	return out
}

// hostLimiter bounds the requests in flight to each host.
type hostLimiter struct {
	n  int
	mu sync.Mutex
	m  map[string]*hostSlot
}

type hostSlot struct {
	ch    chan struct{}
	users int // holders and waiters; the slot is dropped at zero
}

func newHostLimiter(n int) *hostLimiter {
	return &hostLimiter{n: n, m: make(map[string]*hostSlot)}
}

// acquire waits for a slot of host; false when ctx ended first.
func (l *hostLimiter) acquire(ctx context.Context, host string) bool {
	l.mu.Lock()
	s := l.m[host]
	if s == nil {
		s = &hostSlot{ch: make(chan struct{}, l.n)}
		l.m[host] = s
	}
	s.users++
	l.mu.Unlock()
	select {
	case s.ch <- struct{}{}:
		return true
	case <-ctx.Done():
		l.done(host, s)
		return false
	}
}

// release frees a slot taken by acquire.
func (l *hostLimiter) release(host string) {
	l.mu.Lock()
	s := l.m[host]
	l.mu.Unlock()
	<-s.ch
	l.done(host, s)
}

func (l *hostLimiter) done(host string, s *hostSlot) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s.users--
	if s.users == 0 {
		delete(l.m, host)
	}
}
