package main

import (
	"log/slog"
	"runtime/debug"
	"testing"
)

// TestSetMemoryLimit: the daemon's soft memory limit is the cache budget
// plus the fixed overhead, unless GOMEMLIMIT is set.
func TestSetMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	log := slog.New(slog.DiscardHandler)

	t.Setenv("GOMEMLIMIT", "")
	if got, want := setMemoryLimit(64<<20, log), int64(64<<20+memoryOverhead); got != want || debug.SetMemoryLimit(-1) != want {
		t.Errorf("limit = %d (runtime %d), want %d", got, debug.SetMemoryLimit(-1), want)
	}
	debug.SetMemoryLimit(1 << 40) // as if GOMEMLIMIT had set it
	t.Setenv("GOMEMLIMIT", "1TiB")
	if got := setMemoryLimit(64<<20, log); got != 1<<40 {
		t.Errorf("with GOMEMLIMIT set: limit = %d, want the runtime's %d", got, int64(1<<40))
	}
}
