package fetcher

import (
	"context"
	"fmt"
	"time"

	"github.com/feedmill/feedmill/storage"
)

// clusterPoll is how often a cluster pass looks at the sources it waits
// for.
const clusterPoll = 250 * time.Millisecond

// clusterPass is Pass on a store other processes claim from
// (PassOptions.Cluster): rather than fetch, it makes the pass's sources due
// now (Claimer.ForceDue) and waits until each was fetched since, emitting a
// Result read from its stored state as it lands. It gives up on the sources
// still waiting when none landed for a lease's time (two fetch timeouts
// and half a minute): each gets a Result saying the cluster did not fetch
// it.
func (f *Fetcher) clusterPass(ctx context.Context, c storage.Claimer, pick []storage.Source, emit func(Result)) error {
	start := f.opts.Now()
	ids := make([]uint64, 0, len(pick))
	waiting := make(map[uint64]storage.Source, len(pick))
	for _, s := range pick {
		if s.Paused {
			emit(Result{URL: s.URL, Status: s.State.LastStatus, Err: "skipped: paused (replicas fetch only active sources)"})
			continue
		}
		ids = append(ids, s.ID)
		waiting[s.ID] = s
	}
	if err := c.ForceDue(ctx, ids); err != nil {
		return fmt.Errorf("ask the cluster to fetch: %w", err)
	}
	stall := 2*f.opts.Timeout + 30*time.Second
	landed := time.Now()
	tick := time.NewTicker(clusterPoll)
	defer tick.Stop()
	for len(waiting) > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		for id, before := range waiting {
			now, err := f.store.Source(id)
			if err != nil || !now.State.LastFetch.Before(start) {
				delete(waiting, id)
				emit(f.clusterResult(before, now, err, start))
				landed = time.Now()
			}
		}
		if time.Since(landed) > stall {
			for id, s := range waiting {
				delete(waiting, id)
				emit(Result{URL: s.URL, Err: fmt.Sprintf("not fetched by the cluster within %s", stall)})
			}
		}
	}
	return nil
}

// clusterResult is the Result of a source another process fetched: its
// stored state after the fetch (now); Added counts its items first seen
// since start (addedSince).
func (f *Fetcher) clusterResult(before, now storage.Source, err error, start time.Time) Result {
	if err != nil {
		return Result{URL: before.URL, Err: "store: source removed while it was fetched"}
	}
	st := now.State
	r := Result{URL: now.URL, Status: st.LastStatus, NotModified: st.LastStatus == 304, Err: st.LastError, NextDue: st.NextDue}
	if st.LastStatus == 200 {
		r.Added = f.addedSince(now.ID, start)
	}
	return r
}

// addedSince counts the source's items first seen at or after start,
// reading its items newest first until addedScanStop in a row are older
// (new items are the newest a feed carries, bar a few out of order).
func (f *Fetcher) addedSince(id uint64, start time.Time) int {
	n, older := 0, 0
	_ = f.store.Items(storage.Query{SourceIDs: []uint64{id}}, func(it storage.Item) bool {
		if it.FirstSeen.Before(start) {
			older++
		} else {
			n, older = n+1, 0
		}
		return older < addedScanStop
	})
	return n
}

// addedScanStop is how many items in a row first seen before a cluster
// pass end addedSince's count.
const addedScanStop = 20
