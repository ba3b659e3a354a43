package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage/bolt"
	"github.com/feedmill/feedmill/storage/postgres/pgtest"

	"github.com/feedmill/feedmill/storage"
)

// asCLIEnv makes the test binary act as the feedmill command: tests that
// need a real child process (to SIGKILL it) re-exec themselves with it
// set, which is faster than building the binary.
const asCLIEnv = "FEEDMILL_TEST_AS_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(asCLIEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// cliCommand returns the test binary set up to run as `feedmill args...`.
// A child still running when ctx ends gets SIGQUIT, so a hang shows its
// goroutines in the output instead of stalling the test.
func cliCommand(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), asCLIEnv+"=1")
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGQUIT) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// crashCorpus is a deterministic upstream of many feeds whose item count
// grows with its generation, so every pass has new items to write.
type crashCorpus struct {
	urls            []string // one per feed, spread over several loopback hosts
	feeds, maxItems int
	gen             atomic.Int64
	gens            int64 // the generation at which every feed has maxItems
	bigEvery        int   // every bigEvery-th feed has items of ~22 KB; 0 = none
	base            time.Time
}

func (c *crashCorpus) items() int {
	g := min(c.gen.Load(), c.gens)
	return c.maxItems/2 + int(g)*(c.maxItems-c.maxItems/2)/int(c.gens)
}

func guidOf(feed, item int) string { return fmt.Sprintf("feed%03d-item%03d", feed, item) }

func startCrashCorpus(t testing.TB, feeds, maxItems int, gens int64) *crashCorpus {
	c := &crashCorpus{feeds: feeds, maxItems: maxItems, gens: gens, base: time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Second)}
	big := strings.Repeat("<p>A long paragraph of a large feed item, repeated to make it big.</p>\n", 300) // ~22 KB
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/f/"), ".rss"))
		if err != nil || k < 0 || k >= c.feeds {
			http.NotFound(w, r)
			return
		}
		n := c.items()
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		var b bytes.Buffer
		fmt.Fprintf(&b, `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed %d</title><link>https://feed%d.example/</link>`, k, k)
		for i := n - 1; i >= 0; i-- {
			content := fmt.Sprintf("Body of item %d of feed %d.", i, k)
			if c.bigEvery > 0 && k%c.bigEvery == 0 {
				content = big
			}
			fmt.Fprintf(&b, "<item><title>Item %d of feed %d</title><link>https://feed%d.example/items/%d</link><guid isPermaLink=\"false\">%s</guid><pubDate>%s</pubDate><description><![CDATA[%s]]></description></item>\n",
				i, k, k, i, guidOf(k, i), c.base.Add(time.Duration(i)*time.Minute).Format(time.RFC1123Z), content)
		}
		b.WriteString("</channel></rss>")
		w.Write(b.Bytes())
	})
	// The fetcher spaces requests to one host (per_host, then one per
	// second): serve the feeds from crashHosts loopback addresses, so a
	// pass is as quick as it would be over as many real servers.
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	t.Cleanup(func() { srv.Close() })
	var addrs []string
	for i := range crashHosts {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.77.%d:0", i+1))
		if err != nil {
			t.Fatalf("listen on a loopback address: %v", err)
		}
		addrs = append(addrs, ln.Addr().String())
		go srv.Serve(ln)
	}
	for k := range feeds {
		c.urls = append(c.urls, fmt.Sprintf("http://%s/f/%d.rss", addrs[k%len(addrs)], k))
	}
	return c
}

// crashHosts is how many loopback addresses serve the crash corpus.
const crashHosts = 25

// TestCrashDuringIngest SIGKILLs `feedmill fetch --all` at random points
// of a pass over 200 feeds (10,000 items, some of 22 KB) again and again.
// After every kill the store must open and pass storage's consistency
// check (bbolt's page check plus our index invariants); a completed pass
// afterwards must leave every item of the corpus exactly once.
func TestCrashDuringIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test runs child processes")
	}
	const (
		feeds    = 200
		maxItems = 50
		kills    = 24
	)
	corpus := startCrashCorpus(t, feeds, maxItems, kills+1)
	corpus.bigEvery = 20
	dir := t.TempDir()
	var cfg strings.Builder
	cfg.WriteString("db: store.db\nlog_level: error\nfetch:\n  allow_private: true\n  workers: 16\n  per_host: 16\n  timeout: 20s\n")
	cfg.WriteString("retention:\n  max_age: 0s\n  max_items_per_source: 1000\nsources:\n")
	for _, u := range corpus.urls {
		fmt.Fprintf(&cfg, "  - url: %s\n", u)
	}
	cfgPath := filepath.Join(dir, "feedmill.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(dir, "store.db")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	runFetch := func() (*exec.Cmd, *bytes.Buffer) {
		cmd := cliCommand(ctx, "fetch", "-c", cfgPath, "--all")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, &out
	}
	checkStore := func(when string) {
		t.Helper()
		st, err := bolt.Open(dbPath, storage.Options{})
		if err != nil {
			t.Fatalf("%s: open: %v", when, err)
		}
		defer st.Close()
		if err := st.Check(); err != nil {
			t.Fatalf("%s: check: %v", when, err)
		}
	}

	// A first complete pass tells how long one takes.
	start := time.Now()
	cmd, out := runFetch()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("first pass: %v\n%s", err, out)
	}
	passTime := time.Since(start)
	// Kill within the pass; at most 2 s in, so that a slow build (-race
	// makes a pass ~8x slower) keeps the test near a minute.
	maxDelay := min(passTime, 2*time.Second)
	t.Logf("one pass: %v; killing within %v", passTime, maxDelay)

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 6))
	killed := 0
	for i := range kills {
		corpus.gen.Add(1)
		cmd, out := runFetch()
		time.Sleep(time.Duration(rng.Int64N(int64(maxDelay))))
		_ = cmd.Process.Kill() // SIGKILL
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			killed++
		} else if err != nil {
			t.Fatalf("run %d failed by itself: %v\n%s", i, err, out)
		}
		checkStore(fmt.Sprintf("after kill %d", i))
	}
	t.Logf("%d of %d runs killed mid-pass", killed, kills)
	if killed < kills/2 {
		t.Errorf("only %d of %d runs were killed before they finished", killed, kills)
	}

	corpus.gen.Store(corpus.gens)
	cmd, out = runFetch()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("final pass: %v\n%s", err, out)
	}
	checkStore("after the final pass")

	st, err := bolt.Open(dbPath, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srcs, err := st.Sources()
	if err != nil {
		t.Fatal(err)
	}
	if len(srcs) != feeds {
		t.Fatalf("%d sources, want %d", len(srcs), feeds)
	}
	total := 0
	for _, s := range srcs {
		k, err := strconv.Atoi(strings.TrimSuffix(s.URL[strings.LastIndex(s.URL, "/")+1:], ".rss"))
		if err != nil {
			t.Fatalf("source %s", s.URL)
		}
		seen := map[string]int{}
		if err := st.Items(storage.Query{SourceIDs: []uint64{s.ID}}, func(it storage.Item) bool {
			seen[it.GUID]++
			return true
		}); err != nil {
			t.Fatal(err)
		}
		for i := range maxItems {
			if n := seen[guidOf(k, i)]; n != 1 {
				t.Errorf("%s: %s stored %d times", s.URL, guidOf(k, i), n)
			}
		}
		if len(seen) != maxItems {
			t.Errorf("%s: %d distinct items, want %d", s.URL, len(seen), maxItems)
		}
		for _, n := range seen {
			total += n
		}
	}
	if total != feeds*maxItems {
		t.Errorf("%d items in the store, want %d", total, feeds*maxItems)
	}
}
