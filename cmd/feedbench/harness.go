package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// sizes are the scenario sizes of a full run and of a quick one
// (BENCH_QUICK=1 or -quick), which checks the harness in about a minute
// but gives figures that do not answer the targets.
type sizes struct {
	UnchangedSources, UnchangedHosts int
	ChangedSources, ChangedHosts     int
	StoreItems                       int
	Wrk                              time.Duration
	WrkRounds                        int
	IngestBenchtime                  string
	IngestCount                      int // rounds of BenchmarkIngest
	NearDupCount                     int // rounds of BenchmarkNearDupLookup
	PassBenchtime                    string
	OtherBenchtime                   string
	PgRounds                         int           // coordination rounds of the postgres step
	PgWrk                            time.Duration // each wrk run of the postgres step
	PgWrkRounds                      int
}

var (
	fullSizes  = sizes{10000, 2500, 1000, 250, 1_000_000, 10 * time.Second, 5, "6x", 3, 3, "2x", "", 2, 5 * time.Second, 3}
	quickSizes = sizes{1000, 250, 200, 50, 100_000, 3 * time.Second, 1, "1x", 1, 1, "1x", "1x", 1, 2 * time.Second, 1}
)

// harness is one run of feedbench: what it measures and what it found.
type harness struct {
	quick  bool
	sz     sizes
	bin    string // the feedmill binary
	self   string // this binary, for the upstream child
	corpus string
	work   string // scratch dir, removed at the end
	log    io.Writer
	bench  benchSet
	res    results
}

func runHarness(args []string) error {
	fs := flag.NewFlagSet("feedbench", flag.ContinueOnError)
	quick := fs.Bool("quick", os.Getenv("BENCH_QUICK") == "1", "short smoke run (also BENCH_QUICK=1)")
	bin := fs.String("feedmill", "bin/feedmill", "the feedmill binary to measure")
	out := fs.String("out", "", "markdown file to write the table into (default docs/BENCHMARKS.md; none for a quick or an -only run, so that a smoke or partial run never replaces a full run's figures)")
	corpus := fs.String("corpus", "../shared/testdata/feeds/realworld/guardian.rss", "real RSS capture the generated feeds are made of")
	only := fs.String("only", "", "comma-separated subset: gotest,changed,unchanged,store,postgres")
	keep := fs.Bool("keep", false, "keep the scratch folder (stores, configs) for profiling")
	if err := fs.Parse(args); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	h := &harness{quick: *quick, sz: fullSizes, self: self, log: os.Stderr, bench: benchSet{}}
	if h.quick {
		h.sz = quickSizes
	} else if *out == "" && *only == "" {
		*out = "docs/BENCHMARKS.md"
	}
	if h.bin, err = filepath.Abs(*bin); err != nil {
		return err
	}
	if h.corpus, err = filepath.Abs(*corpus); err != nil {
		return err
	}
	if _, err := os.Stat(h.bin); err != nil {
		return fmt.Errorf("feedmill binary: %w (run make build)", err)
	}
	h.work, err = os.MkdirTemp("", "feedbench-")
	if err != nil {
		return err
	}
	if *keep {
		fmt.Fprintf(h.log, "scratch folder kept: %s\n", h.work)
	} else {
		defer os.RemoveAll(h.work)
	}
	// nginx's workers run as nobody when started by root: let them in.
	if err := os.Chmod(h.work, 0o755); err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	started := time.Now()
	mach := describeMachine()
	h.runSteps(ctx, *only)
	rows := h.rows()
	table := renderTable(rows)
	fmt.Println()
	fmt.Print(table)
	if *out != "" && ctx.Err() == nil {
		if err := writeReport(*out, mach, started, time.Since(started), h.quick, table, h.res.errors); err != nil {
			return err
		}
		fmt.Printf("\nwritten to %s\n", *out)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if len(h.res.errors) > 0 {
		return fmt.Errorf("%d part(s) could not be measured", len(h.res.errors))
	}
	return nil
}

// runSteps runs the parts only names (comma-separated; "" = all) until ctx
// ends. A part that fails is logged and noted in h.res.errors; the others
// still run.
func (h *harness) runSteps(ctx context.Context, only string) {
	want := func(part string) bool { return only == "" || strings.Contains(","+only+",", ","+part+",") }
	steps := []struct {
		name string
		run  func(context.Context) error
	}{
		{"gotest", h.goBenches},
		{"changed", h.changedAndServing},
		{"unchanged", h.unchangedPass},
		{"store", h.store},
		{"postgres", h.postgres},
	}
	for _, s := range steps {
		if !want(s.name) || ctx.Err() != nil {
			continue
		}
		fmt.Fprintf(h.log, "\n=== %s\n", s.name)
		if err := s.run(ctx); err != nil {
			fmt.Fprintf(h.log, "feedbench: %s: %v\n", s.name, err)
			h.res.errors = append(h.res.errors, s.name+": "+err.Error())
		}
	}
}

// goBenches runs the in-process benchmarks: ingest (ours) and those of the
// other packages that the table quotes by name.
func (h *harness) goBenches(ctx context.Context) error {
	var errs []string
	// Rounds of BenchmarkIngest, each a go test run of its own so that the
	// sides alternate (go test -count would repeat each side in a row). A
	// round that did not give both sides is dropped whole, so the sides'
	// medians are over the same rounds.
	for round := range max(h.sz.IngestCount, 1) {
		before := h.bench.counts(ingestSides)
		err := h.bench.runGoBench(ctx, h.log, "^BenchmarkIngest$", h.sz.IngestBenchtime, "./cmd/feedbench/")
		if !h.bench.keepRound(before, ingestPipeline, ingestGofeed) && err == nil {
			err = fmt.Errorf("BenchmarkIngest round %d gave no figure for one side", round+1)
		}
		if err != nil {
			errs = append(errs, err.Error())
		}
		if ctx.Err() != nil {
			break
		}
	}
	if err := h.bench.runGoBench(ctx, h.log, "^BenchmarkPassUnchanged10k$", h.sz.PassBenchtime, "./fetcher/"); err != nil {
		errs = append(errs, err.Error())
	}
	for round := range max(h.sz.NearDupCount, 1) {
		before := h.bench.counts(nearDupSides)
		err := h.bench.runGoBench(ctx, h.log, "^BenchmarkNearDupLookup$", h.sz.OtherBenchtime, "./storage/bolt/internal/neardup/")
		if !h.bench.keepRound(before, nearDupSides[0], nearDupSides[2]) && err == nil {
			err = fmt.Errorf("BenchmarkNearDupLookup round %d gave no 10k or 1M figure", round+1)
		}
		if err != nil {
			errs = append(errs, err.Error())
		}
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// scenarioDir makes a fresh folder for one scenario's config and store.
func (h *harness) scenarioDir(name string) (millConfig, error) {
	dir := filepath.Join(h.work, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return millConfig{}, err
	}
	port, err := freePort()
	if err != nil {
		return millConfig{}, err
	}
	return millConfig{Dir: dir, Listen: fmt.Sprintf("127.0.0.1:%d", port)}, nil
}

// changedUpstream is the changed pass's upstream: ChangedSources
// 50-item feeds of ~2 KB items, 20 new a generation, on 127.prefix.x.y.
func (h *harness) changedUpstream(prefix int) upstreamConfig {
	return upstreamConfig{Prefix: prefix, Hosts: h.sz.ChangedHosts, Sources: h.sz.ChangedSources,
		Items: 50, NewPerGen: 20, ItemBytes: 2000, Base: time.Now().Add(-48 * time.Hour).Unix(), Corpus: h.corpus}
}

// unchangedUpstream is the unchanged pass's upstream: UnchangedSources
// 10-item feeds of ~0.4 KB items on 127.prefix.x.y.
func (h *harness) unchangedUpstream(prefix int) upstreamConfig {
	return upstreamConfig{Prefix: prefix, Hosts: h.sz.UnchangedHosts, Sources: h.sz.UnchangedSources,
		Items: 10, NewPerGen: 10, ItemBytes: 400, Base: time.Now().Add(-48 * time.Hour).Unix(), Corpus: h.corpus}
}

// filledStore starts an upstream with u, writes a config listing its
// sources in a fresh scenario folder (bbolt), and fills the store with
// one `feedmill fetch --all`. On error the upstream is stopped.
func (h *harness) filledStore(ctx context.Context, name string, u upstreamConfig) (*upstream, millConfig, error) {
	up, err := startUpstream(ctx, h.self, u)
	if err != nil {
		return nil, millConfig{}, err
	}
	m, err := h.scenarioDir(name)
	if err == nil {
		m.Sources = up.urls()
		err = m.write()
	}
	if err != nil {
		up.stop()
		return nil, m, err
	}
	fill, err := fetchAll(ctx, h.bin, m)
	if err != nil {
		up.stop()
		return nil, m, fmt.Errorf("fill pass: %w", err)
	}
	fmt.Fprintf(h.log, "%s: fill pass: %+v\n", name, fill)
	return up, m, nil
}

// filledDaemon is filledStore, then `feedmill serve` on the store. stop
// ends the daemon and the upstream.
func (h *harness) filledDaemon(ctx context.Context, name string, u upstreamConfig) (up *upstream, m millConfig, d *daemon, stop func(), err error) {
	if up, m, err = h.filledStore(ctx, name, u); err != nil {
		return nil, m, nil, nil, err
	}
	if d, err = startServe(ctx, h.bin, m); err != nil {
		up.stop()
		return nil, m, nil, nil, err
	}
	return up, m, d, func() { d.stop(); up.stop() }, nil
}

// daemonPass runs `feedmill fetch --all` through the daemon d and
// returns its summary with the daemon's CPU time during the pass.
func (h *harness) daemonPass(ctx context.Context, name string, m millConfig, d *daemon) (*passFigures, error) {
	cpu0, err := d.cpu()
	if err != nil {
		return nil, err
	}
	pass, err := fetchAll(ctx, h.bin, m)
	if err != nil {
		return nil, fmt.Errorf("%s pass: %w", name, err)
	}
	cpu1, err := d.cpu()
	if err != nil {
		return nil, err
	}
	mem, err := procMem(d.cmd.Process.Pid)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(h.log, "%s pass: %+v, daemon CPU %v, memory %+v\n", name, pass, cpu1-cpu0, mem)
	return &passFigures{summary: pass, cpu: cpu1 - cpu0, mem: mem}, nil
}

// changedAndServing: 1,000 sources filled by a pass, then a pass where
// each brings 20 new items (through the daemon), then wrk against the
// daemon's cached channel and against nginx serving the same bytes.
func (h *harness) changedAndServing(ctx context.Context) error {
	up, m, d, stop, err := h.filledDaemon(ctx, "changed", h.changedUpstream(21))
	if err != nil {
		return err
	}
	defer stop()
	if err := up.next(); err != nil {
		return err
	}
	pf, err := h.daemonPass(ctx, "changed", m, d)
	if err != nil {
		return err
	}
	if want := 20 * h.sz.ChangedSources; pf.summary.Added != want {
		return fmt.Errorf("changed pass added %d items, want %d", pf.summary.Added, want)
	}
	h.res.changed = pf
	return h.serving(ctx, d)
}

// serving runs wrk against the daemon's channel and nginx's copy of it,
// each with and without If-None-Match, alternating the two servers.
func (h *harness) serving(ctx context.Context, d *daemon) error {
	url := d.base + "/channels/all.rss"
	body, hdr, err := getBody(url)
	if err != nil {
		return err
	}
	ng, err := startNginx(ctx, filepath.Join(h.work, "nginx"), body, hdr.Get("Content-Type"))
	if err != nil {
		return err
	}
	defer ng.stop()
	_, nhdr, err := getBody(ng.url)
	if err != nil {
		return err
	}
	sf := &servingFigures{bodyBytes: len(body)}
	err = h.wrkRounds(ctx, h.sz.WrkRounds, h.sz.Wrk, []wrkRun{
		{dst: &sf.mill200, url: url},
		{dst: &sf.nginx200, url: ng.url},
		{dst: &sf.mill304, url: url, header: "If-None-Match: " + hdr.Get("ETag")},
		{dst: &sf.nginx304, url: ng.url, header: "If-None-Match: " + nhdr.Get("ETag")},
	})
	if err != nil {
		return err
	}
	h.res.serving = sf
	return nil
}

// wrkRun is one wrk run of a round: what it asks and where its result
// goes.
type wrkRun struct {
	dst         *[]wrkResult
	url, header string
	// daemons and pm (a PostgreSQL server, 0 = none), when set, have
	// their CPU time during the run logged.
	daemons []*daemon
	pm      int
}

// wrkRounds runs the runs in turn, rounds times, each for d. Rounds
// alternate the servers, so that what else the machine does at a moment
// falls on all; each figure is then the median of its rounds (report.go),
// steadier than the best or the mean of a few.
func (h *harness) wrkRounds(ctx context.Context, rounds int, d time.Duration, runs []wrkRun) error {
	for range rounds {
		for _, run := range runs {
			mill0, pg0, _ := cpuOf(run.daemons, run.pm)
			r, err := runWrk(ctx, run.url, d, run.header)
			if err != nil {
				return err
			}
			fmt.Fprintf(h.log, "wrk %s %q: %.0f req/s", run.url, run.header, r.ReqPerSec)
			if mill1, pg1, err := cpuOf(run.daemons, run.pm); err == nil && len(run.daemons) > 0 {
				fmt.Fprintf(h.log, " (feedmill CPU %v, postgres CPU %v)", mill1-mill0, pg1-pg0)
			}
			fmt.Fprintln(h.log)
			*run.dst = append(*run.dst, r)
		}
	}
	return nil
}

// unchangedPass: 10,000 sources over 2,500 loopback hosts (4 a host, so
// the default per_host: 2 and per_host_interval: 1s make a host take 2 s
// at least, as a big subscription list spreads over real hosts), filled by a
// pass; then a pass through the daemon where every source answers 304,
// timed by feedmill's summary and charged the daemon's CPU time.
func (h *harness) unchangedPass(ctx context.Context) error {
	_, m, d, stop, err := h.filledDaemon(ctx, "unchanged", h.unchangedUpstream(22))
	if err != nil {
		return err
	}
	defer stop()
	pf, err := h.daemonPass(ctx, "unchanged", m, d)
	if err != nil {
		return err
	}
	if pf.summary.NotModified != h.sz.UnchangedSources {
		return fmt.Errorf("unchanged pass: %d of %d sources answered 304", pf.summary.NotModified, h.sz.UnchangedSources)
	}
	h.res.unchanged = pf
	return nil
}
