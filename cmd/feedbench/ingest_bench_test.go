package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage/bolt"

	"github.com/mmcdole/gofeed"

	"github.com/feedmill/feedmill/fetcher"
	"github.com/feedmill/feedmill/storage"
)

const guardianCapture = "../../../shared/testdata/feeds/realworld/guardian.rss"

// Ingest benchmark shape: news feeds of 50 items of about 20 KB each
// (about 1 MB a feed), 16 of them per pass, each on its own loopback host:
// one request per host per pass, so the per-host politeness limits
// (per_host, per_host_interval) never hold a worker back and the figure is
// the pipeline's own throughput.
const (
	ingestSources   = 16
	ingestHosts     = 16
	ingestItems     = 50
	ingestItemBytes = 18000
	ingestWorkers   = fetcher.DefaultWorkers
)

// ingestBodies generates the feeds of generation gen: all-new items.
func ingestBodies(c *corpus, gen int, base time.Time) [][]byte {
	out := make([][]byte, ingestSources)
	for i := range out {
		out[i] = c.feed(feedSpec{Source: i, Gen: gen, Items: ingestItems, NewPerGen: ingestItems,
			ItemBytes: ingestItemBytes, Base: base, Host: "bench.example"})
	}
	return out
}

func totalLen(bodies [][]byte) int64 {
	var n int64
	for _, b := range bodies {
		n += int64(len(b))
	}
	return n
}

// BenchmarkIngest compares, in one run, the whole ingest path with
// gofeed's parser alone on the same bytes. One op is one pass over 16
// feeds of ~1 MB (800 new items).
//
//   - pipeline: fetcher.Pass over real HTTP from loopback servers (16
//     addresses), with conditional GET, charset handling, gofeed parse,
//     normalization, identity dedup and a fsynced bbolt commit. Every
//     pass serves a new generation of the feeds, so all 800 items are new.
//   - gofeed: gofeed.Parser.Parse of the same feeds from memory, with as
//     many goroutines as the pipeline has workers (16).
//
// The figure is items/s; the target is pipeline ≥ 0.8 × gofeed.
func BenchmarkIngest(b *testing.B) {
	c, err := loadCorpus(guardianCapture)
	if err != nil {
		b.Fatal(err)
	}
	base := time.Now().Add(-48 * time.Hour).Truncate(time.Hour)

	b.Run("pipeline", func(b *testing.B) {
		var cur atomic.Pointer[[][]byte]
		var gen atomic.Int64
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			i, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/feed/"), ".xml"))
			bodies := *cur.Load()
			if err != nil || i < 0 || i >= len(bodies) {
				http.NotFound(w, r)
				return
			}
			etag := fmt.Sprintf(`"s%d-g%d"`, i, gen.Load())
			w.Header().Set("ETag", etag)
			if r.Header.Get("If-None-Match") == etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
			w.Write(bodies[i])
		})
		urls := serveOnHosts(b, h, 30, ingestHosts, ingestSources)
		st, err := bolt.Open(filepath.Join(b.TempDir(), "feedmill.db"), storage.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		for _, u := range urls {
			if _, err := st.UpsertSource(context.Background(), storage.Source{URL: u, Origin: storage.OriginCLI}); err != nil {
				b.Fatal(err)
			}
		}
		f := fetcher.New(st, fetcher.Options{AllowPrivate: true, Timeout: time.Minute, Workers: ingestWorkers})
		// Passes start a HostInterval apart (the wait is not timed): each
		// host serves one source per pass, so in a daemon its token bucket
		// (hostrate.go) is full whenever a pass begins; run back to back,
		// the passes would drain it and time the politeness wait instead
		// of the work.
		timeIngest(b, c, base, fetcher.DefaultHostInterval, func(i int, bodies [][]byte) (items int64) {
			cur.Store(&bodies)
			gen.Store(int64(i))
			rep, err := f.Pass(context.Background(), fetcher.PassOptions{All: true})
			if err != nil || rep.Failed > 0 {
				b.Fatalf("pass: %v, %d failed: %+v", err, rep.Failed, rep.Results)
			}
			for _, r := range rep.Results {
				if r.Added != ingestItems {
					b.Fatalf("%s: added %d of %d items", r.URL, r.Added, ingestItems)
				}
				items += int64(r.Added)
			}
			return items
		})
	})

	b.Run("gofeed", func(b *testing.B) { benchGofeedParse(b, c, base, gofeed.NewParser) })

	// gofeed with its image scan switched off, as the pipeline's parser
	// runs it (the pipeline finds the image in its own pass over the
	// bodies): the honest comparison for the work after the parse.
	b.Run("gofeed-noimagescan", func(b *testing.B) {
		benchGofeedParse(b, c, base, func() *gofeed.Parser {
			p := gofeed.NewParser()
			p.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
			return p
		})
	})
}

// benchGofeedParse parses the ingest feeds from memory with parsers from
// newParser, as many goroutines as the pipeline has workers.
func benchGofeedParse(b *testing.B, c *corpus, base time.Time, newParser func() *gofeed.Parser) {
	timeIngest(b, c, base, 0, func(_ int, bodies [][]byte) int64 {
		var next, parsed atomic.Int64
		var wg sync.WaitGroup
		for range ingestWorkers {
			wg.Go(func() {
				for {
					k := next.Add(1) - 1
					if k >= int64(len(bodies)) {
						return
					}
					feed, err := newParser().Parse(bytes.NewReader(bodies[k]))
					if err != nil || len(feed.Items) != ingestItems {
						b.Errorf("gofeed: %v", err)
						return
					}
					parsed.Add(int64(len(feed.Items)))
				}
			})
		}
		wg.Wait()
		return parsed.Load()
	})
}

// timeIngest runs one side of BenchmarkIngest: b.N rounds of fresh
// generated bodies (made with the timer and the CPU clock stopped) given
// to run, which returns the items it took in; rounds start at least pace
// apart (the wait is not timed either). It reports items/s, MB/s, cores
// and items/cpu-s the same way for both sides.
func timeIngest(b *testing.B, c *corpus, base time.Time, pace time.Duration, run func(i int, bodies [][]byte) int64) {
	var items, bytesIn int64
	var cpu cpuClock
	var last time.Time
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		cpu.stop()
		bodies := ingestBodies(c, i, base)
		bytesIn += totalLen(bodies)
		if wait := pace - time.Since(last); i > 0 && wait > 0 {
			time.Sleep(wait)
		}
		last = time.Now()
		cpu.start()
		b.StartTimer()
		items += run(i, bodies)
	}
	b.StopTimer()
	cpu.stop()
	b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "items/s")
	b.ReportMetric(float64(bytesIn)/1e6/b.Elapsed().Seconds(), "MB/s")
	b.ReportMetric(cpu.d.Seconds()/b.Elapsed().Seconds(), "cores")
	b.ReportMetric(float64(items)/cpu.d.Seconds(), "items/cpu-s")
}

// cpuClock adds up the process's CPU time (user+sys) while the benchmark
// timer runs: reported as "cores" (CPU time / wall time), it shows
// whether a side keeps both cores busy or waits (on the store's commit,
// on the network); "items/cpu-s" is the work per CPU second, a steadier
// figure than items/s on a machine shared with other benchmarks. The
// feed generator runs with the timer stopped and is not counted.
type cpuClock struct {
	d       time.Duration
	last    time.Duration
	running bool
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (c *cpuClock) start() { c.last, c.running = processCPU(), true }

func (c *cpuClock) stop() {
	if c.running {
		c.d += processCPU() - c.last
		c.running = false
	}
}
