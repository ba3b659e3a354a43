package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedmill/feedmill/storage"
)

// Defaults of the daemon's memReleaser.
const (
	// memReleaseGrowth is how much the process's file-backed resident
	// memory must have grown since the last release before the next one.
	memReleaseGrowth = 16 << 20
	// memReleaseSlowRequest: an HTTP request that took at least this long
	// may have read the store (a render); cached answers take microseconds.
	memReleaseSlowRequest = 2 * time.Millisecond
	// memReleaseEvery is how often the daemon checks anyway (after passes,
	// control-socket work, anything that read the store without a request).
	memReleaseEvery = 30 * time.Second
)

// memReleaser keeps the daemon's VmRSS small on a large store: bbolt maps
// the whole file, and every page a render, a pass or retention touches (plus
// the kernel's fault-around, up to 64 KB per fault) stays counted in the
// daemon's RSS. After such work, when the file-backed resident memory grew
// by growth bytes since the last release, it calls Store.ReleaseMemory,
// which hands those clean page-cache pages back (they stay cached; the next
// read faults them in again). Checking costs one read of /proc/self/statm;
// where that file does not exist (not Linux) it never releases.
type memReleaser struct {
	store  *storage.Store
	log    *slog.Logger
	growth int64         // bytes of growth that trigger a release
	slow   time.Duration // requests at least this long trigger a check

	mu       sync.Mutex // one check at a time; others skip
	base     int64      // file-backed resident bytes after the last release
	releases atomic.Int64
}

func newMemReleaser(st *storage.Store, log *slog.Logger) *memReleaser {
	return &memReleaser{store: st, log: log, growth: memReleaseGrowth, slow: memReleaseSlowRequest}
}

// fileResident is the process's file-backed (and shared) resident memory
// in bytes: the third field of /proc/self/statm, in pages.
func fileResident() (int64, bool) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	f := bytes.Fields(b)
	if len(f) < 3 {
		return 0, false
	}
	pages, err := strconv.ParseInt(string(f[2]), 10, 64)
	if err != nil || pages < 0 {
		return 0, false
	}
	return pages * int64(os.Getpagesize()), true
}

// check releases the store's mapped pages when the file-backed resident
// memory grew by at least m.growth since the last release. It returns
// whether it released. Concurrent calls skip while one runs.
func (m *memReleaser) check() bool {
	if !m.mu.TryLock() {
		return false
	}
	defer m.mu.Unlock()
	cur, ok := fileResident()
	if !ok || cur-m.base < m.growth {
		return false
	}
	if err := m.store.ReleaseMemory(); err != nil {
		m.log.Warn("release store memory", "err", err)
		return false
	}
	if after, ok := fileResident(); ok {
		m.base = after
	}
	m.releases.Add(1)
	return true
}

// loop checks every `every` until ctx ends.
func (m *memReleaser) loop(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.check()
		}
	}
}
