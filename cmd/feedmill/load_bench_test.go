package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// loadDuration is how long BenchmarkServeUnderLoad runs:
// $FEEDMILL_LOAD_DURATION (a Go duration), else 30s.
func loadDuration(b *testing.B) time.Duration {
	if v := os.Getenv("FEEDMILL_LOAD_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("FEEDMILL_LOAD_DURATION: %v", err)
		}
		return d
	}
	return 30 * time.Second
}

// BenchmarkServeUnderLoad runs the daemon on 200 feeds and serves its
// channels to 64 concurrent clients (every format; half of them
// revalidate with If-None-Match and get 304s, all accept gzip) while
// `feedmill fetch --all` passes ingest new items into the same store, one
// after the other, for the whole run. Any failed request fails the
// benchmark; it reports requests per second and the p50/p99 latency.
//
//	FEEDMILL_LOAD_DURATION=30s go test -run '^$' -bench ServeUnderLoad -benchtime 1x ./cmd/feedmill/
func BenchmarkServeUnderLoad(b *testing.B) {
	const (
		clients = 64
		feeds   = 200
	)
	dur := loadDuration(b)
	corpus := startCrashCorpus(b, feeds, 100, 50) // 50 items per feed, one more every pass
	var cfg strings.Builder
	cfg.WriteString("db: store.db\nlisten: 127.0.0.1:0\nlog_level: error\n")
	cfg.WriteString("fetch:\n  allow_private: true\n  workers: 16\n  per_host: 16\n  every: 24h\n  min_interval: 24h\n")
	cfg.WriteString("retention:\n  max_age: 0s\nsources:\n")
	for k, u := range corpus.urls {
		fmt.Fprintf(&cfg, "  - url: %s\n    tags: [%s]\n", u, []string{"even", "odd"}[k%2])
	}
	cfg.WriteString("channels:\n  - name: all\n    limit: 50\n  - name: even\n    tags: [even]\n  - name: odd\n    tags: [odd]\n    duplicates: keep\n")
	cfgPath := filepath.Join(b.TempDir(), "feedmill.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if code := run(ctx, []string{"fetch", "-c", cfgPath, "--all"}, io.Discard, io.Discard); code != exitOK {
		b.Fatalf("first pass: exit %d", code)
	}
	d := launchDaemon(b, cfgPath)
	defer d.stop()
	base := "http://" + d.Addr.String()
	var paths []string
	for _, ch := range []string{"all", "even", "odd"} {
		for _, f := range []string{".rss", ".atom", ".json", ""} {
			paths = append(paths, "/channels/"+ch+f)
		}
	}

	b.ResetTimer()
	deadline := time.Now().Add(dur)
	var passes, passFailures atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // passes, one after the other, each with new items
		defer wg.Done()
		for time.Now().Before(deadline) {
			corpus.gen.Add(1)
			var out strings.Builder
			if code := run(ctx, []string{"fetch", "-c", cfgPath, "--all"}, &out, io.Discard); code != exitOK {
				passFailures.Add(1)
				b.Logf("pass: exit %d: %s", code, out.String())
			}
			passes.Add(1)
		}
	}()
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errs      []string
		notMod    int
	)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}, Timeout: time.Minute}
			etags := map[string]string{}
			var lat []time.Duration
			var bad []string
			nm := 0
			for n := i; time.Now().Before(deadline); n++ {
				p := paths[n%len(paths)]
				req, _ := http.NewRequest("GET", base+p, nil)
				req.Header.Set("Accept-Encoding", "gzip")
				revalidate := (n+i)%2 == 0
				if et := etags[p]; revalidate && et != "" {
					req.Header.Set("If-None-Match", et)
				}
				start := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					bad = append(bad, err.Error())
					continue
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat = append(lat, time.Since(start))
				switch {
				case err != nil:
					bad = append(bad, p+": "+err.Error())
				case resp.StatusCode == http.StatusNotModified:
					nm++
				case resp.StatusCode != http.StatusOK:
					bad = append(bad, fmt.Sprintf("%s: HTTP %d", p, resp.StatusCode))
				default:
					etags[p] = resp.Header.Get("ETag")
				}
			}
			mu.Lock()
			latencies = append(latencies, lat...)
			errs = append(errs, bad...)
			notMod += nm
			mu.Unlock()
		}()
	}
	wg.Wait()
	b.StopTimer()

	if len(errs) > 0 || passFailures.Load() > 0 {
		b.Errorf("%d failed requests (first: %q), %d failed passes", len(errs), errs[:min(len(errs), 1)], passFailures.Load())
	}
	if len(latencies) == 0 || passes.Load() == 0 {
		b.Fatalf("%d requests, %d passes", len(latencies), passes.Load())
	}
	slices.Sort(latencies)
	pct := func(p float64) time.Duration { return latencies[int(p*float64(len(latencies)-1))] }
	b.ReportMetric(float64(len(latencies))/dur.Seconds(), "req/s")
	b.ReportMetric(float64(pct(0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(pct(0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(len(errs)), "errors")
	b.ReportMetric(float64(passes.Load()), "passes")
	b.Logf("%d clients for %v: %d requests (%d × 304), %d passes; p50 %v, p99 %v, max %v",
		clients, dur, len(latencies), notMod, passes.Load(), pct(0.50), pct(0.99), latencies[len(latencies)-1])
}
