package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// soakVerdict is the soak's judgement of RssAnon after warm-up.
type soakVerdict struct {
	ok          bool
	slopeMBh    float64 // trend of RssAnon after warm-up (Theil–Sen), MB an hour
	slopeLo     float64 // its 95 % interval's lower end
	slopeHi     float64 // and upper end
	heapMBh     float64 // the same of the Go heap
	maxAnon     int64
	limit       int64 // budget + overhead
	text, short string
}

// verdict fails the run when, after warm-up, RssAnon grows faster than
// c.MaxGrowth MB an hour — its Theil–Sen trend's 95 % interval lies above
// the limit, so that the growth is shown, not a tilt of the GC's saw (and
// it rises more than c.Noise over those samples) — or exceeds budget +
// overhead,
// or when the daemon died or the readers met errors.
func (r *soakRun) verdict(c *soakConfig) soakVerdict {
	v := soakVerdict{limit: c.Budget + c.Overhead}
	var ts, anon, heap []float64
	for _, s := range r.samples {
		if s.At < c.Warmup || s.Anon < 0 {
			continue
		}
		ts = append(ts, s.At.Hours())
		anon = append(anon, float64(s.Anon)/(1<<20))
		if s.Heap >= 0 {
			heap = append(heap, float64(s.Heap)/(1<<20))
		}
		v.maxAnon = max(v.maxAnon, s.Anon)
	}
	var fails []string
	switch {
	case r.daemonDied != "":
		fails = append(fails, r.daemonDied)
	case len(ts) < 3:
		fails = append(fails, fmt.Sprintf("only %d samples after warm-up: run longer or sample more often", len(ts)))
	default:
		v.slopeMBh, v.slopeLo, v.slopeHi = trend(ts, anon)
		if len(heap) == len(ts) {
			v.heapMBh = slope(ts, heap)
		}
		rise := v.slopeLo * (ts[len(ts)-1] - ts[0])
		if v.slopeLo > c.MaxGrowth && rise > float64(c.Noise)/(1<<20) {
			fails = append(fails, fmt.Sprintf("RssAnon grows %.0f MB/h after warm-up (95 %% interval %.0f to %.0f; limit %.0f MB/h)", v.slopeMBh, v.slopeLo, v.slopeHi, c.MaxGrowth))
		}
		if v.maxAnon > v.limit {
			fails = append(fails, fmt.Sprintf("RssAnon reached %s, above the cache budget %s + overhead %s", mbText(v.maxAnon), mbText(c.Budget), mbText(c.Overhead)))
		}
	}
	if n := r.reads.Errors + r.reads.Other; n > 0 {
		fails = append(fails, fmt.Sprintf("%d reader requests failed (%s)", n, strings.Join(r.reads.Failures, "; ")))
	}
	v.ok = len(fails) == 0
	v.short = strings.Join(fails, "; ")
	v.text = fmt.Sprintf("after warm-up (%s): RssAnon %+.1f MB/h (95 %% interval %+.1f to %+.1f; fails when the interval lies above %.0f; rises under %s taken for noise), max %s (limit %s); Go heap %+.1f MB/h. ",
		c.Warmup, v.slopeMBh, v.slopeLo, v.slopeHi, c.MaxGrowth, mbText(c.Noise), mbText(v.maxAnon), mbText(v.limit), v.heapMBh)
	if v.ok {
		v.text += "Verdict: pass"
	} else {
		v.text += "Verdict: FAIL: " + v.short
	}
	return v
}

// slope is the Theil–Sen estimate of y's trend over x: the median of the
// slopes between every pair of samples. Under a soft memory limit RssAnon
// saws up and down by tens of MB between collections; a least-squares
// line through such a saw tilts with where the run happens to stop,
// while the median of pairwise slopes follows the trend under it.
func slope(x, y []float64) float64 {
	est, _, _ := trend(x, y)
	return est
}

// trend is slope with its 95 % interval (Sen's: the ranks of the sorted
// pairwise slopes that Kendall's statistic puts 1.96 standard deviations
// either side of the median). Samples a few seconds apart are not
// independent, which makes the interval narrower than it should be: a
// verdict on it errs towards calling growth.
func trend(x, y []float64) (est, lo, hi float64) {
	var slopes []float64
	for i := range x {
		for j := i + 1; j < len(x); j++ {
			if dx := x[j] - x[i]; dx != 0 {
				slopes = append(slopes, (y[j]-y[i])/dx)
			}
		}
	}
	m := len(slopes)
	if m == 0 {
		return 0, 0, 0
	}
	slices.Sort(slopes)
	if m%2 == 1 {
		est = slopes[m/2]
	} else {
		est = (slopes[m/2-1] + slopes[m/2]) / 2
	}
	n := float64(len(x))
	c := 1.96 * math.Sqrt(n*(n-1)*(2*n+5)/18)
	l := max(0, int(math.Floor((float64(m)-c)/2)))
	u := min(m-1, int(math.Ceil((float64(m)+c)/2)))
	return est, slopes[l], slopes[u]
}

// table renders at most rows samples (evenly picked, the last always) as
// markdown.
func (r *soakRun) table(c *soakConfig, rows int) string {
	var b strings.Builder
	b.WriteString("| minutes | RssAnon | VmRSS | Go heap | goroutines | fds | deleted files open | store | fetches |\n")
	b.WriteString("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	step := max(1, (len(r.samples)+rows-1)/rows)
	for i, s := range r.samples {
		if i%step != 0 && i != len(r.samples)-1 {
			continue
		}
		warm := ""
		if s.At < c.Warmup {
			warm = " (warm-up)"
		}
		fmt.Fprintf(&b, "| %.1f%s | %s | %s | %s | %d | %d | %d (%s) | %s | %d |\n", s.At.Minutes(), warm,
			mbText(s.Anon), mbText(s.RSS), mbText(s.Heap), s.Goroutines, s.FDs, s.Deleted, mbText(s.DelBytes), mbText(s.Store), s.Fetches)
	}
	return b.String()
}

// svg plots RssAnon and the Go heap over the run, with the limit
// (budget + overhead) and the end of warm-up.
func (r *soakRun) svg(c *soakConfig) string {
	const w, h, left, right, top, bottom = 640, 320, 60, 20, 30, 40
	pw, ph := float64(w-left-right), float64(h-top-bottom)
	maxX := c.Duration.Minutes()
	maxY := float64(c.Budget+c.Overhead) / (1 << 20)
	for _, s := range r.samples {
		maxX = max(maxX, s.At.Minutes())
		maxY = max(maxY, float64(s.Anon)/(1<<20), float64(s.Heap)/(1<<20))
	}
	maxY = niceCeil(maxY * 1.1)
	x := func(min float64) float64 { return left + pw*min/maxX }
	y := func(mb float64) float64 { return top + ph*(1-mb/maxY) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%d" y="18" font-size="13">feedmill serve: memory over a %s soak (%d sources, %.0f reads/s)</text>`+"\n",
		left, c.Duration, c.Sources, c.ReadRate)
	for i := 0; i <= 4; i++ {
		mb := maxY * float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%.0f MB</text>`+"\n",
			left, y(mb), w-right, y(mb), left-5, y(mb)+4, mb)
		m := maxX * float64(i) / 4
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%.1f</text>`+"\n", x(m), h-bottom+15, m)
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">minutes</text>`+"\n", left+pw/2, h-8)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/><line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n",
		left, top, left, h-bottom, left, h-bottom, w-right, h-bottom)
	lim := float64(c.Budget+c.Overhead) / (1 << 20)
	fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#c00" stroke-dasharray="6 4"/><text x="%d" y="%.1f" text-anchor="end" fill="#c00">budget + overhead</text>`+"\n",
		left, y(lim), w-right, y(lim), w-right-4, y(lim)-4)
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#888" stroke-dasharray="2 3"/><text x="%.1f" y="%d" fill="#888">warm-up</text>`+"\n",
		x(c.Warmup.Minutes()), top, x(c.Warmup.Minutes()), h-bottom, x(c.Warmup.Minutes())+3, top+12)
	series := []struct {
		name, color string
		val         func(soakSample) int64
	}{
		{"RssAnon", "#d62728", func(s soakSample) int64 { return s.Anon }},
		{"Go heap in use", "#1f77b4", func(s soakSample) int64 { return s.Heap }},
	}
	for i, se := range series {
		var pts []string
		for _, s := range r.samples {
			if v := se.val(s); v >= 0 {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(s.At.Minutes()), y(float64(v)/(1<<20))))
			}
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", se.color, strings.Join(pts, " "))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="3" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n",
			left+10, top+10+16*i, se.color, left+28, top+15+16*i, se.name)
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

const (
	soakBegin = "<!-- feedsoak:begin (generated by make soak; edits inside are overwritten) -->"
	soakEnd   = "<!-- feedsoak:end -->"
)

// writeSoakReport puts the run's load, verdict, samples and plot between
// the soak markers of c.Out.
func writeSoakReport(c *soakConfig, r *soakRun, v soakVerdict, started time.Time) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n## Soak: memory under a steady load\n\n", soakBegin)
	mode := "full size"
	if c.Duration < longSoak {
		mode = "scaled down (a run under 20 minutes; `BENCH_SOAK=30m make soak` runs the full one)"
	}
	fmt.Fprintf(&b, "%s, %s run, %s.\n\n%s\n\n", started.UTC().Format("2006-01-02 15:04 MST"), c.Duration, mode, r.machine)
	cache := fmt.Sprintf("`cache.max_bytes: %s`", mbText(c.Budget))
	if !r.cacheKey {
		cache = "no `cache.max_bytes` (this daemon does not know the key)"
	}
	lat := slices.Clone(r.reads.Latencies)
	slices.Sort(lat)
	p := func(q float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[int(q*float64(len(lat)-1))].Round(time.Millisecond)
	}
	fmt.Fprintf(&b, "Load: `feedmill serve` polling %d sources on %d loopback hosts (every %s), each bringing %d new items every %s (%d generations; items of ~%d bytes, %d a document), `retention.max_items_per_source: %d`, %s; readers at %.0f requests/s over %d channels × RSS/Atom/JSON, half first pages and half `?page=2..%d`, half of the repeat requests conditional: %d requests (%.1f/s), %d × 200, %d × 304, %d × 404 (pages past a channel's end), %d failed, %d skipped (8 in flight), p50 %s, p99 %s. Samples every %s: RssAnon and VmRSS from /proc/PID/status, Go heap in use and goroutines from /metrics, open fds and files deleted while open from /proc/PID/fd, the store file's size.\n\n",
		c.Sources, c.Hosts, max(c.GenEvery, time.Minute), c.NewPerGen, c.GenEvery, r.gens, c.ItemBytes, c.Items, c.MaxItems, cache,
		c.ReadRate, c.Channels+1, c.Pages, r.reads.Requests, float64(r.reads.Requests)/c.Duration.Seconds(), r.reads.OK, r.reads.NotModified, r.reads.NotFound,
		r.reads.Errors+r.reads.Other, r.reads.Skipped, p(0.5), p(0.99), c.Sample)
	fmt.Fprintf(&b, "%s\n\n![RssAnon and Go heap over the soak](%s)\n\n%s\n%s", v.text, relPath(c.Out, c.SVG), r.table(c, 24), soakEnd)
	return replaceSection(c.Out, soakBegin, soakEnd, b.String())
}

// relPath is target relative to the folder of the file that links it.
func relPath(from, target string) string {
	if rel, err := filepath.Rel(filepath.Dir(from), target); err == nil {
		return rel
	}
	return target
}

// replaceSection puts section (markers included) in place of the text
// between begin and end in path, or appends it; it creates the file when
// it does not exist.
func replaceSection(path, begin, end, section string) error {
	old, err := os.ReadFile(path)
	var out string
	switch {
	case os.IsNotExist(err):
		out = "# Benchmarks\n\n" + section + "\n"
	case err != nil:
		return err
	default:
		s := string(old)
		i, j := strings.Index(s, begin), strings.Index(s, end)
		if i < 0 || j < i {
			out = s + "\n" + section + "\n"
		} else {
			out = s[:i] + section + s[j+len(end):]
		}
	}
	return os.WriteFile(path, []byte(out), 0o644)
}
