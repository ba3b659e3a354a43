package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html/charset"
)

// testFeeds are the upstream feeds of the end-to-end test, served from
// ../shared/testdata/feeds as a real feed server would serve them.
var testFeeds = []struct {
	path, file, contentType string
	gzipped                 bool // the file holds gzip bytes: sent with Content-Encoding: gzip
	tags                    []string
}{
	{"/guardian.rss", "realworld/guardian.rss", "application/rss+xml; charset=utf-8", false, []string{"world"}},
	{"/heraldsun.rss", "realworld/heraldsun.rss", "application/rss+xml", false, []string{"world"}},
	// ISO-8859-1 with no XML prolog: the charset is only in the HTTP header.
	{"/uol.rss", "realworld/uolNoticias.rss", "application/rss+xml; charset=iso-8859-1", false, []string{"world"}},
	{"/heise.atom", "realworld/heise.atom", "application/atom+xml", false, []string{"tech"}},
	// gzip body of a windows-1251 feed (charset in the prolog).
	{"/oren.rss", "edge/compressed.xml", "application/rss+xml", true, []string{"tech"}},
	{"/guid-dupes.rss", "edge/guid-dupes.xml", "application/rss+xml", false, []string{"tech"}},
}

const sharedFeeds = "../../../shared/testdata/feeds/"

// upstream is an httptest feed server with strong ETags, Last-Modified,
// 304s and gzip, counting what it is asked.
type upstream struct {
	*httptest.Server
	mu          sync.Mutex
	requests    int
	conditional int // requests that carried If-None-Match or If-Modified-Since
	notModified int
	userAgents  map[string]bool
}

func startUpstream(t *testing.T) *upstream {
	t.Helper()
	type doc struct {
		body        []byte
		etag, ctype string
		gzipped     bool
	}
	docs := map[string]doc{}
	for _, f := range testFeeds {
		body, err := os.ReadFile(sharedFeeds + f.file)
		if err != nil {
			t.Fatalf("test feed: %v", err)
		}
		sum := sha256.Sum256(body)
		docs[f.path] = doc{body, fmt.Sprintf(`"%x"`, sum[:8]), f.contentType, f.gzipped}
	}
	lastMod := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC).Format(http.TimeFormat)
	u := &upstream{userAgents: map[string]bool{}}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, ok := docs[r.URL.Path]
		u.mu.Lock()
		u.requests++
		u.userAgents[r.UserAgent()] = true
		if r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Modified-Since") != "" {
			u.conditional++
		}
		u.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", d.etag)
		w.Header().Set("Last-Modified", lastMod)
		if r.Header.Get("If-None-Match") == d.etag || (r.Header.Get("If-None-Match") == "" && r.Header.Get("If-Modified-Since") == lastMod) {
			u.mu.Lock()
			u.notModified++
			u.mu.Unlock()
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", d.ctype)
		body := d.body
		switch {
		case d.gzipped:
			w.Header().Set("Content-Encoding", "gzip")
		case strings.Contains(r.Header.Get("Accept-Encoding"), "gzip"):
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			zw.Write(body)
			zw.Close()
			body = buf.Bytes()
			w.Header().Set("Content-Encoding", "gzip")
		}
		w.Write(body)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) counts() (requests, conditional, notModified int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.requests, u.conditional, u.notModified
}

func writeE2EConfig(t *testing.T, up *upstream) (path string) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "db: store.db\nlisten: 127.0.0.1:0\nbase_url: http://feeds.test.example\n")
	fmt.Fprintf(&b, "fetch:\n  allow_private: true\n  workers: 4\n  timeout: 10s\n")
	fmt.Fprintf(&b, "retention:\n  max_age: 0s\n") // the captures are years old: keep them
	fmt.Fprintf(&b, "sources:\n")
	for _, f := range testFeeds {
		fmt.Fprintf(&b, "  - url: %s%s\n    tags: [%s]\n", up.URL, f.path, strings.Join(f.tags, ", "))
	}
	fmt.Fprintf(&b, `channels:
  - name: world
    title: World
    tags: [world]
    limit: 500
  - name: tech
    tags: [tech]
    limit: 500
  - name: everything
    limit: 1000
    duplicates: keep
  - name: no-sport
    limit: 1000
    exclude: [football, "/^Live/"]
`)
	return writeConfig(t, b.String())
}

// runCLI runs the command line in-process and returns its exit code and
// output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errw bytes.Buffer
	code := run(context.Background(), args, &out, &errw)
	return code, out.String(), errw.String()
}

func TestEndToEnd(t *testing.T) {
	up := startUpstream(t)
	cfgPath := writeE2EConfig(t, up)

	// 1. A one-shot pass from "cron": no daemon, the CLI opens the store.
	code, out, errOut := runCLI(t, "fetch", "-c", cfgPath)
	if code != exitOK {
		t.Fatalf("fetch exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if !strings.Contains(out, fmt.Sprintf("fetched %d sources", len(testFeeds))) || !strings.Contains(out, "0 failed") {
		t.Fatalf("fetch summary: %s", out)
	}
	reqs, cond, _ := up.counts()
	if reqs != len(testFeeds) || cond != 0 {
		t.Fatalf("first pass: %d requests (%d conditional), want %d unconditional", reqs, cond, len(testFeeds))
	}
	for ua := range up.userAgents {
		if !strings.HasPrefix(ua, "feedmill/") {
			t.Errorf("User-Agent %q does not name feedmill", ua)
		}
	}

	// 2. The daemon publishes the channels.
	d := launchDaemon(t, cfgPath)
	cfg := d.cfg
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			if err := d.stop(); err != nil {
				t.Errorf("stop: %v", err)
			}
		}
	}
	defer stop()
	base := "http://" + d.Addr.String()

	everything := readAllFormats(t, base, "everything")
	want := expectedItems(t)
	if got := len(everything["rss"].Items); got != want {
		t.Errorf("everything.rss has %d items, want %d (every distinct item of every source once)", got, want)
	}
	for format, f := range everything {
		if len(f.Items) != len(everything["rss"].Items) {
			t.Errorf("everything.%s has %d items, rss has %d", format, len(f.Items), len(everything["rss"].Items))
		}
		assertNoRepeats(t, "everything."+format, f)
	}
	world := readAllFormats(t, base, "world")["atom"]
	tech := readAllFormats(t, base, "tech")["json"]
	if len(world.Items) == 0 || len(tech.Items) == 0 || len(world.Items)+len(tech.Items) < want-5 {
		t.Errorf("world %d + tech %d items, everything %d", len(world.Items), len(tech.Items), want)
	}
	assertText(t, world, "inquérito") // ISO-8859-1 from the HTTP header, decoded once
	assertText(t, tech, "Оренбург")   // windows-1251 from the prolog, in a gzip body

	// Ids are stable across renders: a second read after a store change
	// elsewhere gives the same ids for the same links.
	again := readAllFormats(t, base, "everything")
	for format := range everything {
		if a, b := idsByLink(everything[format]), idsByLink(again[format]); !equalMaps(a, b) {
			t.Errorf("%s: ids changed between two reads", format)
		}
	}

	// Validators: 304 on If-None-Match and If-Modified-Since.
	for _, format := range []string{"rss", "atom", "json"} {
		url := base + "/channels/everything." + format
		resp := get(t, url, nil)
		etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
		if etag == "" || strings.HasPrefix(etag, "W/") || lm == "" {
			t.Fatalf("%s: ETag %q Last-Modified %q", url, etag, lm)
		}
		if r := get(t, url, map[string]string{"If-None-Match": etag}); r.StatusCode != http.StatusNotModified {
			t.Errorf("%s If-None-Match: %d, want 304", url, r.StatusCode)
		}
		if r := get(t, url, map[string]string{"If-Modified-Since": lm}); r.StatusCode != http.StatusNotModified {
			t.Errorf("%s If-Modified-Since: %d, want 304", url, r.StatusCode)
		}
	}

	// The Universal Feed Parser reads every channel cleanly. (Debian's
	// feedparser 6.0 reads RSS and Atom; it has no JSON Feed support.)
	var urls []string
	for _, ch := range cfg.Channels {
		for _, format := range []string{"rss", "atom"} {
			urls = append(urls, base+"/channels/"+ch.Name+"."+format)
		}
	}
	checkWithFeedparser(t, urls)

	// The index offers every channel for autodiscovery.
	index := body(t, get(t, base+"/", nil))
	for _, ch := range cfg.Channels {
		if !strings.Contains(index, `href="http://feeds.test.example/channels/`+ch.Name+`.rss"`) &&
			!strings.Contains(index, `href="/channels/`+ch.Name+`.rss"`) {
			t.Errorf("index has no link to %s.rss", ch.Name)
		}
	}
	if r := get(t, base+"/healthz", nil); r.StatusCode != http.StatusOK {
		t.Errorf("healthz: %d", r.StatusCode)
	}

	// 3. A second pass from "cron" while the daemon holds the store: the CLI
	// asks the daemon; upstreams see conditional GETs and answer 304;
	// nothing new is stored.
	reqsBefore, condBefore, nmBefore := up.counts()
	code, out, errOut = runCLI(t, "fetch", "--all", "-c", cfgPath)
	if code != exitOK {
		t.Fatalf("fetch through the daemon: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	reqs, cond, nm := up.counts()
	if reqs-reqsBefore != len(testFeeds) || cond-condBefore != len(testFeeds) || nm-nmBefore != len(testFeeds) {
		t.Errorf("second pass: %d requests, %d conditional, %d answered 304; want %d of each",
			reqs-reqsBefore, cond-condBefore, nm-nmBefore, len(testFeeds))
	}
	if !strings.Contains(out, "0 new items, 0 updated") || !strings.Contains(out, fmt.Sprintf("%d not modified", len(testFeeds))) {
		t.Errorf("second pass summary: %s", out)
	}
	if again := readAllFormats(t, base, "everything"); len(again["rss"].Items) != want {
		t.Errorf("after the second pass: %d items, want %d", len(again["rss"].Items), want)
	}

	// The sources command goes through the daemon too.
	code, out, _ = runCLI(t, "sources", "list", "-c", cfgPath)
	if code != exitOK || strings.Count(out, up.URL) != len(testFeeds) {
		t.Errorf("sources list: exit %d\n%s", code, out)
	}

	// 4. After the daemon stops, the store reopens with everything in it.
	stop()
	code, out, errOut = runCLI(t, "fetch", "-c", cfgPath)
	if code != exitOK || !strings.Contains(out, "fetched 0 sources") {
		t.Errorf("a pass right after the last: exit %d (nothing is due)\n%s%s", code, out, errOut)
	}
}

func TestFetchExitCodeWhenASourceFails(t *testing.T) {
	up := startUpstream(t)
	cfgPath := writeConfig(t, fmt.Sprintf(`db: store.db
fetch: {allow_private: true}
sources:
  - url: %s/guardian.rss
  - url: %s/gone.rss
`, up.URL, up.URL))
	code, out, errOut := runCLI(t, "fetch", "-c", cfgPath)
	if code != exitSourcesF {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitSourcesF, out, errOut)
	}
	if !strings.Contains(out, "FAILED "+up.URL+"/gone.rss [HTTP 404]") || !strings.Contains(out, "1 failed") {
		t.Errorf("output: %s", out)
	}
	// What the other source returned is stored.
	code, out, _ = runCLI(t, "sources", "list", "-c", cfgPath)
	if code != exitOK || !strings.Contains(out, "guardian.rss") {
		t.Errorf("sources list: %d %s", code, out)
	}
}

func TestUsageAndConfigExitCodes(t *testing.T) {
	bad := writeConfig(t, "fetch:\n  every: often\n")
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"frobnicate"}, exitUsage, "unknown command"},
		{[]string{"fetch", "--bogus"}, exitUsage, "flag provided but not defined"},
		{[]string{"check", "-c", bad}, exitUsage, "fetch.every (line 2): bad duration"},
		{[]string{"fetch", "-c", bad}, exitUsage, "fetch.every (line 2)"},
		{[]string{"backup"}, exitUsage, "want exactly one FILE"},
		{[]string{"version"}, exitOK, ""},
		{[]string{"fetch", "--help"}, exitOK, "usage: feedmill fetch"},
	}
	for _, tt := range tests {
		code, out, errOut := runCLI(t, tt.args...)
		if code != tt.code || !strings.Contains(out+errOut, tt.want) {
			t.Errorf("%v: exit %d, output %q; want exit %d containing %q", tt.args, code, out+errOut, tt.code, tt.want)
		}
	}
}

// expectedItems counts the distinct items of the test feeds, read
// independently with gofeed (GUID, else link, else title).
func expectedItems(t *testing.T) int {
	t.Helper()
	n := 0
	for _, f := range testFeeds {
		raw, err := os.ReadFile(sharedFeeds + f.file)
		if err != nil {
			t.Fatal(err)
		}
		if f.gzipped {
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			raw, _ = io.ReadAll(zr)
		}
		var r io.Reader = bytes.NewReader(raw)
		if _, cs, ok := strings.Cut(f.contentType, "charset="); ok && !strings.HasPrefix(string(raw), "<?xml") {
			if r, err = charset.NewReaderLabel(cs, r); err != nil {
				t.Fatal(err)
			}
		}
		feed, err := gofeed.NewParser().Parse(r)
		if err != nil {
			t.Fatalf("%s: %v", f.file, err)
		}
		seen := map[string]bool{}
		for _, it := range feed.Items {
			key := it.GUID
			if key == "" {
				key = it.Link
			}
			if key == "" {
				key = it.Title
			}
			seen[key] = true
		}
		n += len(seen)
	}
	return n
}

func get(t *testing.T, url string, headers map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// readAllFormats fetches a channel in the three formats and parses each
// with gofeed, checking status and content type.
func readAllFormats(t *testing.T, base, channel string) map[string]*gofeed.Feed {
	t.Helper()
	types := map[string]string{
		"rss":  "application/rss+xml; charset=utf-8",
		"atom": "application/atom+xml; charset=utf-8",
		"json": "application/feed+json; charset=utf-8",
	}
	out := map[string]*gofeed.Feed{}
	for format, ctype := range types {
		url := base + "/channels/" + channel + "." + format
		resp := get(t, url, nil)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != ctype {
			t.Fatalf("%s: %d %q", url, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		feed, err := gofeed.NewParser().ParseString(body(t, resp))
		if err != nil {
			t.Fatalf("%s does not parse: %v", url, err)
		}
		out[format] = feed
	}
	return out
}

func assertNoRepeats(t *testing.T, name string, f *gofeed.Feed) {
	t.Helper()
	ids := map[string]bool{}
	for _, it := range f.Items {
		if it.GUID == "" {
			t.Errorf("%s: item %q has no id", name, it.Title)
			continue
		}
		if ids[it.GUID] {
			t.Errorf("%s: id %s appears twice", name, it.GUID)
		}
		ids[it.GUID] = true
	}
}

func assertText(t *testing.T, f *gofeed.Feed, want string) {
	t.Helper()
	for _, it := range f.Items {
		if strings.Contains(it.Title+it.Description+it.Content, want) {
			return
		}
	}
	t.Errorf("no item of %q contains %q (charset decoding)", f.Title, want)
}

func idsByLink(f *gofeed.Feed) map[string]string {
	m := map[string]string{}
	for _, it := range f.Items {
		m[it.GUID] = it.Link + "|" + it.Title
	}
	return m
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// checkWithFeedparser reads each URL with the Universal Feed Parser
// (Debian's python3-feedparser, installed by `make deps`): bozo must be 0
// and every feed must have entries.
func checkWithFeedparser(t *testing.T, urls []string) {
	t.Helper()
	const script = `
import json, sys, feedparser
out = {}
for url in sys.argv[1:]:
    d = feedparser.parse(url)
    out[url] = {"bozo": int(d.bozo), "error": str(d.get("bozo_exception", "")), "entries": len(d.entries), "version": d.version}
print(json.dumps(out))
`
	python := "/usr/bin/python3" // Debian's python, where python3-feedparser installs
	cmd := exec.Command(python, append([]string{"-c", script}, urls...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3-feedparser check failed (run `make deps` to install it): %v\n%s", err, stderr.String())
	}
	var res map[string]struct {
		Bozo    int
		Error   string
		Entries int
		Version string
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatalf("feedparser output %q: %v", raw, err)
	}
	for _, url := range urls {
		r, ok := res[url]
		switch {
		case !ok:
			t.Errorf("feedparser: no result for %s", url)
		case r.Bozo != 0:
			t.Errorf("feedparser: %s is bozo: %s", url, r.Error)
		case r.Entries == 0 || r.Version == "":
			t.Errorf("feedparser: %s: %d entries, version %q", url, r.Entries, r.Version)
		}
	}
	t.Logf("python3-feedparser read %d feeds, bozo 0", len(urls))
}
