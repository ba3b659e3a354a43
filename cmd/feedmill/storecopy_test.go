package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"
)

// TestStoreCopy: `feedmill store copy FROM TO` copies a fetched bbolt
// store into a new file that serves every channel with the same guids
// (item IDs kept); it refuses a target that holds sources, a FROM that
// does not exist (creating nothing), and a wrong command line.
func TestStoreCopy(t *testing.T) {
	up := startUpstream(t)
	cfgPath := writeE2EConfig(t, up)
	if code, out, errOut := runCLI(t, "fetch", "-c", cfgPath); code != exitOK {
		t.Fatalf("fetch: exit %d\n%s%s", code, out, errOut)
	}
	dir := filepath.Dir(cfgPath)
	from, to := filepath.Join(dir, "store.db"), filepath.Join(dir, "copy.db")
	code, out, errOut := runCLI(t, "store", "copy", from, to)
	if code != exitOK || !strings.HasPrefix(out, fmt.Sprintf("copied %d sources, ", len(testFeeds))) || !strings.Contains(out, "to "+to) {
		t.Fatalf("store copy: exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out, " 0 items") {
		t.Errorf("nothing copied: %s", out)
	}

	// The copy, under a config that differs only in db, renders the same
	// channels with the same guids.
	body, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	copyCfg := filepath.Join(dir, "copy.yaml")
	if err := os.WriteFile(copyCfg, []byte(strings.Replace(string(body), "db: store.db", "db: copy.db", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	orig, copied := renderChannel(t, cfgPath, "everything"), renderChannel(t, copyCfg, "everything")
	for format, f := range orig {
		want, got := idsByLink(f), idsByLink(copied[format])
		if len(want) == 0 || !equalMaps(want, got) {
			t.Errorf("%s: the copy serves %d items under other guids than the original's %d", format, len(got), len(want))
		}
	}

	code, _, errOut = runCLI(t, "store", "copy", from, to)
	if code != exitFailure || !strings.Contains(errOut, "not empty") {
		t.Errorf("copy into a store with sources: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(to); err != nil {
		t.Errorf("the refused copy removed the target: %v", err)
	}
	missing, fresh := filepath.Join(dir, "missing.db"), filepath.Join(dir, "fresh.db")
	code, _, errOut = runCLI(t, "store", "copy", missing, fresh)
	if code != exitFailure || !strings.Contains(errOut, missing) {
		t.Errorf("copy from a missing file: exit %d: %s", code, errOut)
	}
	for _, p := range []string{missing, fresh} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("the failed copy created %s", p)
		}
	}
	for _, args := range [][]string{{"store"}, {"store", "move", from, to}, {"store", "copy", from}, {"store", "copy", from, from}, {"store", "copy", from, dir + "/./store.db"}} {
		if code, _, errOut := runCLI(t, args...); code != exitUsage {
			t.Errorf("%q: exit %d, want %d: %s", args, code, exitUsage, errOut)
		}
	}
}

// renderChannel renders the config's channels and parses one of them in
// every format.
func renderChannel(t *testing.T, cfgPath, channel string) map[string]*gofeed.Feed {
	t.Helper()
	out := filepath.Join(t.TempDir(), "site")
	if code, stdout, errOut := runCLI(t, "render", "-c", cfgPath, "--out", out); code != exitOK {
		t.Fatalf("render: exit %d\n%s%s", code, stdout, errOut)
	}
	feeds := map[string]*gofeed.Feed{}
	for _, format := range []string{"rss", "atom", "json"} {
		f, err := os.Open(filepath.Join(out, "channels", channel+"."+format))
		if err != nil {
			t.Fatal(err)
		}
		feed, err := gofeed.NewParser().Parse(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s.%s: %v", channel, format, err)
		}
		feeds[format] = feed
	}
	return feeds
}
