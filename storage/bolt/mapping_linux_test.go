//go:build linux

package bolt

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/feedmill/feedmill/storage"
)

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
		s, err := Open(path, storage.Options{})
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
	s, err := Open(path, storage.Options{})
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
