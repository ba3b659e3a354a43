package main

import (
	"log/slog"
	"os"
	"runtime/debug"
)

// memoryOverhead is what the daemon may hold besides its render cache: the
// fetch workers' bodies and items in flight, the store's write queue, the
// channels' current assemblies and resolutions, goroutine stacks.
const memoryOverhead = 128 << 20

// setMemoryLimit gives the Go runtime a soft memory limit of the render
// cache's budget plus memoryOverhead, so that the garbage collector works
// harder as the process nears it instead of letting garbage double the
// heap. A GOMEMLIMIT in the environment wins (the runtime has read it
// already). It returns the limit in force.
func setMemoryLimit(cacheBytes int64, log *slog.Logger) int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return debug.SetMemoryLimit(-1)
	}
	limit := cacheBytes + memoryOverhead
	debug.SetMemoryLimit(limit)
	log.Debug("memory limit", "bytes", limit)
	return limit
}
