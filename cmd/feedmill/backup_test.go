package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/feedmill/feedmill/storage/bolt"

	"github.com/feedmill/feedmill/storage"
)

// launchDaemon loads the config at cfgPath and starts the daemon on
// it; unlike startTestDaemon the caller stops it (tests that stop and
// restart it, benchmarks).
func launchDaemon(tb testing.TB, cfgPath string) *daemon {
	tb.Helper()
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		tb.Fatal(err)
	}
	d, err := startDaemon(context.Background(), cfg, newLogger(cfg, io.Discard))
	if err != nil {
		tb.Fatalf("start daemon: %v", err)
	}
	return d
}

// storeContents maps each source URL to its items' GUIDs and ids, sorted.
func storeContents(t *testing.T, st storage.Store) map[string][]string {
	t.Helper()
	srcs, err := st.Sources()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, s := range srcs {
		var items []string
		if err := st.Items(storage.Query{SourceIDs: []uint64{s.ID}}, func(it storage.Item) bool {
			items = append(items, it.GUID+" "+it.Link+" "+it.Title)
			return true
		}); err != nil {
			t.Fatal(err)
		}
		slices.Sort(items)
		out[s.URL] = items
	}
	return out
}

func equalContents(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// TestBackupWhileServing: `feedmill backup FILE` while `serve` holds the
// store (and a pass writes to it) goes through the daemon; the copy opens,
// passes Check and holds the same items. Then the documented restore:
// stop the daemon, put the copy in place of the db file, start again: the
// daemon serves the same items.
func TestBackupWhileServing(t *testing.T) {
	up := startUpstream(t)
	cfgPath := writeE2EConfig(t, up)
	if code, out, errOut := runCLI(t, "fetch", "-c", cfgPath); code != exitOK {
		t.Fatalf("fetch exit %d: %s %s", code, out, errOut)
	}
	d := launchDaemon(t, cfgPath)
	cfg := d.cfg
	running := true
	defer func() {
		if running {
			d.stop()
		}
	}()
	// The daemon holds the store: nobody else can open it.
	if _, err := bolt.Open(cfg.DB, storage.Options{}); !errors.Is(err, storage.ErrLocked) {
		t.Fatalf("open while serving: %v", err)
	}

	copyPath := filepath.Join(t.TempDir(), "copy.db")
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // a pass writing while the backup is taken
		defer wg.Done()
		if code, out, errOut := runCLI(t, "fetch", "-c", cfgPath, "--all"); code != exitOK {
			t.Errorf("fetch through the daemon: exit %d: %s %s", code, out, errOut)
		}
	}()
	code, out, errOut := runCLI(t, "backup", "-c", cfgPath, copyPath)
	wg.Wait()
	if code != exitOK || !strings.HasPrefix(out, "wrote "+copyPath) {
		t.Fatalf("backup exit %d: %s %s", code, out, errOut)
	}
	if fi, err := os.Stat(copyPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", fi, err)
	}
	live := storeContents(t, d.store)
	if len(live) != len(testFeeds) {
		t.Fatalf("%d sources in the live store", len(live))
	}

	cp, err := bolt.Open(copyPath, storage.Options{})
	if err != nil {
		t.Fatalf("open backup: %v", err)
	}
	if err := cp.Check(); err != nil {
		t.Errorf("backup check: %v", err)
	}
	backedUp := storeContents(t, cp)
	cp.Close()
	if !equalContents(live, backedUp) {
		t.Errorf("backup differs from the live store")
	}
	served := readAllFormats(t, "http://"+d.Addr.String(), "everything")

	// Restore: stop, lose the db, copy the backup in place, start.
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}
	running = false
	if err := os.Remove(cfg.DB); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(copyPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg.DB, b, 0o600); err != nil {
		t.Fatal(err)
	}
	d = launchDaemon(t, cfgPath)
	running = true
	if restored := storeContents(t, d.store); !equalContents(live, restored) {
		t.Errorf("restored store differs")
	}
	again := readAllFormats(t, "http://"+d.Addr.String(), "everything")
	for format, f := range served {
		if got := idsByLink(again[format]); !equalMaps(idsByLink(f), got) || len(got) == 0 {
			t.Errorf("%s: restored daemon serves other items (%d vs %d)", format, len(got), len(f.Items))
		}
	}
}
