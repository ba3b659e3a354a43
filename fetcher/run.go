package fetcher

import (
	"container/heap"
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/adhocore/gronx"

	"github.com/feedmill/feedmill/storage"
)

// idleWait is how long Run sleeps when no source is scheduled at all (it
// also wakes on Reschedule).
const idleWait = time.Hour

// dueEntry is one scheduled source in Run's heap.
type dueEntry struct {
	due time.Time
	id  uint64
}

// dueHeap is a min-heap of dueEntry by due time.
type dueHeap []dueEntry

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(dueEntry)) }
func (h *dueHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// scheduledAt is when Run should next fetch s; false when never (paused or
// retired).
func (f *Fetcher) scheduledAt(s storage.Source) (time.Time, bool) {
	if s.Paused || s.State.Retired {
		return time.Time{}, false
	}
	due := f.dueTime(s)
	if due.Before(s.State.RetryUntil) {
		due = s.State.RetryUntil
	}
	return due, true
}

// Run fetches each source when it is due until ctx ends. On a store shared
// by several processes (a storage.Claimer) it fetches what the store hands
// it instead (runClaimed, claim.go); otherwise it keeps its own schedule. It keeps a
// min-heap of (next due, source) built from the store, sleeps until the
// earliest, hands the due sources to a fixed pool of Options.Workers
// workers (so 10,000 sources due at once are 10,000 queue entries, not
// 10,000 goroutines) with the same per-host limits as Pass, and schedules
// each again at its new due time once it is recorded. Reschedule makes it
// rebuild the heap from the store. Because due times live in the store, a
// restarted Run fetches only what is due.
//
// With Options.Cron set, Run instead runs a Pass over the due sources at
// each tick of that expression, and nothing between ticks.
//
// When ctx ends, Run starts no new fetch, waits until the fetches in
// flight are recorded, and returns nil. It returns an error only when the
// store cannot list its sources at the start, or Options.Cron does not
// parse.
func (f *Fetcher) Run(ctx context.Context) error {
	if c, ok := f.store.(storage.Claimer); ok {
		var ticks <-chan struct{}
		if expr := strings.TrimSpace(f.opts.Cron); expr != "" {
			if _, err := nextCronTick(expr, f.opts.Now()); err != nil {
				return fmt.Errorf("run: fetch.cron %q: %w", expr, err)
			}
			ticks = f.cronTicks(ctx, expr)
		}
		return f.runClaimed(ctx, c, ticks)
	}
	if f.opts.Cron != "" {
		return f.runCron(ctx)
	}
	h, err := f.buildHeap(nil)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	jobs, done, stop := startWorkers(f.opts.Workers, func(id uint64) { f.runOne(ctx, id) })
	var queue []uint64                // due, waiting for a worker
	inflight := make(map[uint64]bool) // queued or being fetched
	timer := time.NewTimer(0)
	defer timer.Stop()

	for {
		wait := idleWait
		if len(h) > 0 {
			wait = max(h[0].due.Sub(f.opts.Now()), 0)
		}
		timer.Reset(wait)
		var send chan<- uint64
		var next uint64
		if len(queue) > 0 {
			send, next = jobs, queue[0]
		}

		select {
		case <-ctx.Done():
			stop()
			return nil

		case send <- next:
			queue = queue[1:]

		case <-f.resched:
			nh, err := f.buildHeap(inflight)
			if err != nil {
				f.log.Error("run: reschedule", "err", err)
				break
			}
			h = nh

		case id := <-done:
			delete(inflight, id)
			if s, err := f.store.Source(id); err == nil {
				if due, ok := f.scheduledAt(s); ok {
					heap.Push(&h, dueEntry{due: due, id: id})
				}
			}

		case <-timer.C:
			queue = append(queue, f.popDue(&h, inflight)...)
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// popDue takes the sources due now off h, marks them in flight and
// returns them interleaved over their hosts. Entries of sources in flight,
// removed, paused or retired are dropped (those in flight are pushed back
// when they finish); a source fetched meanwhile goes back at its new due
// time.
func (f *Fetcher) popDue(h *dueHeap, inflight map[uint64]bool) []uint64 {
	now := f.opts.Now()
	var batch []storage.Source
	for len(*h) > 0 && !(*h)[0].due.After(now) {
		e := heap.Pop(h).(dueEntry)
		if inflight[e.id] {
			continue
		}
		s, err := f.store.Source(e.id)
		if err != nil {
			continue
		}
		due, ok := f.scheduledAt(s)
		if !ok {
			continue
		}
		if due.After(now) {
			heap.Push(h, dueEntry{due: due, id: e.id})
			continue
		}
		inflight[s.ID] = true
		batch = append(batch, s)
	}
	ids := make([]uint64, 0, len(batch))
	for _, s := range interleaveHosts(batch) {
		ids = append(ids, s.ID)
	}
	return ids
}

// runOne fetches source id for Run if it is still due when a worker takes
// it (a Pass may have fetched it meanwhile, or a user paused it).
func (f *Fetcher) runOne(ctx context.Context, id uint64) {
	s, err := f.store.Source(id)
	if err != nil || f.isBusy(id) || !f.eligible(s, f.opts.Now(), false) {
		return
	}
	f.fetchOne(ctx, s)
}

// runCron runs a Pass over the due sources at each tick of Options.Cron;
// a tick that comes while a pass runs is skipped.
func (f *Fetcher) runCron(ctx context.Context) error {
	expr := strings.TrimSpace(f.opts.Cron)
	if _, err := nextCronTick(expr, f.opts.Now()); err != nil {
		return fmt.Errorf("run: fetch.cron %q: %w", expr, err)
	}
	ticks := f.cronTicks(ctx, expr)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticks:
		}
		rep, err := f.Pass(ctx, PassOptions{})
		if err != nil {
			return nil // ctx ended; what was fetched is recorded
		}
		f.log.Info("cron pass", "sources", len(rep.Results), "failed", rep.Failed, "duration", rep.Duration)
		select {
		case <-ticks:
		default:
		}
	}
}

// startWorkers starts n workers that call do with each job sent on jobs
// and then send it on done (buffered n). stop closes jobs, lets the
// workers finish the jobs they hold, and discards what they report.
func startWorkers[T any](n int, do func(T)) (jobs chan<- T, done <-chan T, stop func()) {
	in, out := make(chan T), make(chan T, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range in {
				do(j)
				out <- j
			}
		}()
	}
	return in, out, func() {
		close(in)
		go func() { wg.Wait(); close(out) }()
		for range out {
		}
	}
}

// buildHeap schedules every active source from the store, leaving out
// those in skip (in flight: they are pushed back when they finish).
func (f *Fetcher) buildHeap(skip map[uint64]bool) (dueHeap, error) {
	sources, err := f.store.Sources()
	if err != nil {
		return nil, err
	}
	h := make(dueHeap, 0, len(sources))
	live := make(map[uint64]bool, len(sources))
	for _, s := range sources {
		live[s.ID] = true
		if skip[s.ID] {
			continue
		}
		if due, ok := f.scheduledAt(s); ok {
			h = append(h, dueEntry{due: due, id: s.ID})
		}
	}
	heap.Init(&h)
	f.holds.keepOnly(live)
	return h, nil
}

// Reschedule tells a running scheduler that sources were added, removed or
// changed in the store. It never blocks; without a running Run it does
// nothing.
func (f *Fetcher) Reschedule() {
	select {
	case f.resched <- struct{}{}:
	default:
	}
}

// nextCronTick is the first tick of the cron expression expr after now.
func nextCronTick(expr string, now time.Time) (time.Time, error) {
	return gronx.NextTickAfter(expr, now, false)
}
