package fetcher

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage/bolt"

	"github.com/feedmill/feedmill/storage"
)

// BenchmarkPassUnchanged10k is a pass over 10,000 sources that all answer
// 304, spread over 2,500 loopback addresses (4 feeds each) served by a
// child process (testdata/benchupstream), so that the CPU measured is
// feedmill's only. The first, unconditional pass that stores the
// validators runs outside the timer. It uses the default Options (16
// workers, 2 per host, 1 request/s per host after that burst).
//
// Reported: s/pass, CPU ms per source (getrusage user+system of this
// process), heap in use and Go runtime memory after the pass, and the
// process's peak RSS (VmHWM). Targets: ≤ 10 s, ≤ 0.5 ms, ≤ 100 MB.
//
//	go test -run '^$' -bench PassUnchanged10k -benchtime 3x ./fetcher/
func BenchmarkPassUnchanged10k(b *testing.B) {
	const hosts, perHost = 2500, 4
	raiseFileLimit(b)
	addrs := startBenchUpstream(b, hosts)

	st, err := bolt.Open(filepath.Join(b.TempDir(), "feedmill.db"), storage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	addBenchSources(b, st, addrs, perHost)
	f := New(st, Options{AllowPrivate: true})
	ctx := context.Background()

	rep, err := f.Pass(ctx, PassOptions{All: true})
	if err != nil || rep.Failed != 0 || len(rep.Results) != hosts*perHost {
		b.Fatalf("first pass: %d results, %d failed, %v", len(rep.Results), rep.Failed, err)
	}
	runtime.GC()

	var cpu time.Duration
	var wall time.Duration
	b.ResetTimer()
	for range b.N {
		time.Sleep(2 * time.Second) // the per-host buckets refill, as between real passes
		c0 := cpuTime()
		t0 := time.Now()
		rep, err := f.Pass(ctx, PassOptions{All: true})
		wall += time.Since(t0)
		cpu += cpuTime() - c0
		if err != nil || rep.Failed != 0 || len(rep.Results) != hosts*perHost {
			b.Fatalf("pass: %d results, %d failed, %v", len(rep.Results), rep.Failed, err)
		}
		for _, r := range rep.Results {
			if !r.NotModified {
				b.Fatalf("not a 304: %+v", r)
			}
		}
	}
	b.StopTimer()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	n := float64(b.N)
	b.ReportMetric(wall.Seconds()/n, "s/pass")
	b.ReportMetric(float64(cpu.Microseconds())/1000/n/float64(hosts*perHost), "cpu-ms/source")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
	b.ReportMetric(float64(ms.Sys)/(1<<20), "go-sys-MB")
	b.ReportMetric(float64(peakRSS())/(1<<20), "rss-peak-MB") // peakRSS: hostile_test.go
}

// startBenchUpstream builds and starts testdata/benchupstream and returns
// the addresses it listens on; it stops with the benchmark.
func startBenchUpstream(b *testing.B, hosts int) []string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "benchupstream")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/benchupstream").CombinedOutput(); err != nil {
		b.Fatalf("build upstream: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-hosts", strconv.Itoa(hosts))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	var addrs []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && sc.Text() != "ready" {
		addrs = append(addrs, sc.Text())
	}
	if len(addrs) != hosts {
		b.Fatalf("upstream listens on %d addresses, want %d", len(addrs), hosts)
	}
	go io.Copy(io.Discard, stdout)
	return addrs
}

// addBenchSources adds perHost feeds on each address, from several
// goroutines so that the store's group commit batches them.
func addBenchSources(b *testing.B, st storage.Store, addrs []string, perHost int) {
	b.Helper()
	urls := make(chan string)
	var wg sync.WaitGroup
	var once sync.Once
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range urls {
				if _, err := st.UpsertSource(context.Background(), storage.Source{URL: u, Origin: storage.OriginCLI}); err != nil {
					once.Do(func() { b.Error(err) })
				}
			}
		}()
	}
	for i := range perHost {
		for _, a := range addrs {
			urls <- fmt.Sprintf("http://%s/feed/%d.xml", a, i)
		}
	}
	close(urls)
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
}

func raiseFileLimit(b *testing.B) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		b.Fatal(err)
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		b.Fatal(err)
	}
}

// cpuTime is this process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
