package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// soakMill is the soak's feedmill config: every source tagged tN (N =
// its number mod Channels), a channel cN over each tag and "all" over
// every source, each 50 items a page; the scheduler polls every source
// about once a generation.
type soakMill struct {
	Dir, Listen string
	c           *soakConfig
	sources     []string
}

func (m soakMill) path() string { return filepath.Join(m.Dir, "feedmill.yaml") }

func (m soakMill) channelNames() []string {
	names := []string{"all"}
	for i := range m.c.Channels {
		names = append(names, fmt.Sprintf("c%d", i))
	}
	return names
}

func (m soakMill) write(cacheKey bool) error {
	var b strings.Builder
	every := max(m.c.GenEvery, time.Minute)
	fmt.Fprintf(&b, `db: feedmill.db
listen: %s
base_url: http://%s
log_level: warn
fetch:
  every: %s
  min_interval: %s
  max_interval: %s
  timeout: 60s
  workers: 16
  per_host: 2
  allow_private: true
retention:
  max_age: 8760h
  max_items_per_source: %d
`, m.Listen, m.Listen, every, every, every, m.c.MaxItems)
	if cacheKey {
		fmt.Fprintf(&b, "cache:\n  max_bytes: %d\n", m.c.Budget)
	}
	b.WriteString("channels:\n  - name: all\n    limit: 50\n")
	for i := range m.c.Channels {
		fmt.Fprintf(&b, "  - name: c%d\n    tags: [t%d]\n    limit: 50\n", i, i)
	}
	b.WriteString("sources:\n")
	for i, u := range m.sources {
		fmt.Fprintf(&b, "  - url: %s\n    tags: [t%d]\n", u, i%m.c.Channels)
	}
	return os.WriteFile(m.path(), []byte(b.String()), 0o644)
}

// writeChecked writes the config with cache.max_bytes when `feedmill
// check` accepts it, else without (a daemon that predates the key), and
// reports which.
func (m soakMill) writeChecked(ctx context.Context, bin string) (bool, error) {
	for _, withKey := range []bool{true, false} {
		if err := m.write(withKey); err != nil {
			return false, err
		}
		out, err := exec.CommandContext(ctx, bin, "check", "-c", m.path()).CombinedOutput()
		if err == nil {
			return withKey, nil
		}
		if !withKey || !bytes.Contains(out, []byte("cache")) {
			return false, fmt.Errorf("feedmill check: %v: %s", err, tail(string(out), 1000))
		}
		fmt.Fprintf(os.Stderr, "soak: the daemon does not take cache.max_bytes (%s); running without it\n", firstLine(out))
	}
	return false, nil
}

func firstLine(b []byte) string {
	line, _, _ := bytes.Cut(bytes.TrimSpace(b), []byte("\n"))
	return string(line)
}

// soakSample is one look at the daemon. Figures it could not read are -1.
type soakSample struct {
	At                 time.Duration // since the load started
	Anon, RSS          int64         // RssAnon and VmRSS
	Heap               int64         // go_memstats_heap_inuse_bytes
	Goroutines, FDs    int64
	Deleted, DelBytes  int64 // open files whose name is gone, and their bytes
	Store              int64 // the store file's size
	Fetches, ItemsSeen int64 // feedmill_fetches_total, feedmill_items_total (summed)
}

func (s soakSample) line() string {
	return fmt.Sprintf("%6.1fmin RssAnon %s heap %s goroutines %d fds %d deleted %d (%s) store %s fetches %d",
		s.At.Minutes(), mbText(s.Anon), mbText(s.Heap), s.Goroutines, s.FDs, s.Deleted, mbText(s.DelBytes), mbText(s.Store), s.Fetches)
}

func mbText(n int64) string {
	if n < 0 {
		return "?"
	}
	return fmt.Sprintf("%.1fMB", float64(n)/(1<<20))
}

// sampler reads a daemon's figures from /proc and /metrics.
type sampler struct {
	pid   int
	base  string
	db    string
	start time.Time
}

func (s sampler) take() soakSample {
	smp := soakSample{At: time.Since(s.start), Anon: -1, RSS: -1, Heap: -1, Goroutines: -1, FDs: -1, Store: -1}
	if m, err := procMem(s.pid); err == nil {
		smp.Anon, smp.RSS = m.Anon, m.RSS
	}
	smp.FDs, smp.Deleted, smp.DelBytes = procFDs(s.pid)
	if fi, err := os.Stat(s.db); err == nil {
		smp.Store = fi.Size()
	}
	met, err := scrapeMetrics(s.base + "/metrics")
	if err == nil {
		if v, ok := met["go_memstats_heap_inuse_bytes"]; ok {
			smp.Heap = int64(v)
		}
		if v, ok := met["go_goroutines"]; ok {
			smp.Goroutines = int64(v)
		}
		smp.Fetches = int64(met["feedmill_fetches_total"])
		smp.ItemsSeen = int64(met["feedmill_items_total"])
	}
	return smp
}

// procFDs counts pid's open file descriptors, and those of files deleted
// while open (with their bytes): what the daemon keeps on disk out of
// sight.
func procFDs(pid int) (fds, deleted, delBytes int64) {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return -1, -1, -1
	}
	for _, e := range ents {
		fds++
		target, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil || !strings.HasSuffix(target, " (deleted)") {
			continue
		}
		deleted++
		if fi, err := os.Stat(filepath.Join(dir, e.Name())); err == nil {
			delBytes += fi.Size()
		}
	}
	return fds, deleted, delBytes
}

// scrapeMetrics reads a Prometheus text page into name -> value, the
// values of a name's label sets summed.
func scrapeMetrics(url string) (map[string]float64, error) {
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", url, resp.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		name := line[:i]
		if j := strings.IndexByte(name, '{'); j >= 0 {
			name = name[:j]
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[name] += v
		}
	}
	return out, sc.Err()
}

// reader asks for channel pages at a steady rate: half of the requests
// for a first page, the rest for page 2..pages; a URL answered before is
// asked conditionally (If-None-Match) every other time.
type reader struct {
	base     string
	channels []string
	pages    int
	rate     float64
	client   *http.Client
	mu       sync.Mutex
	etags    map[string]string
	st       readStats
}

// readStats counts the reader's answers.
type readStats struct {
	Requests, OK, NotModified, NotFound, Other, Errors, Skipped int
	Conditional                                                 int
	Latencies                                                   []time.Duration
	// Failures are the first few failed requests: URL and error or status.
	Failures []string
}

// maxFailuresKept is how many failed requests readStats describes.
const maxFailuresKept = 5

func newReader(base string, channels []string, pages int, rate float64) *reader {
	return &reader{base: base, channels: channels, pages: pages, rate: rate, etags: map[string]string{},
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 8}}}
}

// run sends requests until ctx ends; at most 8 are in flight (a request
// that would be a 9th is skipped and counted).
func (r *reader) run(ctx context.Context) {
	rng := rand.New(rand.NewPCG(1, 2))
	t := time.NewTicker(time.Duration(float64(time.Second) / r.rate))
	defer t.Stop()
	slots := make(chan struct{}, 8)
	var wg sync.WaitGroup
	defer wg.Wait()
	formats := []string{"rss", "atom", "json"}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		url := fmt.Sprintf("%s/channels/%s.%s", r.base, r.channels[rng.IntN(len(r.channels))], formats[rng.IntN(len(formats))])
		if r.pages > 1 && rng.IntN(2) == 1 {
			url += "?page=" + strconv.Itoa(2+rng.IntN(r.pages-1))
		}
		cond := rng.IntN(2) == 1
		select {
		case slots <- struct{}{}:
		default:
			r.mu.Lock()
			r.st.Skipped++
			r.mu.Unlock()
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			r.get(ctx, url, cond)
		}()
	}
}

// get asks for url once and counts the answer.
func (r *reader) get(ctx context.Context, url string, cond bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return
	}
	r.mu.Lock()
	etag := r.etags[url]
	r.mu.Unlock()
	if cond && etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	t0 := time.Now()
	resp, err := r.client.Do(req)
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	took := time.Since(t0)
	r.mu.Lock()
	defer r.mu.Unlock()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(ctx.Err(), context.Canceled) {
		return // cut off by the end of the run
	}
	r.st.Requests++
	if cond && etag != "" {
		r.st.Conditional++
	}
	r.st.Latencies = append(r.st.Latencies, took)
	switch {
	case err != nil:
		r.st.Errors++
		r.st.failed(fmt.Sprintf("%s after %s: %v", url, took.Round(time.Millisecond), err))
	case resp.StatusCode == http.StatusOK:
		r.st.OK++
		if e := resp.Header.Get("ETag"); e != "" {
			r.etags[url] = e
		}
	case resp.StatusCode == http.StatusNotModified:
		r.st.NotModified++
	case resp.StatusCode == http.StatusNotFound:
		r.st.NotFound++ // a page past the channel's end
	default:
		r.st.Other++
		r.st.failed(fmt.Sprintf("%s: HTTP %d after %s", url, resp.StatusCode, took.Round(time.Millisecond)))
	}
}

// failed keeps the description of a failed request, up to maxFailuresKept.
func (s *readStats) failed(what string) {
	if len(s.Failures) < maxFailuresKept {
		s.Failures = append(s.Failures, what)
	}
}

func (r *reader) stats() readStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st
}
