// Package versions is the change counter behind storage.Store's Version,
// kept in memory by each backend: one global number that grows with every
// change, and for each source the global number of its last change.
//
// It must not know what changed or why: the backend bumps it after its
// commits (and, for a shared store, when it learns of another process's).
package versions

import (
	"sync"
	"sync/atomic"
)

// Counter is safe for concurrent use once Init has run.
type Counter struct {
	global atomic.Uint64
	base   uint64 // the global value at Init: sources unchanged since
	mu     sync.RWMutex
	per    map[uint64]uint64 // source ID -> global value at its last change
}

// Init starts the counter at 1.
func (v *Counter) Init() {
	v.global.Store(1)
	v.base = 1
	v.per = make(map[uint64]uint64)
}

// Bump records a change of the given sources (none = a global change
// only).
func (v *Counter) Bump(ids ...uint64) {
	v.mu.Lock()
	g := v.global.Add(1)
	for _, id := range ids {
		v.per[id] = g
	}
	v.mu.Unlock()
}

// Get is the number of the last change of any of the sources (nil = of
// anything).
func (v *Counter) Get(ids []uint64) uint64 {
	if ids == nil {
		return v.global.Load()
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	n := v.base
	for _, id := range ids {
		if m, ok := v.per[id]; ok && m > n {
			n = m
		}
	}
	return n
}
