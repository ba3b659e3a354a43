//go:build linux

package storage

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mappingRss is the Rss, in bytes, of this process's mappings of path, read
// from /proc/self/smaps.
func mappingRss(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatalf("open smaps: %v", err)
	}
	defer f.Close()
	var total int64
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			// A mapping's header: "start-end perms offset dev inode [path]".
			in = len(fields) >= 6 && fields[len(fields)-1] == path
			continue
		}
		if in && fields[0] == "Rss:" && len(fields) >= 2 {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				t.Fatalf("smaps Rss %q: %v", line, err)
			}
			total += kb << 10
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read smaps: %v", err)
	}
	return total
}

func TestReleaseMemoryDropsMappedPages(t *testing.T) {
	s := openTest(t, Options{})
	src := addSource(t, s, "https://example.org/feed")
	base := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	body := strings.Repeat("<p>A paragraph of a long article body.</p>", 60) // ~2.5 KB
	const n = 3000
	want := make(map[string]string, n)
	for b := 0; b < n; b += 500 {
		batch := make([]Item, 0, 500)
		for i := b; i < b+500; i++ {
			it := item(fmtGUID(i), base.Add(time.Duration(i)*time.Minute))
			it.Content = fmt.Sprintf("%s<p>%d</p>", body, i)
			want[it.GUID] = it.Content
			batch = append(batch, it)
		}
		record(t, s, src.ID, batch...)
	}

	readAll := func() {
		t.Helper()
		got := collect(t, s, Query{})
		if len(got) != n {
			t.Fatalf("read %d items, want %d", len(got), n)
		}
		for _, it := range got {
			if it.Content != want[it.GUID] {
				t.Fatalf("item %s: content differs after ReleaseMemory", it.GUID)
			}
		}
	}
	readAll()
	before := mappingRss(t, s.Path())
	if before < 2<<20 {
		t.Fatalf("mapping Rss after reading %d items = %d bytes, want ≥ 2 MB (is the smaps parser right?)", n, before)
	}
	if err := s.ReleaseMemory(); err != nil {
		t.Fatalf("ReleaseMemory: %v", err)
	}
	after := mappingRss(t, s.Path())
	t.Logf("mapping Rss: %d KB before ReleaseMemory, %d KB after", before>>10, after>>10)
	if after > before/4 {
		t.Fatalf("mapping Rss %d KB after ReleaseMemory, want under a quarter of %d KB", after>>10, before>>10)
	}

	// The data reads back the same (pages fault in again from the page
	// cache), the store checks clean, and writes still work.
	readAll()
	mustCheck(t, s)
	record(t, s, src.ID, item("after-release", base.Add(-time.Hour)))
	if err := s.ReleaseMemory(); err != nil {
		t.Fatalf("second ReleaseMemory: %v", err)
	}
	if got := collect(t, s, Query{}); len(got) != n+1 {
		t.Fatalf("after a write and a second release: %d items, want %d", len(got), n+1)
	}
	mustCheck(t, s)
}

// TestReleaseMemoryConcurrentReads releases the mapping while other
// goroutines read through it: the reads must see the same data.
func TestReleaseMemoryConcurrentReads(t *testing.T) {
	s := openTest(t, Options{})
	src := addSource(t, s, "https://example.org/feed")
	base := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	var batch []Item
	for i := range 400 {
		it := item(fmtGUID(i), base.Add(time.Duration(i)*time.Minute))
		it.Content = strings.Repeat("x", 2000) + fmtGUID(i)
		batch = append(batch, it)
	}
	record(t, s, src.ID, batch...)
	done := make(chan error, 4)
	for range 4 {
		go func() {
			for range 20 {
				n := 0
				err := s.Items(Query{}, func(it Item) bool {
					if !strings.HasSuffix(it.Content, it.GUID) {
						n = -1 << 30
						return false
					}
					n++
					return true
				})
				if err != nil {
					done <- err
					return
				}
				if n != 400 {
					done <- fmt.Errorf("read %d good items, want 400", n)
					return
				}
			}
			done <- nil
		}()
	}
	for range 50 {
		if err := s.ReleaseMemory(); err != nil {
			t.Fatalf("ReleaseMemory: %v", err)
		}
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	mustCheck(t, s)
}

// A store past 16 MiB opens under an address-space limit smaller than
// the large first mapping (ulimit -v): Open falls back to bbolt's own.
// The limit is set in a child process (this test binary run again), so
// that it binds nothing else.
func TestOpenUnderAddressSpaceLimit(t *testing.T) {
	if path := os.Getenv("FEEDMILL_TEST_LIMITED_OPEN"); path != "" {
		// Room for 512 MiB more than the process maps now: not for
		// the 1 GiB mapping, plenty for the file's own.
		limit := vmSize(t) + 512<<20
		lim := &syscall.Rlimit{Cur: limit, Max: limit}
		if err := syscall.Setrlimit(syscall.RLIMIT_AS, lim); err != nil {
			t.Fatal(err)
		}
		s, err := Open(path, Options{})
		if err != nil {
			t.Fatalf("Open under an address-space limit 512 MiB above the process's size: %v", err)
		}
		if _, err := s.Source(1); err != nil {
			t.Fatal(err)
		}
		s.Close()
		return
	}
	path := filepath.Join(t.TempDir(), "big.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	addSource(t, s, "https://limited.example/feed")
	s.Close()
	if err := os.Truncate(path, 20<<20); err != nil { // past 16 MiB: zero pages bbolt does not use
		t.Fatal(err)
	}
	if initialMapping(path) == 0 {
		t.Fatal("a 20 MiB store does not get the large mapping")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestOpenUnderAddressSpaceLimit$", "-test.count=1")
	cmd.Env = append(os.Environ(), "FEEDMILL_TEST_LIMITED_OPEN="+path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

// vmSize is this process's address space in bytes (VmSize).
func vmSize(t *testing.T) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmSize:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmSize in /proc/self/status")
	return 0
}
