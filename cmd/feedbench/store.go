package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedmill/feedmill/storage/bolt"

	"github.com/feedmill/feedmill/storage"
)

// storeFigures are the 1M-item store's figures.
type storeFigures struct {
	items     int
	fileBytes int64
	build     time.Duration
	open      time.Duration // median of 3 bolt.Open calls, warm page cache
	ready     time.Duration // feedmill serve start until /healthz answers
	render    time.Duration // the first GET /channels/all.rss (a build)
	memReady  memStatus     // of the daemon once it answers, before any request
	mem       memStatus     // of the daemon after a few requests
}

// storeItemsPerSource is how many items each source of the big store has
// (the default retention.max_items_per_source).
const storeItemsPerSource = 1000

// store builds a store of StoreItems items (1,000 sources × 1,000 items
// with the Guardian capture's summaries, categories and real-looking
// links), through the public storage API from 8 goroutines, then measures
// its size, bolt.Open and a daemon serving it.
func (h *harness) store(ctx context.Context) error {
	c, err := loadCorpus(h.corpus)
	if err != nil {
		return err
	}
	m, err := h.scenarioDir("store")
	if err != nil {
		return err
	}
	path := filepath.Join(m.Dir, "feedmill.db")
	sf := &storeFigures{items: h.sz.StoreItems}
	start := time.Now()
	if err := buildStore(ctx, path, c, h.sz.StoreItems); err != nil {
		return err
	}
	sf.build = time.Since(start)
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	sf.fileBytes = fi.Size()
	var opens []time.Duration
	for range 3 {
		t := time.Now()
		st, err := bolt.Open(path, storage.Options{})
		if err != nil {
			return err
		}
		opens = append(opens, time.Since(t))
		st.Close()
	}
	slices.Sort(opens)
	sf.open = opens[1]
	fmt.Fprintf(h.log, "store: %d items, %d bytes, built in %v, open %v\n", sf.items, sf.fileBytes, sf.build, opens)

	if err := m.write(); err != nil {
		return err
	}
	t := time.Now()
	d, err := startServe(ctx, h.bin, m)
	if err != nil {
		return err
	}
	defer d.stop()
	sf.ready = time.Since(t)
	if sf.memReady, err = procMem(d.cmd.Process.Pid); err != nil {
		return err
	}
	t = time.Now()
	if _, _, err := getBody(d.base + "/channels/all.rss"); err != nil {
		return err
	}
	sf.render = time.Since(t)
	for range 3 {
		for _, p := range []string{"/", "/channels/all.rss", "/channels/all.atom", "/channels/all.json", "/channels/all"} {
			resp, err := http.Get(d.base + p)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("GET %s: HTTP %d", p, resp.StatusCode)
			}
		}
	}
	if sf.mem, err = procMem(d.cmd.Process.Pid); err != nil {
		return err
	}
	fmt.Fprintf(h.log, "daemon on the store: ready in %v, first render %v, %+v\n", sf.ready, sf.render, sf.mem)
	h.res.store = sf
	return nil
}

// buildStore fills a new store at path with n items.
func buildStore(ctx context.Context, path string, c *corpus, n int) error {
	st, err := bolt.Open(path, storage.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	nSources := (n + storeItemsPerSource - 1) / storeItemsPerSource
	now := time.Now()
	base := now.Add(-storeSpan)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for {
				s := int(next.Add(1) - 1)
				if s >= nSources || ctx.Err() != nil {
					return
				}
				if err := fillSource(ctx, st, c, s, nSources, base, now); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return ctx.Err()
}

// storeSpan is the time the big store's items are spread over: a store
// in its steady state under the default retention.max_age (720h).
const storeSpan = 29 * 24 * time.Hour

// fillSource adds source s and its storeItemsPerSource items, the items
// of all sources interleaved evenly over storeSpan; the source is not due
// for a year, so the daemon's scheduler leaves it alone.
func fillSource(ctx context.Context, st storage.Store, c *corpus, s, nSources int, base, now time.Time) error {
	step := storeSpan / time.Duration(nSources*storeItemsPerSource)
	src, err := st.UpsertSource(ctx, storage.Source{
		URL:    fmt.Sprintf("http://%s/feed/%d.xml", hostAddr(40, s%250), s),
		Origin: storage.OriginCLI, Tags: []string{"bench"},
	})
	if err != nil {
		return err
	}
	f := storage.Fetch{SourceID: src.ID, State: storage.FetchState{
		ETag: fmt.Sprintf(`"s%d"`, s), FeedTitle: fmt.Sprintf("Bench source %d", s),
		LastFetch: now, LastSuccess: now, LastStatus: 200, NextDue: now.Add(365 * 24 * time.Hour),
	}}
	r := rand.New(rand.NewPCG(uint64(s), 1))
	for i := range storeItemsPerSource {
		k := int(mix(s, i) % uint64(len(c.titles)))
		// A fingerprint and a lead as the fetcher computes them for a
		// distinct story (fetcher/fingerprint.go: a 64-bit SimHash, the
		// hashes of a 64-word opening's 62 shingles), drawn at random: the
		// summaries repeat across sources, and fingerprints of them would
		// make one story of thousands of items, which no real store holds.
		lead := make([]uint32, 62)
		for j := range lead {
			lead[j] = r.Uint32()
		}
		f.Items = append(f.Items, storage.Item{
			Fingerprint: r.Uint64() | 1,
			Lead:        lead,
			GUID:        fmt.Sprintf("bench-%d-%d", s, i),
			Link:        fmt.Sprintf("https://news.example/s%d/2025/story-%d", s, i),
			Title:       fmt.Sprintf("%s (%d/%d)", c.titles[k], s, i),
			Summary:     c.summaries[k],
			Author:      fmt.Sprintf("Reporter %d", i%97),
			Categories:  c.categories[k],
			Published:   base.Add(time.Duration(i*nSources+s) * step),
		})
	}
	res, err := st.RecordFetch(ctx, f)
	if err != nil {
		return err
	}
	if res.Added != storeItemsPerSource {
		return fmt.Errorf("source %d: added %d of %d items", s, res.Added, storeItemsPerSource)
	}
	return nil
}
