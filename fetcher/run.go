package fetcher

import (
	"container/heap"
	"context"
	"fmt"
	"sync"
	"time"

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
func scheduledAt(s storage.Source) (time.Time, bool) {
	if s.Paused || s.State.Retired {
		return time.Time{}, false
	}
	due := s.State.NextDue
	if due.Before(s.State.RetryUntil) {
		due = s.State.RetryUntil
	}
	return due, true
}

// Run fetches each source when it is due until ctx ends. It keeps a
// min-heap of (next due, source) built from the store, sleeps until the
// earliest, fetches the due sources with the same worker and per-host
// limits as Pass, and schedules them again at their new due time.
// Reschedule makes it rebuild the heap from the store.
//
// When ctx ends, Run starts no new fetch, waits until the fetches in
// flight are recorded, and returns nil. It returns an error only when the
// store cannot list its sources at the start.
func (f *Fetcher) Run(ctx context.Context) error {
	h, err := f.buildHeap(nil)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	inflight := make(map[uint64]bool)
	done := make(chan uint64)
	var wg sync.WaitGroup
	timer := time.NewTimer(0)
	defer timer.Stop()

	for {
		wait := idleWait
		if len(h) > 0 {
			wait = max(h[0].due.Sub(f.opts.Now()), 0)
		}
		timer.Reset(wait)

		select {
		case <-ctx.Done():
			// Drain finished fetches while waiting for the others.
			go func() { wg.Wait(); close(done) }()
			for range done {
			}
			return nil

		case <-f.resched:
			nh, err := f.buildHeap(inflight)
			if err != nil {
				f.log.Error("run: reschedule", "err", err)
				continue
			}
			h = nh

		case id := <-done:
			delete(inflight, id)
			if s, err := f.store.Source(id); err == nil {
				if due, ok := scheduledAt(s); ok {
					heap.Push(&h, dueEntry{due: due, id: id})
				}
			}

		case <-timer.C:
			now := f.opts.Now()
			for len(h) > 0 && !h[0].due.After(now) {
				e := heap.Pop(&h).(dueEntry)
				if inflight[e.id] {
					continue // pushed back when it finishes
				}
				s, err := f.store.Source(e.id)
				if err != nil {
					continue // removed
				}
				due, ok := scheduledAt(s)
				if !ok {
					continue
				}
				if due.After(now) || f.isBusy(s.ID) {
					// Fetched meanwhile (a Pass), or being fetched.
					if !due.After(now) {
						due = now.Add(time.Minute)
					}
					heap.Push(&h, dueEntry{due: due, id: e.id})
					continue
				}
				inflight[s.ID] = true
				wg.Add(1)
				go func(s storage.Source) {
					defer wg.Done()
					f.fetchOne(ctx, s)
					done <- s.ID
				}(s)
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
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
	for _, s := range sources {
		if skip[s.ID] {
			continue
		}
		if due, ok := scheduledAt(s); ok {
			h = append(h, dueEntry{due: due, id: s.ID})
		}
	}
	heap.Init(&h)
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
