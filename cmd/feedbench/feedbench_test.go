package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
)

func TestParseBenchLine(t *testing.T) {
	tests := []struct {
		line string
		ok   bool
		name string
		want map[string]float64
	}{
		{"BenchmarkIngest/pipeline-2   \t       3\t 412345678 ns/op\t      3881 items/s\t   19.50 MB/s\t 1234 B/op\t      42 allocs/op", true,
			"BenchmarkIngest/pipeline", map[string]float64{"ns/op": 412345678, "items/s": 3881, "MB/s": 19.5, "B/op": 1234, "allocs/op": 42}},
		{"BenchmarkNearDupLookup/1M-16 1000 12.5 ns/op", true, "BenchmarkNearDupLookup/1M", map[string]float64{"ns/op": 12.5}},
		{"BenchmarkX 	 1	 2 ns/op	 3", false, "", nil}, // odd field count
		{"--- FAIL: BenchmarkX", false, "", nil},
		{"ok  	github.com/feedmill/feedmill/storage	12.3s", false, "", nil},
		{"BenchmarkIngest/gofeed", false, "", nil}, // the name line printed before results
	}
	for _, tt := range tests {
		r, ok := parseBenchLine(tt.line)
		if ok != tt.ok {
			t.Errorf("%q: ok = %v", tt.line, ok)
			continue
		}
		if !ok {
			continue
		}
		if r.Name != tt.name || len(r.Metrics) != len(tt.want) {
			t.Errorf("%q: got %s %v", tt.line, r.Name, r.Metrics)
		}
		for k, v := range tt.want {
			if r.Metrics[k] != v {
				t.Errorf("%q: %s = %v, want %v", tt.line, k, r.Metrics[k], v)
			}
		}
	}
}

func TestBenchSetFind(t *testing.T) {
	s := benchSet{}
	for _, l := range []string{
		"BenchmarkNearDupLookup/items=10000-2 100 2100 ns/op",
		"BenchmarkNearDupLookup/items=1000000-2 100 2500 ns/op",
		"BenchmarkNearDupLookup/items=100000-2 100 2300 ns/op",
	} {
		r, _ := parseBenchLine(l)
		s[r.Name] = append(s[r.Name], r)
	}
	if r, ok := s.find(nearDup1M); !ok || r.Metrics["ns/op"] != 2500 {
		t.Errorf("find 1M: %v %v", r, ok)
	}
	if r, ok := s.find(nearDup10k); !ok || r.Metrics["ns/op"] != 2100 {
		t.Errorf("find 10k: %v %v", r, ok)
	}
	if _, ok := s.find(`^BenchmarkPassUnchanged`); ok {
		t.Error("found a benchmark that is not there")
	}
}

func TestParseWrk(t *testing.T) {
	out := `Running 10s test @ http://127.0.0.1:8080/channels/all.rss
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.20ms    0.50ms  10.00ms   80.00%
  123456 requests in 10.00s, 1.20GB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  12345.60
Transfer/sec:    122.00MB
`
	r, err := parseWrk(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.ReqPerSec != 12345.6 || r.Requests != 123456 || r.Errors != 7 {
		t.Errorf("got %+v", r)
	}
	if _, err := parseWrk("unable to connect to 127.0.0.1:1 Connection refused"); err == nil {
		t.Error("no error for output without a rate")
	}
}

func TestParseSummary(t *testing.T) {
	s, err := parseSummary("FAILED x\nfetched 10000 sources in 4.213s: 7 new items, 1 updated, 9990 not modified, 2 failed\n")
	if err != nil {
		t.Fatal(err)
	}
	want := passSummary{Sources: 10000, Added: 7, Updated: 1, NotModified: 9990, Failed: 2, Duration: 4213 * time.Millisecond}
	if s != want {
		t.Errorf("got %+v, want %+v", s, want)
	}
	if _, err := parseSummary("feedmill: store is locked"); err == nil {
		t.Error("no error without a summary")
	}
}

func TestWriteReportKeepsHandWrittenParts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	if err := writeReport(path, "- CPU: x", time.Now(), time.Second, true, "| t1 |\n", nil); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	doc := string(b) + "\n## Notes by hand\n\nkeep me\n"
	doc = "# Benchmarks\n\nintro by hand\n" + strings.TrimPrefix(doc, "# Benchmarks\n")
	os.WriteFile(path, []byte(doc), 0o644)
	if err := writeReport(path, "- CPU: y", time.Now(), time.Second, false, "| t2 |\n", []string{"store: boom"}); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(path)
	got := string(b)
	for _, want := range []string{"intro by hand", "keep me", "| t2 |", "store: boom", "full run"} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "| t1 |") || strings.Count(got, beginMark) != 1 {
		t.Errorf("old table kept or markers repeated:\n%s", got)
	}
}

// TestGeneratedFeed: the ingest feeds are ~1 MB news feeds of 50 items
// that gofeed reads, the same bytes every time, and a generation brings
// exactly NewPerGen new items.
func TestGeneratedFeed(t *testing.T) {
	c, err := loadCorpus(guardianCapture)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	spec := feedSpec{Source: 3, Gen: 0, Items: ingestItems, NewPerGen: 20, ItemBytes: ingestItemBytes, Base: base, Host: "h"}
	a, b := c.feed(spec), c.feed(spec)
	if !bytes.Equal(a, b) {
		t.Fatal("same spec, different bytes")
	}
	if len(a) < 900_000 || len(a) > 1_200_000 {
		t.Errorf("feed is %d bytes, want about 1 MB", len(a))
	}
	f0, err := gofeed.NewParser().Parse(bytes.NewReader(a))
	if err != nil || len(f0.Items) != ingestItems {
		t.Fatalf("parse: %v", err)
	}
	spec.Gen = 1
	f1, err := gofeed.NewParser().Parse(bytes.NewReader(c.feed(spec)))
	if err != nil {
		t.Fatal(err)
	}
	old := map[string]bool{}
	for _, it := range f0.Items {
		old[it.GUID] = true
	}
	fresh := 0
	for _, it := range f1.Items {
		if !old[it.GUID] {
			fresh++
		}
	}
	if fresh != 20 {
		t.Errorf("generation 1 brings %d new items, want 20", fresh)
	}
	if f0.Items[0].PublishedParsed == nil || !f0.Items[0].PublishedParsed.After(*f0.Items[1].PublishedParsed) {
		t.Error("items are not newest first")
	}
}

func TestMedianRate(t *testing.T) {
	rounds := func(rates ...float64) []wrkResult {
		out := make([]wrkResult, len(rates))
		for i, r := range rates {
			out[i].ReqPerSec = r
		}
		return out
	}
	for _, tt := range []struct {
		in   []wrkResult
		want float64
	}{
		{nil, 0},
		{rounds(5), 5},
		{rounds(9, 1, 5), 5},
		{rounds(30, 10, 20, 40), 25},
		{rounds(3, 100, 1, 2, 2), 2},
	} {
		if got := medianRate(tt.in); got != tt.want {
			t.Errorf("medianRate(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	text, r := servingMeasured(rounds(900, 1000, 1100), rounds(1000, 1000), "")
	if r != 1 || !strings.Contains(text, "rounds (k req/s) feedmill 0.9, 1.0, 1.1 — nginx 1.0, 1.0") {
		t.Errorf("servingMeasured = %q, %v", text, r)
	}
}

// TestIngestRowMedians: the ingest row takes each side's median over the
// rounds of go test -count, so one disturbed round decides nothing.
func TestIngestRowMedians(t *testing.T) {
	h := &harness{sz: fullSizes, bench: benchSet{}}
	for _, l := range []string{
		"BenchmarkIngest/pipeline-2 6 1 ns/op 4000 items/s 80 MB/s 1.7 cores",
		"BenchmarkIngest/gofeed-2 6 1 ns/op 5000 items/s 100 MB/s 1.9 cores",
		"BenchmarkIngest/pipeline-2 6 1 ns/op 1000 items/s 20 MB/s 1.7 cores", // a disturbed round
		"BenchmarkIngest/gofeed-2 6 1 ns/op 4000 items/s 80 MB/s 1.9 cores",
		"BenchmarkIngest/pipeline-2 6 1 ns/op 4500 items/s 90 MB/s 1.7 cores",
		"BenchmarkIngest/gofeed-2 6 1 ns/op 9000 items/s 180 MB/s 1.9 cores",
	} {
		r, ok := parseBenchLine(l)
		if !ok {
			t.Fatalf("unparsed: %q", l)
		}
		h.bench[r.Name] = append(h.bench[r.Name], r)
	}
	h.bench[ingestNoImageScan] = []benchResult{{Metrics: map[string]float64{"items/s": 8000}}}
	row := h.rows()[0]
	if !strings.HasPrefix(row.Figure, "ingest") {
		t.Fatalf("first row is %q", row.Figure)
	}
	// Medians 4000 vs 5000: 0.80 ×, a pass.
	if !strings.Contains(row.Measured, "4000 items/s") || !strings.Contains(row.Measured, "gofeed 5000 items/s") ||
		!strings.Contains(row.Measured, "0.80×") || row.Verdict != "pass" {
		t.Errorf("row: %+v", row)
	}
	if !strings.Contains(row.Measured, "rounds (k items/s) pipeline 4.0, 1.0, 4.5 — gofeed 5.0, 4.0, 9.0") ||
		!strings.Contains(row.Measured, "without its image scan 8000 items/s: 0.50×") || !strings.Contains(row.How, "3 rounds of 6 passes") {
		t.Errorf("row: %+v", row)
	}
}

// TestNearDupRowMedians: the near-duplicate row reads the median of each
// size's rounds, so one disturbed round neither fails nor passes it, and
// lists the rounds; the result names are the ones nearDupSides expects.
func TestNearDupRowMedians(t *testing.T) {
	h := &harness{sz: fullSizes, bench: benchSet{}}
	for _, l := range []string{
		"BenchmarkNearDupLookup/items=10000-2 300000 3100 ns/op",
		"BenchmarkNearDupLookup/items=1000000-2 300000 4700 ns/op",
		"BenchmarkNearDupLookup/items=10000-2 300000 3200 ns/op",
		"BenchmarkNearDupLookup/items=1000000-2 300000 7200 ns/op", // a disturbed round
		"BenchmarkNearDupLookup/items=10000-2 300000 3000 ns/op",
		"BenchmarkNearDupLookup/items=1000000-2 300000 4900 ns/op",
	} {
		r, ok := parseBenchLine(l)
		if !ok || !slices.Contains(nearDupSides, r.Name) {
			t.Fatalf("%q: parsed %v as %q, not one of %q", l, ok, r.Name, nearDupSides)
		}
		h.bench[r.Name] = append(h.bench[r.Name], r)
	}
	rows := h.rows()
	row := rows[len(rows)-1]
	if row.Figure != "near-duplicate lookup" {
		t.Fatalf("last row is %q", row.Figure)
	}
	// Medians 3.1 and 4.9 µs: 1.58 ×, a pass (the last round alone would
	// read 1.63 ×, the second 2.25 ×).
	if !strings.Contains(row.Measured, "medians 3.1 µs at 10k, 4.9 µs at 1M (1.58×)") || row.Verdict != "pass" ||
		!strings.Contains(row.Measured, "rounds (µs) 10k 3.1, 3.2, 3.0 — 1M 4.7, 7.2, 4.9") || !strings.Contains(row.How, "3 rounds") {
		t.Errorf("row: %+v", row)
	}
}

// TestKeepRound: a round in which one side of BenchmarkIngest gave no
// figure is dropped whole, the other sides' figures of that round too.
func TestKeepRound(t *testing.T) {
	res := func(v float64) benchResult { return benchResult{Metrics: map[string]float64{"items/s": v}} }
	s := benchSet{ingestPipeline: {res(1)}, ingestGofeed: {res(2)}}
	before := s.counts(ingestSides)
	s[ingestPipeline] = append(s[ingestPipeline], res(3))
	s[ingestGofeed] = append(s[ingestGofeed], res(4))
	if !s.keepRound(before, ingestPipeline, ingestGofeed) || len(s[ingestPipeline]) != 2 || len(s[ingestGofeed]) != 2 {
		t.Fatalf("whole round not kept: %v", s)
	}
	before = s.counts(ingestSides)
	s[ingestGofeed] = append(s[ingestGofeed], res(5)) // the pipeline failed
	s[ingestNoImageScan] = append(s[ingestNoImageScan], res(6))
	if s.keepRound(before, ingestPipeline, ingestGofeed) || len(s[ingestPipeline]) != 2 || len(s[ingestGofeed]) != 2 || len(s[ingestNoImageScan]) != 0 {
		t.Fatalf("partial round kept: %v", s)
	}
	if r, ok := s.find(ingestGofeed); !ok || r.Metrics["items/s"] != 4 {
		t.Errorf("find gives %v, want the last result (4)", r)
	}
}
