package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// soakConfig is what `feedbench soak` runs: a daemon polling Sources
// feeds on Hosts loopback hosts that each bring NewPerGen items every
// GenEvery, with retention at MaxItems a source, and readers asking for
// its channels' pages ReadRate times a second.
type soakConfig struct {
	Duration, Warmup, Sample, GenEvery time.Duration
	Sources, Hosts, Items, NewPerGen   int
	ItemBytes, MaxItems, Channels      int
	Pages                              int // readers ask for pages 1..Pages
	ReadRate                           float64
	Budget, Overhead                   int64   // cache.max_bytes; what the daemon may hold besides
	MaxGrowth                          float64 // MB of RssAnon an hour, after warm-up
	// Noise is the rise of the fitted line over the samples after warm-up
	// below which a slope is taken for the GC's sawtooth, not growth: -1
	// = 16 MiB for a run under longSoak (minutes of samples make a steep
	// line of noise), 0 for a long one.
	Noise                 int64
	Bin, Corpus, Out, SVG string
	Keep                  bool
}

// longSoak is the duration from which the soak runs at full size (issue
// 21's load); shorter runs are scaled down to show trends in minutes.
const longSoak = 20 * time.Minute

// soakSizes fills in the sizes left at 0 for a run of c.Duration.
func (c *soakConfig) soakSizes() {
	full := c.Duration >= longSoak
	pick := func(v *int, long, short int) {
		if *v == 0 {
			*v = map[bool]int{true: long, false: short}[full]
		}
	}
	pick(&c.Sources, 2000, 1000)
	pick(&c.Hosts, 500, 250)
	pick(&c.Items, 50, 30)
	pick(&c.NewPerGen, 10, 5)
	pick(&c.ItemBytes, 2000, 1000)
	pick(&c.MaxItems, 100, 50)
	if c.GenEvery == 0 {
		c.GenEvery = map[bool]time.Duration{true: 2 * time.Minute, false: 30 * time.Second}[full]
	}
	if c.Noise < 0 {
		c.Noise = map[bool]int64{true: 0, false: 16 << 20}[full]
	}
	if c.Warmup == 0 {
		c.Warmup = min(c.Duration/3, 5*time.Minute).Round(time.Second)
	}
}

func parseSoakFlags(args []string) (*soakConfig, error) {
	fs := flag.NewFlagSet("feedbench soak", flag.ContinueOnError)
	c := &soakConfig{}
	dur := os.Getenv("BENCH_SOAK")
	if dur == "" {
		dur = "2m30s"
	}
	d, err := time.ParseDuration(dur)
	if err != nil {
		return nil, fmt.Errorf("BENCH_SOAK: %w", err)
	}
	fs.DurationVar(&c.Duration, "duration", d, "how long the load runs (also BENCH_SOAK); from 20m on at full size")
	fs.DurationVar(&c.Warmup, "warmup", 0, "samples before this are left out of the verdict (default: a third of the run, at most 5m)")
	fs.DurationVar(&c.Sample, "sample", 5*time.Second, "time between samples")
	fs.DurationVar(&c.GenEvery, "gen", 0, "time between generations of new items (default 2m at full size, 30s scaled down)")
	fs.IntVar(&c.Sources, "sources", 0, "feeds (default 2000 at full size, 1000 scaled down)")
	fs.IntVar(&c.Hosts, "hosts", 0, "loopback hosts the feeds are spread over (default 500 / 250)")
	fs.IntVar(&c.Items, "items", 0, "items in each feed document (default 50 / 30)")
	fs.IntVar(&c.NewPerGen, "new", 0, "new items a feed brings each generation (default 10 / 5)")
	fs.IntVar(&c.ItemBytes, "size", 0, "bytes of content an item (default 2000 / 1000)")
	fs.IntVar(&c.MaxItems, "retention", 0, "retention.max_items_per_source (default 100 / 50)")
	fs.IntVar(&c.Channels, "channels", 10, "channels besides \"all\", each over a tenth of the sources")
	fs.IntVar(&c.Pages, "pages", 10, "readers ask for pages 1..N (half of the requests for page 1)")
	fs.Float64Var(&c.ReadRate, "rate", 20, "reader requests a second")
	budget := fs.String("budget", "64MiB", "cache.max_bytes (set in the config when the daemon knows the key)")
	overhead := fs.String("overhead", "128MiB", "RssAnon the daemon may hold besides the cache budget")
	fs.Float64Var(&c.MaxGrowth, "max-growth", 5, "MB an hour RssAnon may grow after warm-up (linear fit)")
	noise := fs.String("noise", "", "a fitted rise after warm-up below this is noise, whatever its slope (default 16MiB under 20m, 0 from 20m)")
	fs.StringVar(&c.Bin, "feedmill", "bin/feedmill", "the feedmill binary")
	fs.StringVar(&c.Corpus, "corpus", "../shared/testdata/feeds/realworld/guardian.rss", "real RSS capture the feeds are made of")
	fs.StringVar(&c.Out, "out", "docs/BENCHMARKS.md", "markdown file the samples table goes into (\"\" = none)")
	fs.StringVar(&c.SVG, "svg", "docs/soak.svg", "SVG plot of the samples (\"\" = none)")
	fs.BoolVar(&c.Keep, "keep", false, "keep the scratch folder (store, config, daemon log)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if c.Budget, err = parseBytes(*budget); err != nil {
		return nil, fmt.Errorf("-budget: %w", err)
	}
	if c.Overhead, err = parseBytes(*overhead); err != nil {
		return nil, fmt.Errorf("-overhead: %w", err)
	}
	c.Noise = -1
	if *noise != "" {
		if c.Noise, err = parseBytes(*noise); err != nil {
			return nil, fmt.Errorf("-noise: %w", err)
		}
	}
	if c.Duration <= 0 || c.Sample <= 0 || c.ReadRate <= 0 || c.Channels < 1 || c.Pages < 1 {
		return nil, errors.New("-duration, -sample, -rate, -channels and -pages must be above 0")
	}
	c.soakSizes()
	for _, p := range []*string{&c.Bin, &c.Corpus} {
		if *p, err = filepath.Abs(*p); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// parseBytes reads 64MiB, 100MB, 1GiB or a plain number of bytes.
func parseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		mul    int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	mul := int64(1)
	num := strings.TrimSpace(s)
	for _, u := range units {
		if n, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mul = strings.TrimSpace(n), u.mul
			break
		}
	}
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return int64(n * float64(mul)), nil
}

// runSoak is `feedbench soak`: it runs the load, samples the daemon,
// writes the table and the plot, and fails when the verdict does.
func runSoak(args []string) error {
	c, err := parseSoakFlags(args)
	if err != nil {
		return err
	}
	if _, err := os.Stat(c.Bin); err != nil {
		return fmt.Errorf("feedmill binary: %w (run make build)", err)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "feedsoak-")
	if err != nil {
		return err
	}
	if c.Keep {
		fmt.Fprintf(os.Stderr, "scratch folder kept: %s\n", work)
	} else {
		defer os.RemoveAll(work)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	started := time.Now()
	run, err := soak(ctx, c, self, work)
	if err != nil {
		return err
	}
	v := run.verdict(c)
	fmt.Println(run.table(c, 20))
	fmt.Println(v.text)
	if c.SVG != "" {
		if err := os.WriteFile(c.SVG, []byte(run.svg(c)), 0o644); err != nil {
			return err
		}
	}
	if c.Out != "" {
		if err := writeSoakReport(c, run, v, started); err != nil {
			return err
		}
		fmt.Printf("written to %s and %s\n", c.Out, c.SVG)
	}
	if !v.ok {
		return errors.New("soak: " + v.short)
	}
	return nil
}

// soakRun is what one soak measured.
type soakRun struct {
	samples    []soakSample
	reads      readStats
	gens       int
	cacheKey   bool // the daemon took cache.max_bytes
	machine    string
	daemonDied string
}

// soak runs the load and returns the samples.
func soak(ctx context.Context, c *soakConfig, self, work string) (*soakRun, error) {
	up, err := startUpstream(ctx, self, upstreamConfig{Prefix: 23, Hosts: c.Hosts, Sources: c.Sources,
		Items: c.Items, NewPerGen: c.NewPerGen, ItemBytes: c.ItemBytes,
		Base: time.Now().Add(-72 * time.Hour).Unix(), Corpus: c.Corpus})
	if err != nil {
		return nil, err
	}
	defer up.stop()
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	run := &soakRun{machine: describeMachine()}
	m := soakMill{Dir: work, Listen: fmt.Sprintf("127.0.0.1:%d", port), c: c, sources: up.urls()}
	if run.cacheKey, err = m.writeChecked(ctx, c.Bin); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(work, "daemon.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	d, err := startServeLogged(ctx, c.Bin, m.path(), m.Listen, logf)
	if err != nil {
		return nil, err
	}
	defer d.stop()
	fmt.Fprintf(os.Stderr, "soak: %d sources on %d hosts, a generation of %d items each every %s, retention %d a source, %.0f reads/s, for %s (warm-up %s)\n",
		c.Sources, c.Hosts, c.NewPerGen, c.GenEvery, c.MaxItems, c.ReadRate, c.Duration, c.Warmup)

	lctx, cancel := context.WithTimeout(ctx, c.Duration)
	defer cancel()
	r := newReader(d.base, m.channelNames(), c.Pages, c.ReadRate)
	done := make(chan struct{})
	go func() { r.run(lctx); close(done) }()
	gen := time.NewTicker(c.GenEvery)
	defer gen.Stop()
	tick := time.NewTicker(c.Sample)
	defer tick.Stop()
	s := sampler{pid: d.cmd.Process.Pid, base: d.base, db: filepath.Join(work, "feedmill.db"), start: time.Now()}
	run.samples = append(run.samples, s.take())
	for lctx.Err() == nil && !d.exited() {
		select {
		case <-gen.C:
			if err := up.next(); err != nil {
				fmt.Fprintf(os.Stderr, "soak: %v\n", err)
			}
			run.gens++
		case <-tick.C:
			smp := s.take()
			run.samples = append(run.samples, smp)
			fmt.Fprintf(os.Stderr, "soak %s\n", smp.line())
		case <-lctx.Done():
		case <-d.done:
		}
	}
	cancel()
	<-done
	run.reads = r.stats()
	if d.exited() {
		run.daemonDied = fmt.Sprintf("feedmill serve exited during the soak: %v (log: %s)", d.cmd.ProcessState, tail(readFile(logf.Name()), 500))
	} else {
		run.samples = append(run.samples, s.take())
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return run, nil
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// startServeLogged starts `feedmill serve` with its log in logw and waits
// until /healthz answers.
func startServeLogged(ctx context.Context, bin, cfgPath, listen string, logw io.Writer) (*daemon, error) {
	cmd := exec.CommandContext(ctx, bin, "serve", "-c", cfgPath)
	cmd.Stderr = logw
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	c := &child{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(c.done) }()
	d := &daemon{child: c, base: "http://" + listen}
	if err := d.waitHealthy(2 * time.Minute); err != nil {
		d.stop()
		return nil, err
	}
	return d, nil
}
