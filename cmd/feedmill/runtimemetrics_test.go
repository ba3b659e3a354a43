package main

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

func TestRuntimeMetrics(t *testing.T) {
	var b bytes.Buffer
	writeRuntimeMetrics(&b)
	got := map[string]float64{}
	for _, line := range strings.Split(b.String(), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, v, ok := strings.Cut(line, " ")
		f, err := strconv.ParseFloat(v, 64)
		if !ok || err != nil {
			t.Fatalf("bad line %q", line)
		}
		got[name] = f
	}
	for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "go_memstats_heap_inuse_bytes",
		"go_memstats_sys_bytes", "process_open_fds"} {
		if got[name] <= 0 {
			t.Errorf("%s = %v, want above 0:\n%s", name, got[name], b.String())
		}
	}
	if got["go_memstats_heap_inuse_bytes"] < got["go_memstats_heap_alloc_bytes"] ||
		got["go_memstats_sys_bytes"] < got["go_memstats_heap_inuse_bytes"] {
		t.Errorf("heap in use below heap allocated, or above the runtime's total:\n%s", b.String())
	}
}
