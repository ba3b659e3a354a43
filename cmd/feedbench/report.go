package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"
)

// passFigures are what one whole-process pass measured.
type passFigures struct {
	summary passSummary
	cpu     time.Duration // the daemon's CPU time during the pass
	mem     memStatus     // the daemon's memory right after the pass
}

// servingFigures are the wrk rounds of one run, against feedmill and
// nginx, in the order they ran.
type servingFigures struct {
	bodyBytes                            int
	mill200, nginx200, mill304, nginx304 []wrkResult
}

// medianRate is the median req/s of rounds.
func medianRate(rounds []wrkResult) float64 {
	r := make([]float64, len(rounds))
	for i, w := range rounds {
		r[i] = w.ReqPerSec
	}
	return median(r)
}

// median is the median of v (the mean of the middle two for an even
// count; 0 for none).
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	r := slices.Clone(v)
	slices.Sort(r)
	if n := len(r); n%2 == 0 {
		return (r[n/2-1] + r[n/2]) / 2
	}
	return r[len(r)/2]
}

// metricRounds is metric of every result, in the order they ran.
func metricRounds(rs []benchResult, metric string) []float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = r.Metrics[metric]
	}
	return v
}

// thousands lists v in thousands with one decimal.
func thousands(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%.1f", x/1000)
	}
	return strings.Join(parts, ", ")
}

// roundsText lists the rounds' req/s in thousands, in the order they ran.
func roundsText(rounds []wrkResult) string {
	r := make([]float64, len(rounds))
	for i, w := range rounds {
		r[i] = w.ReqPerSec
	}
	return thousands(r)
}

// The names of BenchmarkIngest's sides (cmd/feedbench/ingest_bench_test.go).
const (
	ingestPipeline    = "BenchmarkIngest/pipeline"
	ingestGofeed      = "BenchmarkIngest/gofeed"
	ingestNoImageScan = "BenchmarkIngest/gofeed-noimagescan"
)

var ingestSides = []string{ingestPipeline, ingestGofeed, ingestNoImageScan}

// servingMeasured is the measured column of a serving row.
func servingMeasured(mill, nginx []wrkResult, extra string) (string, float64) {
	return servingVs("feedmill", mill, "nginx", nginx, extra)
}

// servingVs compares the medians of server a's rounds and server b's,
// named as given: the text and a's median over b's.
func servingVs(aName string, a []wrkResult, bName string, b []wrkResult, extra string) (string, float64) {
	m, n := medianRate(a), medianRate(b)
	r := 0.0
	if n > 0 {
		r = m / n
	}
	return fmt.Sprintf("%s %.0f req/s vs %s %.0f req/s: %.2f×%s; rounds (k req/s) %s %s — %s %s",
		aName, m, bName, n, r, extra, aName, roundsText(a), bName, roundsText(b)), r
}

// results gathers the whole-process figures; nil = not measured.
type results struct {
	changed, unchanged *passFigures
	serving            *servingFigures
	store              *storeFigures
	postgres           *pgFigures
	errors             []string
}

// row is one line of the table.
type row struct {
	Figure, How, Measured, Target, Verdict string
}

func verdict(ok bool) string {
	if ok {
		return "pass"
	}
	return "FAIL"
}

const missing = "missing"

// Names of the near-duplicate benchmarks at 10k and 1M items
// ("items=10000" today; "10k" would do too).
const (
	nearDup10k  = `(?i)^BenchmarkNearDupLookup/.*(10k|=10000)$`
	nearDup1M   = `(?i)^BenchmarkNearDupLookup/.*(1M|=1000000)$`
	nearDup100k = `(?i)^BenchmarkNearDupLookup/.*(100k|=100000)$`
)

// nearDupSides are the exact names of BenchmarkNearDupLookup's results
// (storage/dedup_test.go): a round keeps its figures only when it has the
// 10k and the 1M one (keepRound).
var nearDupSides = []string{
	"BenchmarkNearDupLookup/items=10000",
	"BenchmarkNearDupLookup/items=100000",
	"BenchmarkNearDupLookup/items=1000000",
}

func missingRow(figure, how, target, why string) row {
	return row{figure, how, missing + " (" + why + ")", target, missing}
}

// rows builds the table from what was measured. A figure that was not
// measured says "missing", never a number.
func (h *harness) rows() []row {
	var rows []row
	rows = append(rows, h.ingestRows()...)
	rows = append(rows, h.unchangedRows()...)
	rows = append(rows, h.unchangedInProcessRows()...)
	rows = append(rows, h.changedRows()...)
	rows = append(rows, h.servingRows()...)
	rows = append(rows, h.storeRows()...)
	rows = append(rows, h.nearDupRows()...)
	rows = append(rows, h.postgresRows()...)
	return rows
}

// ingestRows is the ingest figure: the pipeline vs gofeed, same run.
func (h *harness) ingestRows() []row {
	// Each side's figure is the median of its rounds (one go test run
	// each: pipeline, gofeed, gofeed without its image scan, then
	// again; goBenches keeps only rounds that gave both sides), as for
	// the wrk rounds below.
	pr, gr := h.bench[ingestPipeline], h.bench[ingestGofeed]
	rounds := fmt.Sprintf("%d rounds of %s passes, alternating, median of each side's rounds", len(pr), strings.TrimSuffix(h.sz.IngestBenchtime, "x"))
	if len(pr) == 1 {
		rounds = fmt.Sprintf("1 round of %s passes", strings.TrimSuffix(h.sz.IngestBenchtime, "x"))
	}
	if len(pr) < h.sz.IngestCount {
		rounds += fmt.Sprintf(" (%d of the %d rounds run gave figures; see below)", len(pr), h.sz.IngestCount)
	}
	fig, target := "ingest: items/s end to end", "≥ 0.8 × gofeed"
	how := "BenchmarkIngest: 16 feeds × 50 items (~1 MB each, from guardian.rss) per pass, fetch → parse → normalize → dedup → store over loopback HTTP (one host each), 16 workers; vs gofeed Parse of the same bytes with 16 goroutines, same go test run; " + rounds
	pipe, gof := median(metricRounds(pr, "items/s")), median(metricRounds(gr, "items/s"))
	if len(pr) > 0 && gof > 0 {
		ratio := pipe / gof
		measured := fmt.Sprintf("%.0f items/s (%.1f MB/s, %.2f cores) vs gofeed %.0f items/s (%.1f MB/s, %.2f cores): %.2f×",
			pipe, median(metricRounds(pr, "MB/s")), median(metricRounds(pr, "cores")),
			gof, median(metricRounds(gr, "MB/s")), median(metricRounds(gr, "cores")), ratio)
		if len(pr) > 1 {
			measured = "medians " + measured
		}
		// The pipeline turns off gofeed's scan of every body for a
		// first <img> (its sanitizer finds the image in the pass it
		// makes anyway); gofeed parsing with the same option is shown
		// beside the target's baseline so the saving is not hidden.
		if nr := h.bench[ingestNoImageScan]; len(nr) > 0 {
			if n := median(metricRounds(nr, "items/s")); n > 0 {
				measured += fmt.Sprintf("; vs gofeed without its image scan %.0f items/s: %.2f×", n, pipe/n)
			}
		}
		if len(pr) > 1 {
			measured += fmt.Sprintf("; rounds (k items/s) pipeline %s — gofeed %s", thousands(metricRounds(pr, "items/s")), thousands(metricRounds(gr, "items/s")))
		}
		return []row{{fig, how, measured, target, verdict(ratio >= 0.8)}}
	}
	return []row{missingRow(fig, how, target, "BenchmarkIngest did not report")}
}

// unchangedRows is the unchanged pass of the whole process.
func (h *harness) unchangedRows() []row {
	fig := "unchanged pass"
	how := fmt.Sprintf("`feedmill fetch --all` through the daemon; %d sources on %d loopback hosts (127.22.x.y) all answering 304, default per_host (2) and per_host_interval (1s); wall time from feedmill's summary, CPU = the daemon's utime+stime during the pass, memory = the daemon's RssAnon after the pass (the target: its own memory, not bbolt's file pages) and its peak VmHWM since start (the first pass that filled the store included)", h.sz.UnchangedSources, h.sz.UnchangedHosts)
	target := "≤ 10 s, ≤ 0.5 ms CPU per source, daemon ≤ 100 MB"
	if u := h.res.unchanged; u != nil {
		perSrc := u.cpu.Seconds() * 1000 / float64(u.summary.Sources)
		return []row{{fig, how,
			fmt.Sprintf("%.2f s, %.3f ms CPU/source (%d×304); daemon RssAnon %d MB (VmRSS %d MB), peak VmHWM %d MB", u.summary.Duration.Seconds(), perSrc, u.summary.NotModified, u.mem.Anon>>20, u.mem.RSS>>20, u.mem.HWM>>20),
			target, verdict(u.summary.Duration <= 10*time.Second && perSrc <= 0.5 && u.mem.Anon <= 100<<20)}}
	}
	return []row{missingRow(fig, how, target, "scenario did not run")}
}

// unchangedInProcessRows is the unchanged pass in-process
// (BenchmarkPassUnchanged10k, by name).
func (h *harness) unchangedInProcessRows() []row {
	fig, how, target := "unchanged pass (in-process)", "BenchmarkPassUnchanged10k (fetcher): 10,000 sources on 2,500 loopback addresses of a child process, all 304; s/pass and cpu-ms/source as it reports them", "≤ 10 s, ≤ 0.5 ms CPU per source"
	r, ok := h.bench.find(`^BenchmarkPassUnchanged10k$`)
	sec, ok1 := r.Metrics["s/pass"]
	cpu, ok2 := r.Metrics["cpu-ms/source"]
	switch {
	case ok && ok1 && ok2:
		return []row{{fig, how, fmt.Sprintf("%.2f s, %.3f ms CPU/source (%s)", sec, cpu, formatMetrics(r.Metrics)), target, verdict(sec <= 10 && cpu <= 0.5)}}
	case ok:
		return []row{{fig, how, formatMetrics(r.Metrics), target, "see figures"}}
	default:
		return []row{missingRow(fig, how, target, "no benchmark by that name")}
	}
}

// changedRows is the changed pass.
func (h *harness) changedRows() []row {
	fig := "changed pass"
	how := fmt.Sprintf("`feedmill fetch --all` through the daemon; %d sources (50-item feeds, ~2 KB per item) each with 20 new items", h.sz.ChangedSources)
	if c := h.res.changed; c != nil {
		return []row{{fig, how,
			fmt.Sprintf("%.2f s, %.0f items/s (%d new; daemon CPU %.2f s)", c.summary.Duration.Seconds(),
				float64(c.summary.Added)/c.summary.Duration.Seconds(), c.summary.Added, c.cpu.Seconds()),
			"report s and items/s", "—"}}
	}
	return []row{missingRow(fig, how, "report s and items/s", "scenario did not run")}
}

// servingRows are the serving figures: 200s and 304s vs nginx.
func (h *harness) servingRows() []row {
	how := fmt.Sprintf("`wrk -t2 -c64 -d%s` on /channels/all.rss of a running `feedmill serve` vs nginx-light (2 workers, sendfile) serving the same bytes as a static file (same Content-Type), same run; %d rounds alternating the servers, median of each server's rounds", h.sz.Wrk, h.sz.WrkRounds)
	how304 := "same, with `-H If-None-Match:` each server's own ETag"
	if s := h.res.serving; s != nil {
		text200, r200 := servingMeasured(s.mill200, s.nginx200, fmt.Sprintf(" (%d-byte body)", s.bodyBytes))
		text304, r304 := servingMeasured(s.mill304, s.nginx304, "")
		return []row{
			{"serving a cached channel", how, text200, "≥ 0.9 × nginx", verdict(r200 >= 0.9)},
			{"serving 304s", how304, text304, "≥ nginx's 304 rate", verdict(r304 >= 1)},
		}
	}
	return []row{missingRow("serving a cached channel", how, "≥ 0.9 × nginx", "scenario did not run"),
		missingRow("serving 304s", how304, "≥ nginx's 304 rate", "scenario did not run")}
}

// storeRows are the store figures: bytes per item, memory, open time.
func (h *harness) storeRows() []row {
	how := fmt.Sprintf("%d items (1,000 per source, Guardian summaries with a random fingerprint and lead each, so the near-duplicate index holds them all, spread over 29 days) written with RecordFetch from 8 goroutines; file size / items; `feedmill serve` on it (one channel over all sources, duplicates: collapse) after 3 rounds of requests to every page; bolt.Open median of 3 (warm page cache, no daemon)", h.sz.StoreItems)
	if s := h.res.store; s != nil {
		return []row{
			{"store: bytes per item", how, fmt.Sprintf("%.0f B/item (%.0f MB; built in %.0f s)", float64(s.fileBytes)/float64(s.items), float64(s.fileBytes)/1e6, s.build.Seconds()), "report", "—"},
			{"store: daemon memory", "RssAnon of that daemon (its own memory: heap, stacks; the target), beside RssFile (bbolt's mapping of the store, page cache the kernel reclaims) and VmHWM (peak)", fmt.Sprintf("RssAnon %.0f MB (RssFile %.0f MB), peak VmHWM %.0f MB; at start RssAnon %.0f MB; ready in %.2f s, first render of the channel %.2f s",
				mb(s.mem.Anon), mb(s.mem.File), mb(s.mem.HWM), mb(s.memReady.Anon), s.ready.Seconds(), s.render.Seconds()), "RssAnon ≤ 100 MB", verdict(s.mem.Anon <= 100<<20)},
			{"store: open time", "bolt.Open on that store", s.open.Round(time.Microsecond).String(), "≤ 1 s", verdict(s.open <= time.Second)},
		}
	}
	return []row{missingRow("store: bytes per item, RSS, open time", how, "RssAnon ≤ 100 MB; open ≤ 1 s", "scenario did not run")}
}

// nearDupRows is the near-duplicate lookup (BenchmarkNearDupLookup,
// by name): the median of each size's rounds (one go test run each, its own
// index built), as for ingest: one run's 1M/10k ratio varies too much to
// judge flatness by.
func (h *harness) nearDupRows() []row {
	fig, how, target := "near-duplicate lookup", "BenchmarkNearDupLookup (storage) at 10k and 1M stored items, ns/op = one item's lookup; flat = 1M within 2 × 10k", "≤ 50 µs, flat"
	small, big := metricRounds(h.bench.all(nearDup10k), "ns/op"), metricRounds(h.bench.all(nearDup1M), "ns/op")
	if len(small) > 0 && len(big) > 0 {
		if len(big) > 1 {
			how += fmt.Sprintf("; %d rounds, median of each size's", len(big))
		}
		s, b := median(small)/1000, median(big)/1000
		mid := ""
		// 100k shows where the growth happens: below ~16k items no
		// shard has merged (storage/dedup_shard.go), so lookups read
		// pending values only; past it they read a base group too.
		if m := metricRounds(h.bench.all(nearDup100k), "ns/op"); len(m) > 0 {
			mid = fmt.Sprintf(", %.1f µs at 100k", median(m)/1000)
		}
		measured := fmt.Sprintf("%.1f µs at 10k%s, %.1f µs at 1M (%.2f×)", s, mid, b, b/s)
		if len(big) > 1 {
			measured = "medians " + measured + fmt.Sprintf("; rounds (µs) 10k %s — 1M %s", thousands(small), thousands(big))
		}
		return []row{{fig, how, measured, target, verdict(s <= 50 && b <= 50 && b <= 2*s)}}
	}
	return []row{missingRow(fig, how, target, "BenchmarkNearDupLookup 10k/1M not found")}
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }

func formatMetrics(m map[string]float64) string {
	units := make([]string, 0, len(m))
	for u := range m {
		units = append(units, u)
	}
	sort.Strings(units)
	var parts []string
	for _, u := range units {
		parts = append(parts, fmt.Sprintf("%.4g %s", m[u], u))
	}
	return strings.Join(parts, ", ")
}

// renderTable renders rows as a markdown table.
func renderTable(rows []row) string {
	var b strings.Builder
	b.WriteString("| figure | how | measured | target | pass/fail |\n|---|---|---|---|---|\n")
	cell := func(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", cell(r.Figure), cell(r.How), cell(r.Measured), cell(r.Target), cell(r.Verdict))
	}
	return b.String()
}

// describeMachine names the CPU, cores, memory, Go version, kernel and
// the load when the run started.
func describeMachine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := "unknown"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			var kb float64
			fmt.Sscan(f[1], &kb)
			mem = fmt.Sprintf("%.1f GiB", kb/(1<<20))
		}
	}
	kernel := "unknown"
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = strings.TrimSpace(string(b))
	}
	goVersion := runtime.Version()
	if out, err := exec.Command("go", "env", "GOVERSION").Output(); err == nil {
		goVersion = strings.TrimSpace(string(out))
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	startLoad = loadAverage()
	return fmt.Sprintf("- CPU: %s, %d cores\n- memory: %s\n- Go: %s\n- kernel: Linux %s\n- load average at start: %s",
		cpu, runtime.NumCPU(), mem, goVersion, kernel, load)
}

// startLoad is the 1-minute load average when the run started.
var startLoad float64

// loadAverage is the higher of the 1- and 5-minute load averages that the
// run started with (read by describeMachine), else the current one.
func loadAverage() float64 {
	if startLoad > 0 {
		return startLoad
	}
	var l1, l5 float64
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Sscan(string(b), &l1, &l5)
	}
	return max(l1, l5)
}

// Markers of the generated part of docs/BENCHMARKS.md: the rest of the
// file (notes, profiles, before/after figures) is written by hand and kept.
const (
	beginMark = "<!-- feedbench:begin (generated by make bench; edits inside are overwritten) -->"
	endMark   = "<!-- feedbench:end -->"
)

// writeReport puts the run's description and table between the markers
// of path, creating the file when it does not exist.
func writeReport(path, machine string, started time.Time, took time.Duration, quick bool, table string, errs []string) error {
	var gen strings.Builder
	mode := "full run"
	if quick {
		mode = "QUICK run (BENCH_QUICK=1: reduced sizes, figures do not answer the targets)"
	}
	fmt.Fprintf(&gen, "%s\n## Latest run\n\n%s, %s, took %s.\n\n%s\n", beginMark,
		started.UTC().Format("2006-01-02 15:04 MST"), mode, took.Round(time.Second), machine)
	if load1 := loadAverage(); load1 > float64(runtime.NumCPU()) {
		fmt.Fprintf(&gen, "\nTaken on a loaded machine (load average %.1f on %d cores when it started): absolute figures are low and noisy; ratios measured in the same run hold up better.\n", load1, runtime.NumCPU())
	}
	fmt.Fprintf(&gen, "\n%s", table)
	if len(errs) > 0 {
		gen.WriteString("\nParts that could not be measured:\n\n")
		for _, e := range errs {
			fmt.Fprintf(&gen, "- %s\n", strings.ReplaceAll(e, "\n", " "))
		}
	}
	gen.WriteString(endMark)
	return replaceSection(path, beginMark, endMark, gen.String())
}
