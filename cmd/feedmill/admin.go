package main

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/feedmill/feedmill/feedserver"
	"github.com/feedmill/feedmill/feedserver/admin"
	"github.com/feedmill/feedmill/fetcher"
	"github.com/feedmill/feedmill/storage"
)

// hubCheckEvery is how often the daemon looks for changed channels to
// ping the WebSub hub about (a variable so tests can shorten it).
var hubCheckEvery = 10 * time.Second

// daemonAdmin is the daemon's side of the HTTP admin API and of /metrics:
// feedserver never imports fetcher, so the daemon lends it the fetcher
// through admin.Daemon and writes the fetcher's metrics.
type daemonAdmin struct {
	store   storage.Store
	fetcher *fetcher.Fetcher
	log     *slog.Logger
}

var _ admin.Daemon = (*daemonAdmin)(nil)

// Pass runs a pass as `feedmill fetch` does and returns its report.
func (a *daemonAdmin) Pass(ctx context.Context, all bool, urls []string) (any, error) {
	return a.fetcher.Pass(ctx, fetcher.PassOptions{All: all, URLs: urls})
}

// AddSource adds a source with origin "api"; the config wins for a URL it
// lists.
func (a *daemonAdmin) AddSource(ctx context.Context, url string, tags []string) (storage.Source, error) {
	src, err := addSourceFrom(ctx, a.store, url, tags, storage.OriginAPI)
	if err == nil {
		a.fetcher.Reschedule()
	}
	return src, err
}

// RemoveSource removes a source the config does not list.
func (a *daemonAdmin) RemoveSource(ctx context.Context, url string) error {
	err := removeSource(ctx, a.store, url)
	if err == nil {
		a.fetcher.Reschedule()
	}
	return err
}

// Reschedule tells the scheduler that sources changed.
func (a *daemonAdmin) Reschedule() { a.fetcher.Reschedule() }

// writeMetrics writes the fetcher's counters and the process' runtime
// figures (runtimemetrics.go) into /metrics.
func (a *daemonAdmin) writeMetrics(w io.Writer) {
	a.fetcher.Metrics().WritePrometheus(w)
	writeRuntimeMetrics(w)
}

// hubWatcher runs the WebSub watcher of the current publisher, replacing
// it when a reload makes a new one.
type hubWatcher struct {
	mu     sync.Mutex
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// watch stops the previous watcher, if any, and starts one for pub.
func (h *hubWatcher) watch(pub *feedserver.Server) {
	h.stop()
	ctx, cancel := context.WithCancel(context.Background())
	h.mu.Lock()
	h.cancel = cancel
	h.mu.Unlock()
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		pub.WatchHub(ctx, hubCheckEvery)
	}()
}

// stop ends the running watcher and waits for it.
func (h *hubWatcher) stop() {
	h.mu.Lock()
	if h.cancel != nil {
		h.cancel()
		h.cancel = nil
	}
	h.mu.Unlock()
	h.wg.Wait()
}
