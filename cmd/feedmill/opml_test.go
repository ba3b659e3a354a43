package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/storage"
)

const sampleOPML = `<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>My feeds</title></head>
  <body>
    <outline text="News">
      <outline text="World">
        <outline type="rss" text="Alpha" xmlUrl="https://alpha.example/feed.xml" htmlUrl="https://alpha.example/"/>
      </outline>
      <outline type="rss" title="Beta" xmlUrl="https://beta.example/rss" category="/wire,local"/>
    </outline>
    <outline type="rss" text="Gamma" xmlUrl="https://gamma.example/atom"/>
    <outline text="Tech">
      <outline type="rss" text="Alpha again" xmlUrl="https://alpha.example/feed.xml"/>
    </outline>
  </body>
</opml>
`

func TestParseOPML(t *testing.T) {
	feeds, err := parseOPML(strings.NewReader(sampleOPML))
	if err != nil {
		t.Fatal(err)
	}
	want := []importFeed{
		{URL: "https://alpha.example/feed.xml", Tags: []string{"News", "Tech", "World"}},
		{URL: "https://beta.example/rss", Tags: []string{"News", "local", "wire"}},
		{URL: "https://gamma.example/atom"},
	}
	if fmt.Sprint(feeds) != fmt.Sprint(want) {
		t.Errorf("got  %v\nwant %v", feeds, want)
	}
	bad := []struct{ name, doc, want string }{
		{"not XML", "this is not OPML", "not an OPML file"},
		{"truncated", `<opml version="2.0"><body><outline text="x"`, "not an OPML file"},
		{"relative URL", `<opml version="2.0"><body><outline text="x" xmlUrl="/feed"/></body></opml>`, `xmlUrl "/feed"`},
		{"ftp URL", `<opml version="2.0"><body><outline text="x" xmlUrl="ftp://a.example/f"/></body></opml>`, "not an absolute http(s) URL"},
	}
	for _, tt := range bad {
		if _, err := parseOPML(strings.NewReader(tt.doc)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestImportExport(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeConfig(t, "db: store.db\nsources:\n  - url: https://gamma.example/atom\n    tags: [config]\n")
	opml := filepath.Join(dir, "feeds.opml")
	if err := os.WriteFile(opml, []byte(sampleOPML), 0o600); err != nil {
		t.Fatal(err)
	}

	// A bad file is an error naming it, and changes nothing.
	badFile := filepath.Join(dir, "bad.opml")
	os.WriteFile(badFile, []byte(`<opml version="2.0"><body><outline text="ok" xmlUrl="https://ok.example/f"/><outline text="x" xmlUrl="nope"/></body></opml>`), 0o600)
	code, out, errOut := runCLI(t, "import", "-c", cfgPath, badFile)
	if code == exitOK || !strings.Contains(errOut, badFile) || !strings.Contains(errOut, "nothing was imported") {
		t.Errorf("bad file: exit %d\n%s%s", code, out, errOut)
	}
	if _, out, _ := runCLI(t, "sources", "list", "-c", cfgPath); strings.Contains(out, "ok.example") {
		t.Errorf("a bad file added a source:\n%s", out)
	}

	code, out, errOut = runCLI(t, "import", "-c", cfgPath, opml)
	if code != exitOK || !strings.Contains(out, "2 sources added, 1 already there") {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	// Importing again adds nothing.
	if code, out, _ = runCLI(t, "import", "-c", cfgPath, opml); code != exitOK || !strings.Contains(out, "0 sources added, 3 already there") {
		t.Errorf("second import: exit %d\n%s", code, out)
	}

	// Export, then import into an empty store: the same sources and tags.
	code, exported, errOut := runCLI(t, "export", "-c", cfgPath)
	if code != exitOK {
		t.Fatalf("export: exit %d %s", code, errOut)
	}
	cfg2 := writeConfig(t, "db: other.db\n")
	file2 := filepath.Join(dir, "exported.opml")
	os.WriteFile(file2, []byte(exported), 0o600)
	if code, out, errOut := runCLI(t, "import", "-c", cfg2, file2); code != exitOK || !strings.Contains(out, "3 sources added") {
		t.Fatalf("re-import: exit %d\n%s%s", code, out, errOut)
	}
	cfg, _ := loadConfig(cfg2)
	st, err := openStore(cfg, newLogger(cfg, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srcs, _ := st.Sources()
	got := map[string]string{}
	for _, s := range srcs {
		got[s.URL] = strings.Join(s.Tags, ",") + "/" + s.Origin
	}
	want := map[string]string{
		"https://alpha.example/feed.xml": "News,Tech,World/opml",
		"https://beta.example/rss":       "News,local,wire/opml",
		"https://gamma.example/atom":     "config/opml", // the config's tags travel with it
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after export and import: %v\nwant %v\nOPML:\n%s", got, want, exported)
	}
}

func TestImportThroughDaemon(t *testing.T) {
	up := startUpstream(t)
	cfgPath := writeE2EConfig(t, up)
	d := startTestDaemon(t, cfgPath)
	opml := filepath.Join(t.TempDir(), "feeds.opml")
	os.WriteFile(opml, []byte(sampleOPML), 0o600)
	// The config's own source is "already there" when listed in the file.
	extra := strings.Replace(sampleOPML, "https://gamma.example/atom", up.URL+"/heise.atom", 1)
	os.WriteFile(opml, []byte(extra), 0o600)
	code, out, errOut := runCLI(t, "import", "-c", cfgPath, opml)
	if code != exitOK || !strings.Contains(out, "2 sources added, 1 already there") {
		t.Fatalf("import through the daemon: exit %d\n%s%s", code, out, errOut)
	}
	src, err := d.store.SourceByURL(up.URL + "/heise.atom")
	if err != nil || src.Origin != storage.OriginConfig || !slices.Equal(src.Tags, []string{"tech"}) {
		t.Errorf("the config's source changed: %+v %v", src, err)
	}
	code, out, _ = runCLI(t, "export", "-c", cfgPath)
	if code != exitOK || !strings.Contains(out, `xmlUrl="https://beta.example/rss"`) || !strings.Contains(out, up.URL+"/guardian.rss") {
		t.Errorf("export through the daemon: exit %d\n%s", code, out)
	}
	if !bytes.HasPrefix([]byte(out), []byte("<?xml")) {
		t.Errorf("export is not an XML document:\n%s", out)
	}
}
