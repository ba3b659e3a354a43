package main

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func TestRenderStaticSite(t *testing.T) {
	up := startUpstream(t)
	cfgPath := writeE2EConfig(t, up)
	if code, out, errOut := runCLI(t, "fetch", "-c", cfgPath); code != exitOK {
		t.Fatalf("fetch: exit %d\n%s%s", code, out, errOut)
	}
	out := filepath.Join(t.TempDir(), "site")
	// An old file is replaced whole.
	os.MkdirAll(filepath.Join(out, "channels"), 0o755)
	os.WriteFile(filepath.Join(out, "channels", "world.rss"), []byte("stale"), 0o644)
	code, stdout, errOut := runCLI(t, "render", "-c", cfgPath, "--out", out)
	if code != exitOK {
		t.Fatalf("render: exit %d\n%s%s", code, stdout, errOut)
	}
	var files []string
	filepath.Walk(out, func(path string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			rel, _ := filepath.Rel(out, path)
			files = append(files, rel)
		}
		return nil
	})
	sort.Strings(files)
	want := []string{"channels/everything.atom", "channels/everything.json", "channels/everything.rss",
		"channels/no-sport.atom", "channels/no-sport.json", "channels/no-sport.rss",
		"channels/tech.atom", "channels/tech.json", "channels/tech.rss",
		"channels/world.atom", "channels/world.json", "channels/world.rss",
		"index.html", "opml.xml"}
	if strings.Join(files, " ") != strings.Join(want, " ") {
		t.Errorf("files %v\nwant %v (no temporary files left)", files, want)
	}
	if !strings.Contains(stdout, "wrote 14 files") {
		t.Errorf("stdout: %s", stdout)
	}
	rss, _ := os.ReadFile(filepath.Join(out, "channels", "world.rss"))
	if !strings.Contains(string(rss), `<atom:link href="http://feeds.test.example/channels/world.rss" rel="self"`) || strings.Count(string(rss), "<item>") < 10 {
		t.Errorf("world.rss:\n%.600s", rss)
	}
	opml, _ := os.ReadFile(filepath.Join(out, "opml.xml"))
	for _, ch := range []string{"world", "tech", "everything", "no-sport"} {
		if !strings.Contains(string(opml), `xmlUrl="http://feeds.test.example/channels/`+ch+`.rss"`) {
			t.Errorf("opml.xml lacks channel %s:\n%s", ch, opml)
		}
	}
	index, _ := os.ReadFile(filepath.Join(out, "index.html"))
	if !strings.Contains(string(index), `href="channels/world.rss"`) || !strings.Contains(string(index), "The Guardian") {
		t.Errorf("index.html has no relative subscribe links or sources:\n%s", index)
	}
	for _, f := range files {
		fi, _ := os.Stat(filepath.Join(out, f))
		if fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, want 0644 (a web server must read it)", f, fi.Mode().Perm())
		}
	}
}
