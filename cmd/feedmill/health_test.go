//go:build linux

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage/bolt"

	"github.com/feedmill/feedmill/internal/testfs"
	"github.com/feedmill/feedmill/internal/testlog"
	"github.com/feedmill/feedmill/storage"
)

// The daemon's health tests run `feedmill serve` in-process on sources
// whose every fetch brings new items, so that every fetch commits, and
// break the store under it. They wait by polling with generous deadlines
// (a loaded 2-core machine may be slow), never by fixed sleeps for an
// outcome.

// healthDeadline bounds every wait for the daemon to notice something:
// the store's grace (10 s) plus the health loop's period (5 s) and room
// for a slow machine.
const healthDeadline = 90 * time.Second

// healthMinInterval is the sources' interval in these tests
// (fetch.every and fetch.min_interval).
const healthMinInterval = time.Second

// freshItems is an upstream whose feeds bring ten new items of ~4 KB at
// every request, under /g/N. Once redirect is set, /m answers 301 to
// /g/move, so the source there has a new URL to record. It keeps each
// path's request times.
type freshItems struct {
	*httptest.Server
	redirect atomic.Bool
	mu       sync.Mutex
	hits     map[string][]time.Time
}

func startFreshItems(t *testing.T) *freshItems {
	t.Helper()
	u := &freshItems{hits: map[string][]time.Time{}}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.hits[r.URL.Path] = append(u.hits[r.URL.Path], time.Now())
		n := len(u.hits[r.URL.Path])
		u.mu.Unlock()
		if r.URL.Path == "/m" {
			if u.redirect.Load() {
				http.Redirect(w, r, "/g/move", http.StatusMovedPermanently)
				return
			}
			r.URL.Path = "/g/m"
		}
		if !strings.HasPrefix(r.URL.Path, "/g/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		var b strings.Builder
		fmt.Fprintf(&b, `<?xml version="1.0"?><rss version="2.0"><channel><title>%s</title><link>https://fresh.example/</link>`, r.URL.Path)
		for i := range 10 {
			fmt.Fprintf(&b, "<item><title>%s item %d.%d</title><guid>%s-%d-%d</guid><description>%s</description></item>\n",
				r.URL.Path, n, i, r.URL.Path, n, i, strings.Repeat(fmt.Sprintf("word%d%d%s ", n, i, r.URL.Path[3:]), 400))
		}
		b.WriteString("</channel></rss>")
		io.WriteString(w, b.String())
	}))
	t.Cleanup(u.Close)
	return u
}

// between is how many requests for path arrived in [from, to).
func (u *freshItems) between(path string, from, to time.Time) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	n := 0
	for _, at := range u.hits[path] {
		if !at.Before(from) && at.Before(to) {
			n++
		}
	}
	return n
}

// freshPaths are the feeds the health tests subscribe to (besides /m).
var freshPaths = []string{"/g/0", "/g/1", "/g/2", "/g/3"}

// startHealthDaemon starts the daemon on a store at db, subscribed to
// up's feeds every healthMinInterval without host spacing (a setting
// users are allowed: only the schedule holds requests back), logging at
// info into the returned buffer, and returns its base URL once every
// source was stored once and /healthz answers 200. The daemon stops when
// the test ends.
func startHealthDaemon(t *testing.T, up *freshItems, db string) (*daemon, *testlog.Buffer, string) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "db: %s\nlisten: 127.0.0.1:0\nbase_url: http://feeds.test.example\n", db)
	fmt.Fprintf(&b, "fetch:\n  allow_private: true\n  workers: 4\n  timeout: 10s\n  every: %s\n  min_interval: %s\n  max_interval: 4s\n  per_host_interval: 0s\n",
		healthMinInterval, healthMinInterval)
	b.WriteString("retention:\n  max_age: 0s\nsources:\n")
	for _, p := range append(freshPaths, "/m") {
		fmt.Fprintf(&b, "  - url: %s%s\n", up.URL, p)
	}
	b.WriteString("channels:\n  - name: all\n    limit: 50\n")
	cfg, err := loadConfig(writeConfig(t, b.String()))
	if err != nil {
		t.Fatal(err)
	}
	logs := &testlog.Buffer{}
	d, err := startDaemon(context.Background(), cfg, newLogger(cfg, logs))
	if err != nil {
		t.Fatalf("start daemon: %v", err)
	}
	t.Cleanup(func() {
		if err := d.stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	base := "http://" + d.Addr.String()
	waitFor(t, healthDeadline, "every source stored once", func() bool {
		return scrape(t, base)[storedSeries] >= float64(len(freshPaths)+1)
	})
	if code, body := healthz(t, base); code != http.StatusOK {
		t.Fatalf("healthz once every source was stored: %d %q", code, body)
	}
	return d, logs, base
}

// waitFor polls cond every 100 ms until it holds, failing the test after
// timeout with what was awaited.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting after %s for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// healthz is the daemon's /healthz answer.
func healthz(t *testing.T, base string) (int, string) {
	t.Helper()
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// scrape reads /metrics into series -> value ("name" or
// `name{label="v"}` as written).
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			t.Fatalf("/metrics: bad line %q", line)
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("/metrics: bad value in %q", line)
		}
		out[line[:i]] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	return out
}

const (
	storedSeries     = `feedmill_fetches_total{outcome="stored"}`
	storeErrorSeries = `feedmill_fetches_total{outcome="store_error"}`
)

// TestDaemonHealthDiskFull: with the store on a small tmpfs that the test
// fills, every commit fails; past the store's grace /healthz answers 503
// naming the cause, /metrics tells (feedmill_healthy 0, store write
// errors, store_error fetches), upstream requests stay within the
// schedule, the channels are still served, and the log has one line per
// cause. When space is freed, health comes back by itself, with one line
// each.
func TestDaemonHealthDiskFull(t *testing.T) {
	mnt := testfs.Tmpfs(t, "16m")
	db := filepath.Join(mnt, "store.db")
	up := startFreshItems(t)
	_, logs, base := startHealthDaemon(t, up, db)

	// The disk fills, and the moved source's new URL arrives while it is
	// full (a fetch with a new URL is retried without it: that must not
	// log per fetch either).
	logMark := logs.Len()
	filler := filepath.Join(mnt, "filler")
	testfs.Fill(t, filler)
	up.redirect.Store(true)
	filled := time.Now()

	var firstErr time.Time
	waitFor(t, healthDeadline, "a failed commit", func() bool {
		m := scrape(t, base)
		if m[storeErrorSeries] > 0 && firstErr.IsZero() {
			firstErr = time.Now()
		}
		return m[storeErrorSeries] > 0 && m["feedmill_store_write_errors_total"] > 0
	})
	var code int
	var reason string
	waitFor(t, healthDeadline, "/healthz to answer 503 on the full disk", func() bool {
		code, reason = healthz(t, base)
		return code == http.StatusServiceUnavailable
	})
	for _, want := range []string{db, "no space left on device", "commits failing since"} {
		if !strings.Contains(reason, want) {
			t.Errorf("healthz reason lacks %q: %q", want, reason)
		}
	}
	// Readers are still served what the store holds.
	if resp := get(t, base+"/channels/all.rss", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("channel on a full disk: %s", resp.Status)
	} else {
		resp.Body.Close()
	}
	m := scrape(t, base)
	if m["feedmill_healthy"] != 0 {
		t.Errorf("feedmill_healthy = %v on a full disk, want 0", m["feedmill_healthy"])
	}
	for _, series := range []string{"feedmill_store_write_errors_total", storeErrorSeries, "feedmill_store_errors_total", "feedmill_store_size_bytes"} {
		if m[series] <= 0 {
			t.Errorf("%s = %v on a full disk, want > 0", series, m[series])
		}
	}
	waitFor(t, healthDeadline, "the health loop's log line", func() bool {
		return len(logs.Lines(logMark, `msg="unhealthy: /healthz answers 503"`)) > 0
	})

	// Space returns.
	freed := time.Now()
	checkRequestsWithinSchedule(t, up, firstErr, freed)
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	waitFor(t, healthDeadline, "/healthz to answer 200 once space is freed", func() bool {
		code, reason = healthz(t, base)
		return code == http.StatusOK
	})
	waitFor(t, healthDeadline, "the healthy-again log line", func() bool {
		return len(logs.Lines(logMark, `msg="healthy again: /healthz answers 200"`)) > 0
	})
	if m := scrape(t, base); m["feedmill_healthy"] != 1 {
		t.Errorf("feedmill_healthy = %v after space was freed, want 1", m["feedmill_healthy"])
	}
	before := scrape(t, base)[storedSeries]
	waitFor(t, healthDeadline, "fetches stored again", func() bool {
		return scrape(t, base)[storedSeries] >= before+float64(len(freshPaths))
	})

	// One line per cause and change, nothing per fetch: the log of the
	// whole episode is these four lines (and the move, once stored).
	t.Logf("disk full from %s to %s (first failed commit after %s)", filled.Format(time.TimeOnly), freed.Format(time.TimeOnly), firstErr.Sub(filled).Round(time.Millisecond))
	for _, want := range []string{
		`level=WARN msg="store cannot commit: nothing is saved, sources back off until it can"`,
		`level=WARN msg="unhealthy: /healthz answers 503"`,
		`level=INFO msg="store writable again after `,
		`level=INFO msg="healthy again: /healthz answers 200"`,
	} {
		if n := len(logs.Lines(logMark, want)); n != 1 {
			t.Errorf("%d log lines with %s, want 1", n, want)
		}
	}
	// The moved source's move is recorded once the store can commit.
	moved := len(logs.Lines(logMark, `level=INFO msg="fetch: source moved"`))
	if got := logs.Lines(logMark, "level="); len(got)-moved != 4 || moved > 1 {
		t.Errorf("%d log lines from the disk filling up to its recovery, want 4 (and the source's move at most once):\n%s", len(got), strings.Join(got, "\n"))
	}
	if got := logs.Lines(logMark, `msg="store cannot commit`); len(got) == 1 && !strings.Contains(got[0], "no space left on device") {
		t.Errorf("the store's line does not name the cause: %s", got[0])
	}
}

// checkRequestsWithinSchedule: from the first failed commit to to, no
// feed was asked for more often than its schedule allows: one request per
// interval (less the schedule's 10 % jitter) at the very most, whatever
// the store does; the store backoff makes it fewer.
func checkRequestsWithinSchedule(t *testing.T, up *freshItems, from, to time.Time) {
	t.Helper()
	window := to.Sub(from)
	limit := int(window/(healthMinInterval*9/10)) + 2
	for _, p := range append(freshPaths, "/m", "/g/move") {
		n := up.between(p, from.Add(-time.Second), to)
		if n > limit {
			t.Errorf("%s: %d requests in %s while the disk was full, want at most %d (every %s)", p, n, window.Round(time.Millisecond), limit, healthMinInterval)
		}
		t.Logf("%s: %d requests in %s while the disk was full", p, n, window.Round(time.Millisecond))
	}
}

// TestDaemonHealthStoreDeleted: when the store file is deleted under the
// running daemon, the health loop notices and logs it once without
// anybody asking, /healthz answers 503 naming the cause and stays so
// (commits into the open file still succeed, but a restart would not see
// them: only a restart clears it), and /metrics still has the store's
// size.
func TestDaemonHealthStoreDeleted(t *testing.T) {
	db := filepath.Join(t.TempDir(), "store.db")
	up := startFreshItems(t)
	d, logs, base := startHealthDaemon(t, up, db)
	logMark := logs.Len()
	if err := os.Remove(db); err != nil {
		t.Fatal(err)
	}
	const unhealthyLine = `level=WARN msg="unhealthy: /healthz answers 503"`
	waitFor(t, healthDeadline, "the health loop to log the deletion", func() bool {
		return len(logs.Lines(logMark, unhealthyLine)) > 0
	})
	code, reason := healthz(t, base)
	if code != http.StatusServiceUnavailable || !strings.Contains(reason, db) || !strings.Contains(reason, "deleted") || !strings.Contains(reason, "restart") {
		t.Fatalf("healthz after the deletion: %d %q, want 503 naming the path, the deletion and the restart", code, reason)
	}

	// It stays so while fetches go on being recorded (into the open
	// file) and the health loop runs twice more.
	stored := scrape(t, base)[storedSeries]
	until := time.Now().Add(2*healthEvery + time.Second)
	waitFor(t, healthDeadline, "more fetches recorded and two health checks", func() bool {
		if code, reason := healthz(t, base); code != http.StatusServiceUnavailable {
			t.Fatalf("healthz went back to %d after the deletion: %q", code, reason)
		}
		return time.Now().After(until) && scrape(t, base)[storedSeries] >= stored+float64(len(freshPaths))
	})
	m := scrape(t, base)
	if m["feedmill_healthy"] != 0 {
		t.Errorf("feedmill_healthy = %v with the store deleted, want 0", m["feedmill_healthy"])
	}
	if size, ok := m["feedmill_store_size_bytes"]; !ok || size <= 0 {
		t.Errorf("feedmill_store_size_bytes = %v (present: %v) with the store deleted, want the open file's size", size, ok)
	}
	if n := m["feedmill_store_write_errors_total"]; n != 0 {
		t.Errorf("feedmill_store_write_errors_total = %v: commits into the deleted file should succeed", n)
	}
	if n := len(logs.Lines(logMark, unhealthyLine)); n != 1 {
		t.Errorf("%d unhealthy lines, want 1", n)
	}
	if got := logs.Lines(logMark, "level="); len(got) != 1 {
		t.Errorf("%d log lines after the deletion, want 1:\n%s", len(got), strings.Join(got, "\n"))
	}
	if got := logs.Lines(logMark, unhealthyLine); len(got) == 1 && !strings.Contains(got[0], "deleted") {
		t.Errorf("the unhealthy line does not name the cause: %s", got[0])
	}

	// What the daemon still holds can be rescued before the restart: a
	// backup through the daemon copies the open file.
	rescue := filepath.Join(t.TempDir(), "rescue.db")
	if code, out, errOut := runCLI(t, "backup", "-c", d.cfg.File, rescue); code != exitOK {
		t.Fatalf("backup of the deleted store: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("the backup recreated the store's path")
	}
	st, err := bolt.Open(rescue, storage.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srcs, err := st.Sources()
	if err != nil {
		t.Fatal(err)
	}
	items := 0
	for _, s := range srcs {
		items += s.Stats.Items
	}
	if len(srcs) != len(freshPaths)+1 || items == 0 {
		t.Errorf("the rescued store has %d sources and %d items", len(srcs), items)
	}
}

// TestDaemonRetentionLogsOnce: the retention the daemon applies at start
// is logged once, by the store.
func TestDaemonRetentionLogsOnce(t *testing.T) {
	up := startUpstream(t)
	cfgPath := writeE2EConfig(t, up)
	if code, out, errOut := runCLI(t, "fetch", "-c", cfgPath); code != exitOK {
		t.Fatalf("fetch: exit %d\n%s%s", code, out, errOut)
	}
	body, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	// The test feeds are years old: a day's retention removes them.
	body = []byte(strings.Replace(string(body), "max_age: 0s", "max_age: 24h", 1))
	if err := os.WriteFile(cfgPath, body, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	logs := &testlog.Buffer{}
	d, err := startDaemon(context.Background(), cfg, newLogger(cfg, logs))
	if err != nil {
		t.Fatalf("start daemon: %v", err)
	}
	waitFor(t, healthDeadline, "retention at start", func() bool { return len(logs.Lines(0, "retention removed")) > 0 })
	if err := d.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if got := logs.Lines(0, "retention removed"); len(got) != 1 || !strings.Contains(got[0], "items=") {
		t.Errorf("%d retention lines, want 1 with the count:\n%s", len(got), strings.Join(got, "\n"))
	}
}
