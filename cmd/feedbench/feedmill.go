package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// millConfig is the feedmill config file a scenario runs with.
type millConfig struct {
	Dir     string   // holds feedmill.yaml and the store
	Listen  string   // 127.0.0.1:PORT
	Sources []string // config sources ("" = none: the store's own)
	// DB is a postgres:// URL; "" = the bbolt file feedmill.db in Dir.
	DB string
	// Socket is control_socket ("" = feedmill's default): replicas of
	// one database on one machine need one each.
	Socket string
	// Timeout is fetch.timeout (0 = 60s); HostLease is
	// cluster.host_lease (0 = feedmill's default).
	Timeout, HostLease time.Duration
	BaseURL            string // "" = http://Listen
}

func (m millConfig) path() string { return filepath.Join(m.Dir, "feedmill.yaml") }

// store is the store's location: the URL or the bbolt file's path.
func (m millConfig) store() string {
	if m.DB != "" {
		return m.DB
	}
	return filepath.Join(m.Dir, "feedmill.db")
}

// write writes the config: every source tagged "bench", one channel "all"
// over every source, fetch settings as shipped but for allow_private, and
// intervals long enough that the daemon's scheduler stays out of the way.
func (m millConfig) write() error {
	var b strings.Builder
	db := "feedmill.db"
	if m.DB != "" {
		db = strconv.Quote(m.DB)
	}
	timeout := 60 * time.Second
	if m.Timeout > 0 {
		timeout = m.Timeout
	}
	base := m.BaseURL
	if base == "" {
		base = "http://" + m.Listen
	}
	fmt.Fprintf(&b, "db: %s\n", db)
	if m.Socket != "" {
		fmt.Fprintf(&b, "control_socket: %s\n", strconv.Quote(m.Socket))
	}
	if m.HostLease > 0 {
		fmt.Fprintf(&b, "cluster:\n  host_lease: %ds\n", int(m.HostLease.Seconds()))
	}
	fmt.Fprintf(&b, `listen: %s
base_url: %s
log_level: warn
fetch:
  every: 24h
  min_interval: 24h
  max_interval: 48h
  timeout: %ds
  workers: 16
  per_host: 2
  allow_private: true
retention:
  max_age: 8760h
  max_items_per_source: 1000
channels:
  - name: all
    title: Everything
    limit: 50
`, m.Listen, base, int(timeout.Seconds()))
	if len(m.Sources) > 0 {
		b.WriteString("sources:\n")
		for _, u := range m.Sources {
			fmt.Fprintf(&b, "  - url: %s\n    tags: [bench]\n", u)
		}
	}
	return os.WriteFile(m.path(), []byte(b.String()), 0o644)
}

// passSummary is what `feedmill fetch` printed in its last line.
type passSummary struct {
	Sources, Added, Updated, NotModified, Failed int
	Duration                                     time.Duration
}

var summaryRE = regexp.MustCompile(`fetched (\d+) sources in (\S+): (\d+) new items, (\d+) updated, (\d+) not modified, (\d+) failed`)

// parseSummary reads the summary line of `feedmill fetch`.
func parseSummary(out string) (passSummary, error) {
	m := summaryRE.FindStringSubmatch(out)
	if m == nil {
		return passSummary{}, fmt.Errorf("no summary line in fetch output: %.300q", out)
	}
	var s passSummary
	var err error
	if s.Duration, err = time.ParseDuration(m[2]); err != nil {
		return passSummary{}, fmt.Errorf("fetch summary: %w", err)
	}
	for i, p := range []*int{&s.Sources, nil, &s.Added, &s.Updated, &s.NotModified, &s.Failed} {
		if p != nil {
			*p, _ = strconv.Atoi(m[i+1])
		}
	}
	return s, nil
}

// fetchAll runs `feedmill fetch --all` and returns its summary.
func fetchAll(ctx context.Context, bin string, m millConfig) (passSummary, error) {
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "fetch", "-c", m.path(), "--all")
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	s, perr := parseSummary(out.String())
	if perr != nil {
		return s, fmt.Errorf("feedmill fetch: %v: %w\n%s", err, perr, tail(errb.String(), 2000))
	}
	if s.Failed > 0 {
		return s, fmt.Errorf("feedmill fetch: %d sources failed:\n%s", s.Failed, tail(out.String(), 2000))
	}
	return s, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// child is a long-running child process (feedmill serve, nginx) that
// stop ends gracefully.
type child struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when it exited
}

// startChild starts cmd; when ctx ends the child gets SIGTERM.
func startChild(ctx context.Context, name string, args ...string) (*child, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stderr = os.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(c.done) }()
	return c, nil
}

// exited reports whether the child has exited.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits for the exit, with SIGKILL after grace.
func (c *child) stop(grace time.Duration) {
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(grace):
		c.cmd.Process.Kill()
		<-c.done
	}
}

// daemon is a running `feedmill serve`.
type daemon struct {
	*child
	base string // http://127.0.0.1:PORT
}

// startServe starts `feedmill serve` and waits until /healthz answers.
func startServe(ctx context.Context, bin string, m millConfig) (*daemon, error) {
	c, err := startChild(ctx, bin, "serve", "-c", m.path())
	if err != nil {
		return nil, err
	}
	d := &daemon{child: c, base: "http://" + m.Listen}
	if err := d.waitHealthy(2 * time.Minute); err != nil {
		d.stop()
		return nil, err
	}
	return d, nil
}

// waitHealthy waits until the daemon's /healthz answers 200.
func (d *daemon) waitHealthy(wait time.Duration) error {
	for deadline := time.Now().Add(wait); time.Now().Before(deadline) && !d.exited(); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(d.base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	if d.exited() {
		return fmt.Errorf("feedmill serve exited: %v", d.cmd.ProcessState)
	}
	return fmt.Errorf("feedmill serve did not answer /healthz within %s", wait)
}

// stop ends the daemon gracefully (requests drain, the store commits).
func (d *daemon) stop() { d.child.stop(30 * time.Second) }

// cpu is the CPU time (user+system) the process used so far.
func (d *daemon) cpu() (time.Duration, error) { return procCPU(d.cmd.Process.Pid) }

// procCPU reads utime+stime of pid from /proc.
func procCPU(pid int) (time.Duration, error) {
	st, err := readProcStat(pid)
	return st.cpu, err
}

// procStat is what feedbench reads of /proc/PID/stat.
type procStat struct {
	pid, ppid int
	comm      string
	cpu       time.Duration // utime+stime
	childCPU  time.Duration // cutime+cstime: of its children it reaped
}

// readProcStat reads /proc/PID/stat (times in USER_HZ = 100 ticks/s).
func readProcStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	// The command name is in parentheses; the fields follow it.
	i, j := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if i < 0 || j < i {
		return procStat{}, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[j+1:]))
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: short", pid)
	}
	n := func(k int) int64 { v, _ := strconv.ParseInt(f[k], 10, 64); return v }
	tick := 10 * time.Millisecond
	return procStat{pid: pid, ppid: int(n(1)), comm: string(b[i+1 : j]),
		cpu: time.Duration(n(11)+n(12)) * tick, childCPU: time.Duration(n(13)+n(14)) * tick}, nil
}

// memStatus is a process's memory from /proc/PID/status, in bytes: RSS
// and its peak, and RSS split into anonymous memory (heap, stacks) and
// file pages (bbolt's mmap of the store: page cache the kernel can drop).
type memStatus struct {
	RSS, HWM, Anon, File int64
}

// procMem reads the memStatus of pid.
func procMem(pid int) (memStatus, error) {
	var m memStatus
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return m, err
	}
	fields := map[string]*int64{"VmRSS": &m.RSS, "VmHWM": &m.HWM, "RssAnon": &m.Anon, "RssFile": &m.File}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if p := fields[k]; ok && p != nil {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			*p = n << 10
		}
	}
	return m, nil
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
