//go:build linux

package bolt

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"

	"github.com/feedmill/feedmill/internal/testfs"
)

// On a full file system commits fail: Health reports it after the grace,
// with the cause, and clears once space is freed and a commit succeeds.
// The items of the failed commit are not stored; Check stays clean.
func TestHealthFullDisk(t *testing.T) {
	dir := testfs.Tmpfs(t, "8m")
	clk := newClock()
	s := openAt(t, filepath.Join(dir, "full.db"), storage.Options{Now: clk.Now, HealthGrace: 10 * time.Second})
	src := addSource(t, s, "https://full.example/feed")
	if err := recordErr(s, src.ID, bigItems("a", 20, clk.Now())); err != nil {
		t.Fatal(err)
	}
	filler := filepath.Join(dir, "filler")
	testfs.Fill(t, filler)

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
	if n := len(collect(t, s, storage.Query{})); n != 25 {
		t.Errorf("%d items stored, want 25 (20 before the disk filled, 5 after)", n)
	}
}
