//go:build linux

package testfs

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestFillThenReadOnly(t *testing.T) {
	dir := Tmpfs(t, "1m")
	Fill(t, filepath.Join(dir, "filler"))
	err := os.WriteFile(filepath.Join(dir, "more"), make([]byte, 4096), 0o600)
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("write on a filled tmpfs: err = %v, want ENOSPC", err)
	}
	if err := os.Remove(filepath.Join(dir, "filler")); err != nil {
		t.Fatal(err)
	}
	RemountReadOnly(t, dir)
	err = os.WriteFile(filepath.Join(dir, "probe"), nil, 0o600)
	if !errors.Is(err, syscall.EROFS) {
		t.Fatalf("write on a read-only tmpfs: err = %v, want EROFS", err)
	}
}
