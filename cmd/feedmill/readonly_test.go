//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/internal/testfs"
)

// The commands that only read work on a store on a read-only file system,
// and a command that writes fails naming the store's path once.
func TestReadCommandsOnReadOnlyFileSystem(t *testing.T) {
	up := startUpstream(t)
	cfgPath := writeE2EConfig(t, up)
	mnt := testfs.Tmpfs(t, "64m")
	db := filepath.Join(mnt, "store.db")
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgPath, []byte(strings.Replace(string(cfg), "db: store.db", "db: "+db, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLI(t, "fetch", "-c", cfgPath); code != exitOK {
		t.Fatalf("fetch: exit %d\n%s%s", code, out, errOut)
	}
	testfs.RemountReadOnly(t, mnt)
	if f, err := os.Create(filepath.Join(mnt, "probe")); err == nil {
		f.Close()
		t.Fatal("the remounted tmpfs is writable")
	}

	out := t.TempDir()
	for _, args := range [][]string{
		{"sources", "list"},
		{"export"},
		{"render", "--out", filepath.Join(out, "site")},
		{"backup", filepath.Join(out, "copy.db")},
		{"explain", "world"},
	} {
		code, stdout, errOut := runCLI(t, append(append([]string{}, args...), "-c", cfgPath)...)
		if code != exitOK {
			t.Errorf("%s on a read-only file system: exit %d\n%s%s", strings.Join(args, " "), code, stdout, errOut)
		} else if stdout == "" {
			t.Errorf("%s printed nothing", strings.Join(args, " "))
		}
	}
	if _, err := os.Stat(filepath.Join(out, "copy.db")); err != nil {
		t.Errorf("backup: %v", err)
	}

	// A config that lists a source the store lacks cannot be applied to
	// it: the store is read as it is, with a warning.
	more := strings.Replace(string(cfg), "db: store.db", "db: "+db, 1)
	more = strings.Replace(more, "sources:\n", "sources:\n  - url: https://added.example/feed\n", 1)
	morePath := filepath.Join(t.TempDir(), "more.yaml")
	if err := os.WriteFile(morePath, []byte(more), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, errOut := runCLI(t, "sources", "list", "-c", morePath)
	if code != exitOK || !strings.Contains(errOut, "config sources not applied") || strings.Contains(stdout, "added.example") {
		t.Errorf("sources list with a config the read-only store lacks: exit %d\n%s%s", code, stdout, errOut)
	}

	// The commands that write fail, naming the path once and saying
	// what to do.
	for _, args := range [][]string{
		{"sources", "add", "https://new.example/feed"},
		{"fetch"},
		{"serve"},
	} {
		code, _, errOut = runCLI(t, append(append([]string{}, args...), "-c", cfgPath)...)
		if code == exitOK {
			t.Fatalf("%s succeeded on a read-only file system", strings.Join(args, " "))
		}
		if n := strings.Count(errOut, db); n != 1 {
			t.Errorf("%s: the error names the store's path %d times, want once: %s", strings.Join(args, " "), n, errOut)
		}
		for _, want := range []string{"read-only file system", "this command writes the store", "set `db:`"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("%s: the error lacks %q: %s", strings.Join(args, " "), want, errOut)
			}
		}
	}
}
