package main

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"64MiB": 64 << 20, "96 MiB": 96 << 20, "1GiB": 1 << 30, "100MB": 100e6, "512": 512, "2KiB": 2048} {
		if got, err := parseBytes(in); err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MiB", "-1MiB", "lots"} {
		if _, err := parseBytes(bad); err == nil {
			t.Errorf("parseBytes(%q): no error", bad)
		}
	}
}

func TestSlope(t *testing.T) {
	x := []float64{0, 1, 2, 3, 4}
	if got := slope(x, []float64{10, 12, 14, 16, 18}); got != 2 {
		t.Errorf("slope of a line of slope 2 = %v", got)
	}
	if got := slope(x, []float64{5, 6, 5, 6, 5}); got > 0.01 || got < -0.01 {
		t.Errorf("slope of a flat series = %v", got)
	}
}

// TestSlopeOfASaw: RssAnon under a soft memory limit saws between
// collections. A flat saw that happens to end near a peak has no trend;
// the same saw on a rising floor has the floor's.
func TestSlopeOfASaw(t *testing.T) {
	var x, flat, rising []float64
	for i := range 103 { // stops two samples into a rise
		saw := float64(i%7) * 10 // 0..60 MB, period 7
		x = append(x, float64(i))
		flat = append(flat, 120+saw)
		rising = append(rising, 120+saw+0.5*float64(i))
	}
	if got := slope(x, flat); got < -0.2 || got > 0.2 {
		t.Errorf("trend of a flat saw = %v, want about 0", got)
	}
	if got := slope(x, rising); got < 0.3 || got > 0.7 {
		t.Errorf("trend of a saw on a floor rising 0.5 a sample = %v, want about 0.5", got)
	}
	if _, lo, hi := trend(x, flat); lo > 0 || hi < 0 {
		t.Errorf("interval of a flat saw's trend %v..%v leaves out 0", lo, hi)
	}
	if _, lo, _ := trend(x, rising); lo <= 0 {
		t.Errorf("interval of a rising saw's trend starts at %v, want above 0", lo)
	}
}

// soakSamples is a run of n samples a minute apart, RssAnon growing by
// growMB a minute from startMB.
func soakSamples(n int, startMB, growMB float64) []soakSample {
	var out []soakSample
	for i := range n {
		mb := startMB + growMB*float64(i)
		out = append(out, soakSample{At: time.Duration(i) * time.Minute, Anon: int64(mb * (1 << 20)), Heap: int64(mb / 2 * (1 << 20))})
	}
	return out
}

func TestSoakVerdict(t *testing.T) {
	c := &soakConfig{Duration: 30 * time.Minute, Warmup: 5 * time.Minute, Budget: 64 << 20, Overhead: 96 << 20, MaxGrowth: 5}
	tests := []struct {
		name string
		run  soakRun
		ok   bool
		why  string
	}{
		{"flat", soakRun{samples: soakSamples(30, 100, 0)}, true, ""},
		// 0.05 MB a minute is 3 MB an hour: under the limit.
		{"slow growth", soakRun{samples: soakSamples(30, 100, 0.05)}, true, ""},
		{"growth", soakRun{samples: soakSamples(30, 100, 1)}, false, "RssAnon grows 60 MB/h"},
		{"over the budget", soakRun{samples: soakSamples(30, 200, 0)}, false, "above the cache budget"},
		{"died", soakRun{samples: soakSamples(30, 100, 0), daemonDied: "feedmill serve exited"}, false, "exited"},
		{"reader errors", soakRun{samples: soakSamples(30, 100, 0), reads: readStats{Errors: 2}}, false, "2 reader requests failed"},
		{"too short", soakRun{samples: soakSamples(6, 100, 0)}, false, "only 1 samples after warm-up"},
		// 0.5 MB a minute over 24 minutes: 12 MB, under a 16 MiB noise
		// floor when one is set (below).
		{"noise", soakRun{samples: soakSamples(30, 100, 0.5)}, false, "RssAnon grows 30 MB/h"},
		// Growth during warm-up does not count.
		{"warm-up", soakRun{samples: append(soakSamples(5, 10, 20), soakSamples(30, 100, 0)[5:]...)}, true, ""},
	}
	for _, tt := range tests {
		v := tt.run.verdict(c)
		if v.ok != tt.ok || !strings.Contains(v.short, tt.why) {
			t.Errorf("%s: ok=%v %q; want ok=%v with %q", tt.name, v.ok, v.short, tt.ok, tt.why)
		}
	}
	c.Noise = 16 << 20
	if v := (&soakRun{samples: soakSamples(30, 100, 0.5)}).verdict(c); !v.ok {
		t.Errorf("a 12 MB rise under a 16 MiB noise floor failed: %s", v.short)
	}
	if v := (&soakRun{samples: soakSamples(30, 100, 1)}).verdict(c); v.ok {
		t.Errorf("a 24 MB rise over a 16 MiB noise floor passed")
	}
}

func TestScrapeMetrics(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "# HELP go_goroutines x\n# TYPE go_goroutines gauge\ngo_goroutines 42\n"+
			"feedmill_fetches_total{class=\"2xx\"} 10\nfeedmill_fetches_total{class=\"error\"} 3\ngo_memstats_heap_inuse_bytes 1.5e+07\n")
	}))
	defer srv.Close()
	m, err := scrapeMetrics(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if m["go_goroutines"] != 42 || m["feedmill_fetches_total"] != 13 || m["go_memstats_heap_inuse_bytes"] != 1.5e7 {
		t.Errorf("scraped %v", m)
	}
}

func TestProcFDsSeesDeletedFiles(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "gone")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Write(make([]byte, 4096))
	_, del0, _ := procFDs(os.Getpid())
	os.Remove(f.Name())
	fds, del1, bytes1 := procFDs(os.Getpid())
	if fds < 3 || del1 != del0+1 || bytes1 < 4096 {
		t.Errorf("fds %d, deleted %d -> %d (%d bytes); want one more deleted file of 4096 bytes", fds, del0, del1, bytes1)
	}
}

func TestSoakReport(t *testing.T) {
	dir := t.TempDir()
	c := &soakConfig{Duration: 30 * time.Minute, Warmup: 5 * time.Minute, Sample: 5 * time.Second, Budget: 64 << 20, Overhead: 96 << 20,
		MaxGrowth: 5, Sources: 2000, Hosts: 500, Channels: 10, Pages: 10, ReadRate: 20,
		Out: filepath.Join(dir, "BENCHMARKS.md"), SVG: filepath.Join(dir, "soak.svg")}
	run := &soakRun{samples: soakSamples(100, 50, 0.5), cacheKey: true}
	var svg struct {
		XMLName   xml.Name `xml:"svg"`
		Polylines []struct {
			Points string `xml:"points,attr"`
		} `xml:"polyline"`
	}
	if err := xml.Unmarshal([]byte(run.svg(c)), &svg); err != nil {
		t.Fatalf("svg: %v", err)
	}
	if len(svg.Polylines) != 2 || strings.Count(svg.Polylines[0].Points, ",") != 100 {
		t.Errorf("svg: %d lines, want 2 of 100 points", len(svg.Polylines))
	}
	os.WriteFile(c.Out, []byte("# Benchmarks\n\nhand-written\n"), 0o644)
	for range 2 {
		if err := writeSoakReport(c, run, run.verdict(c), time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(c.Out)
	s := string(b)
	if !strings.Contains(s, "hand-written") || strings.Count(s, soakBegin) != 1 || !strings.Contains(s, "Verdict: FAIL") ||
		!strings.Contains(s, "](soak.svg)") || !strings.Contains(s, "`cache.max_bytes: 64.0MB`") {
		t.Errorf("report:\n%s", s)
	}
	if rows := strings.Count(s, "\n| "); rows < 20 || rows > 27 {
		t.Errorf("table has %d rows, want about 24 and the header", rows)
	}
}
