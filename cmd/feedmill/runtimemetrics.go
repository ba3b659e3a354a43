package main

import (
	"fmt"
	"io"
	"os"
	"runtime/metrics"
)

// runtimeSamples are the Go runtime figures /metrics reports, read
// without stopping the world (runtime/metrics).
var runtimeSamples = []struct {
	name, help, source string
}{
	{"go_goroutines", "Goroutines that exist now.", "/sched/goroutines:goroutines"},
	{"go_memstats_heap_alloc_bytes", "Bytes of live and not yet swept heap objects.", "/memory/classes/heap/objects:bytes"},
	{"go_memstats_heap_released_bytes", "Heap bytes handed back to the operating system.", "/memory/classes/heap/released:bytes"},
	{"go_memstats_sys_bytes", "Bytes of memory the Go runtime mapped from the operating system.", "/memory/classes/total:bytes"},
}

// writeRuntimeMetrics writes the daemon's Go runtime and process figures
// in the Prometheus text format, under the names Prometheus' Go client
// uses: goroutines, heap, the runtime's memory and open file descriptors.
func writeRuntimeMetrics(w io.Writer) {
	s := make([]metrics.Sample, len(runtimeSamples)+1)
	for i, r := range runtimeSamples {
		s[i].Name = r.source
	}
	s[len(runtimeSamples)].Name = "/memory/classes/heap/unused:bytes"
	metrics.Read(s)
	value := func(v metrics.Value) uint64 {
		if v.Kind() == metrics.KindUint64 {
			return v.Uint64()
		}
		return 0
	}
	gauge := func(name, help string, v uint64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %d\n", name, help, name, name, v)
	}
	for i, r := range runtimeSamples {
		gauge(r.name, r.help, value(s[i].Value))
	}
	// Heap in use: the objects (runtimeSamples[1]) and the free slots of
	// their spans.
	gauge("go_memstats_heap_inuse_bytes", "Bytes in heap spans in use (objects and their free slots).",
		value(s[1].Value)+value(s[len(runtimeSamples)].Value))
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		gauge("process_open_fds", "Open file descriptors.", uint64(len(fds)))
	}
}
