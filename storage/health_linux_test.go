//go:build linux

package storage

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mountTmpfs mounts a tmpfs of the given size ("4m") on a new folder and
// unmounts it when the test ends. It needs root (the test machines run as
// root).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Fatalf("mount a tmpfs on %s (this test needs root, or CAP_SYS_ADMIN): %v", dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// fill writes zeros to path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zeros := make([]byte, 64<<10)
	for {
		if _, err := f.Write(zeros); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill %s: %v", path, err)
			}
			return
		}
	}
}

// On a full file system commits fail: Health reports it after the grace,
// with the cause, and clears once space is freed and a commit succeeds.
// The items of the failed commit are not stored; Check stays clean.
func TestHealthFullDisk(t *testing.T) {
	dir := mountTmpfs(t, "8m")
	clk := newClock()
	s := openAt(t, filepath.Join(dir, "full.db"), Options{Now: clk.Now, HealthGrace: 10 * time.Second})
	src := addSource(t, s, "https://full.example/feed")
	if err := recordErr(s, src.ID, bigItems("a", 20, clk.Now())); err != nil {
		t.Fatal(err)
	}
	filler := filepath.Join(dir, "filler")
	fill(t, filler)

	var err error
	for i := 0; i < 5 && err == nil; i++ {
		err = recordErr(s, src.ID, bigItems(string(rune('b'+i)), 40, clk.Now()))
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("RecordFetch on a full file system: %v, want ENOSPC", err)
	}
	if n := s.WriteErrors(); n == 0 {
		t.Error("WriteErrors = 0 after a failed commit")
	}
	if err := s.Health(); err != nil {
		t.Errorf("Health within the grace: %v", err)
	}
	clk.Add(11 * time.Second)
	err = s.Health()
	if err == nil || !strings.Contains(err.Error(), "no space left on device") || !strings.Contains(err.Error(), "commits failing since") {
		t.Fatalf("Health on a full disk after the grace: %v", err)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := recordErr(s, src.ID, bigItems("z", 5, clk.Now())); err != nil {
		t.Fatalf("RecordFetch after space was freed: %v", err)
	}
	if err := s.Health(); err != nil {
		t.Errorf("Health after space was freed and a commit succeeded: %v", err)
	}
	mustCheck(t, s)
	if n := len(collect(t, s, Query{})); n != 25 {
		t.Errorf("%d items stored, want 25 (20 before the disk filled, 5 after)", n)
	}
}
