package main

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// TestMillConfigPostgres: a config for PostgreSQL names the database,
// its control socket, cluster.host_lease, fetch.timeout and base URL
// as YAML values that survive quoting; the bbolt default is unchanged.
func TestMillConfigPostgres(t *testing.T) {
	dsn := "postgres://feedmill@/t1_2?host=%2Ftmp%2Ffeedmill-pg-1&sslmode=disable"
	for _, tt := range []struct {
		m                   millConfig
		db, sock, base      string
		timeout, hostLeases string
	}{
		{millConfig{Dir: t.TempDir(), Listen: "127.0.0.1:1"}, "feedmill.db", "", "http://127.0.0.1:1", "60s", ""},
		{millConfig{Dir: t.TempDir(), Listen: "127.0.0.1:2", DB: dsn, Socket: "/tmp/x/ctl.sock", Timeout: 10 * time.Second,
			HostLease: 30 * time.Second, BaseURL: "http://feedmill.bench", Sources: []string{"http://127.0.0.1:3/feed/0.xml"}},
			dsn, "/tmp/x/ctl.sock", "http://feedmill.bench", "10s", "30s"},
	} {
		if err := tt.m.write(); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(tt.m.path())
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			DB      string `yaml:"db"`
			Socket  string `yaml:"control_socket"`
			BaseURL string `yaml:"base_url"`
			Fetch   struct{ Timeout string }
			Cluster struct {
				HostLease string `yaml:"host_lease"`
			}
			Sources []struct{ URL string }
		}
		if err := yaml.Unmarshal(b, &got); err != nil {
			t.Fatalf("%v\n%s", err, b)
		}
		if got.DB != tt.db || got.Socket != tt.sock || got.BaseURL != tt.base || got.Fetch.Timeout != tt.timeout ||
			got.Cluster.HostLease != tt.hostLeases || len(got.Sources) != len(tt.m.Sources) {
			t.Errorf("config read back as %+v, want db %q socket %q base %q timeout %q host_lease %q\n%s",
				got, tt.db, tt.sock, tt.base, tt.timeout, tt.hostLeases, b)
		}
		if want := tt.db; tt.m.DB == "" {
			if want = tt.m.Dir + "/feedmill.db"; tt.m.store() != want {
				t.Errorf("store() = %q, want %q", tt.m.store(), want)
			}
		} else if tt.m.store() != want {
			t.Errorf("store() = %q, want %q", tt.m.store(), want)
		}
	}
}

// TestReadProcStat reads this process's /proc entry: its parent, name,
// and a CPU time that agrees with getrusage after some work.
func TestReadProcStat(t *testing.T) {
	for deadline := time.Now().Add(300 * time.Millisecond); time.Now().Before(deadline); {
	}
	st, err := readProcStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	if st.pid != os.Getpid() || st.ppid != os.Getppid() || st.comm == "" {
		t.Errorf("readProcStat = %+v, want pid %d, parent %d, a name", st, os.Getpid(), os.Getppid())
	}
	usage := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	if d := st.cpu - usage; st.cpu == 0 || d > 50*time.Millisecond || d < -50*time.Millisecond {
		t.Errorf("/proc says %v of CPU, getrusage %v", st.cpu, usage)
	}
	if _, err := readProcStat(-1); err == nil {
		t.Error("readProcStat(-1) succeeded")
	}
}

// TestPostgresRows: the postgres rows judge against their targets from
// the figures (medians of rounds for coordination), and say missing,
// with no number, for what was not measured.
func TestPostgresRows(t *testing.T) {
	pass := func(added int, secs float64, mill, pg time.Duration) pgPass {
		return pgPass{summary: passSummary{Sources: 1000, Added: added, NotModified: 1000 - min(added, 1000),
			Duration: time.Duration(secs * float64(time.Second))}, mill: mill, pg: pg}
	}
	p := func(v pgPass) *pgPass { return &v }
	f := &pgFigures{
		boltChanged: p(pass(20000, 10, 6*time.Second, 0)),
		pgChanged:   p(pass(20000, 20, 8*time.Second, 4*time.Second)),
		// At 3 replicas one round is far off; the median ignores it.
		coord: [maxReplicas][]pgPass{
			{pass(20000, 20, 6*time.Second, 4*time.Second), pass(20000, 20, 6*time.Second, 4*time.Second)},
			{pass(20000, 20, 6*time.Second, 5*time.Second), pass(20000, 20, 6*time.Second, 5*time.Second)},
			{pass(20000, 20, 7*time.Second, 4*time.Second), pass(20000, 20, 20*time.Second, 20*time.Second), pass(20000, 20, 7*time.Second, 4*time.Second)},
		},
		boltUnchanged: p(pass(0, 5, time.Second, 0)),
		pgUnchanged:   p(pass(0, 11, time.Second, time.Second)),
		bolt200:       []wrkResult{{ReqPerSec: 1000}},
		pg200:         []wrkResult{{ReqPerSec: 950}},
		bolt304:       []wrkResult{{ReqPerSec: 1000}},
		pg304:         []wrkResult{{ReqPerSec: 800}},
	}
	h := &harness{sz: fullSizes, res: results{postgres: f}}
	rows := h.postgresRows()
	want := []struct{ verdict, measured string }{
		{"—", "bbolt 2000 items/s, 300 µs CPU/item — PostgreSQL 1000 items/s, 600 µs CPU/item (feedmill 400 + postgres 200): 0.50× the items/s, 2.00× the CPU per item"},
		// 3 replicas: the median 550 µs (7 + 4 s over 20,000) over 500 µs.
		{"pass", "CPU per item at 3 = 1.10× at 1"},
		{"FAIL", "2.20× the time"},
		{"pass", "0.95×"},
		{"FAIL", "0.80×"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i, w := range want {
		if rows[i].Verdict != w.verdict || !strings.Contains(rows[i].Measured, w.measured) {
			t.Errorf("row %q: %q, %s; want %s and %q", rows[i].Figure, rows[i].Measured, rows[i].Verdict, w.verdict, w.measured)
		}
	}
	if !strings.Contains(rows[1].Measured, "1: 1000 items/s, 500 µs CPU/item (postgres 200)") {
		t.Errorf("coordination row: %q", rows[1].Measured)
	}

	h.res.postgres = &pgFigures{boltChanged: f.boltChanged}
	for _, r := range h.postgresRows() {
		if r.Verdict != missing || strings.ContainsAny(r.Measured, "0123456789") {
			t.Errorf("row %q with nothing measured: %q, %s", r.Figure, r.Measured, r.Verdict)
		}
	}
	h.res.postgres = nil
	if rows := h.postgresRows(); rows != nil {
		t.Errorf("postgres step not run: rows %v", rows)
	}
}
