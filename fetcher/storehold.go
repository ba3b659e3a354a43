package fetcher

import (
	"sync"
	"time"

	"github.com/feedmill/feedmill/fetcher/schedule"
)

// storeHolds keeps in memory the due times of sources whose last fetch the
// store could not record (disk full, store closed, any failed commit). The
// stored state still says the source is due, so without a hold it would be
// fetched again at once; with one it backs off like a failed fetch (see
// storeBackoff). A hold ends when a fetch of the source is recorded. There
// is at most one hold per source in the store: Run drops holds of removed
// sources when it rebuilds its schedule.
type storeHolds struct {
	mu sync.Mutex
	m  map[uint64]storeHold
}

type storeHold struct {
	due      time.Time // not fetched before this
	failures int       // fetches in a row the store could not record
}

// fail notes that a fetch of source id at now could not be recorded and
// returns the due time applied: the later of planned (what the fetch's own
// schedule said) and now plus the store backoff.
func (h *storeHolds) fail(id uint64, now, planned time.Time, interval, maxInterval time.Duration) time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = make(map[uint64]storeHold)
	}
	n := h.m[id].failures + 1
	due := now.Add(schedule.StoreBackoff(n, interval, maxInterval))
	if planned.After(due) {
		due = planned
	}
	h.m[id] = storeHold{due: due, failures: n}
	return due
}

// clear ends source id's hold: its fetch was recorded.
func (h *storeHolds) clear(id uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.m, id)
}

// due is source id's held due time; false when it has none.
func (h *storeHolds) due(id uint64) (time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	hold, ok := h.m[id]
	return hold.due, ok
}

// keepOnly drops the holds of sources not in live.
func (h *storeHolds) keepOnly(live map[uint64]bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id := range h.m {
		if !live[id] {
			delete(h.m, id)
		}
	}
}

// len is the number of holds.
func (h *storeHolds) len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.m)
}
