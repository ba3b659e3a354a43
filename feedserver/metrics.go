package feedserver

import (
	"fmt"
	"io"
	"net/http"
	"sync/atomic"

	"github.com/feedmill/feedmill/feedserver/channel"
)

// serverMetrics are the publishing side's counters for /metrics. They
// start at zero with each Server (a config reload makes a new one);
// Prometheus reads a counter that goes back to zero as a reset.
type serverMetrics struct {
	channels []string // config order
	by       map[string]*channelMetrics
}

type channelMetrics struct {
	requests    atomic.Uint64 // feed and preview responses, 304s included
	notModified atomic.Uint64
	collapsed   atomic.Int64 // duplicates collapsed in the last build of the first page
}

func newServerMetrics(chs []*channel.Channel) *serverMetrics {
	m := &serverMetrics{by: make(map[string]*channelMetrics, len(chs))}
	for _, ch := range chs {
		m.channels = append(m.channels, ch.Name)
		m.by[ch.Name] = &channelMetrics{}
	}
	return m
}

// request counts one response of a channel.
func (m *serverMetrics) request(channel string, notModified bool) {
	c := m.by[channel]
	if c == nil {
		return
	}
	c.requests.Add(1)
	if notModified {
		c.notModified.Add(1)
	}
}

// collapsed records how many copies of stories the channel's first page
// left out in its last build.
func (m *serverMetrics) setCollapsed(channel string, n int) {
	if c := m.by[channel]; c != nil {
		c.collapsed.Store(int64(n))
	}
}

// serveMetrics writes /metrics in the Prometheus text format (version
// 0.0.4): the channels' counters, the store's size, then ExtraMetrics.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if r.Method == http.MethodHead {
		return
	}
	s.WriteMetrics(w)
}

// WriteMetrics writes what /metrics serves.
func (s *Server) WriteMetrics(w io.Writer) {
	family(w, "feedmill_channel_requests_total", "counter", "Feed and preview responses per channel, 304s included.")
	for _, name := range s.metrics.channels {
		fmt.Fprintf(w, "feedmill_channel_requests_total{channel=%q} %d\n", name, s.metrics.by[name].requests.Load())
	}
	family(w, "feedmill_channel_not_modified_total", "counter", "304 Not Modified responses per channel.")
	for _, name := range s.metrics.channels {
		fmt.Fprintf(w, "feedmill_channel_not_modified_total{channel=%q} %d\n", name, s.metrics.by[name].notModified.Load())
	}
	family(w, "feedmill_channel_items_collapsed", "gauge", "Copies of stories from other sources left out of the channel's first page at its last build.")
	for _, name := range s.metrics.channels {
		fmt.Fprintf(w, "feedmill_channel_items_collapsed{channel=%q} %d\n", name, s.metrics.by[name].collapsed.Load())
	}
	family(w, "feedmill_renders_total", "counter", "Feed documents rendered (cache misses).")
	fmt.Fprintf(w, "feedmill_renders_total %d\n", s.cache.builds.Load())
	healthy := 1
	if s.CheckHealth() != nil {
		healthy = 0
	}
	family(w, "feedmill_healthy", "gauge", "1 when /healthz answers 200, else 0.")
	fmt.Fprintf(w, "feedmill_healthy %d\n", healthy)
	entries, bytes := s.cache.stats()
	family(w, "feedmill_cache_entries", "gauge", "Rendered documents held in the cache.")
	fmt.Fprintf(w, "feedmill_cache_entries %d\n", entries)
	family(w, "feedmill_cache_bytes", "gauge", "Bytes of the rendered documents held in the cache (budget: feedmill_cache_max_bytes).")
	fmt.Fprintf(w, "feedmill_cache_bytes %d\n", bytes)
	family(w, "feedmill_cache_max_bytes", "gauge", "The cache's byte budget (cache.max_bytes).")
	fmt.Fprintf(w, "feedmill_cache_max_bytes %d\n", s.cache.budget)
	family(w, "feedmill_cache_evictions_total", "counter", "Rendered documents dropped from the cache to stay within its budget.")
	fmt.Fprintf(w, "feedmill_cache_evictions_total %d\n", s.cache.evicted.Load())
	if s.store != nil {
		if size, err := s.store.Size(); err == nil {
			s.storeSize.Store(size)
		}
		family(w, "feedmill_store_size_bytes", "gauge", "Size of the open store file (the last size read, should it fail).")
		fmt.Fprintf(w, "feedmill_store_size_bytes %d\n", s.storeSize.Load())
		family(w, "feedmill_store_write_errors_total", "counter", "Store commits that failed (disk full, read-only, I/O errors).")
		fmt.Fprintf(w, "feedmill_store_write_errors_total %d\n", s.store.WriteErrors())
	}
	if s.extraMetrics != nil {
		s.extraMetrics(w)
	}
}

// family writes the HELP and TYPE lines of a metric family.
func family(w io.Writer, name, typ, help string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}
