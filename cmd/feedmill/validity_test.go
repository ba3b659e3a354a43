package main

// Channels built from every shared test feed (../shared/testdata/feeds,
// thousands of foreign feeds: validator cases, real captures, parser test
// suites) plus a hostile feed must come out as valid feeds: the W3C Feed
// Validator finds no error in their RSS and Atom, their JSON Feed passes
// the JSON Feed 1.1 schema, every URL in every output passes the URL
// policy (urls_test.go), and feedparser and newsboat read every channel.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// validatorDir is the W3C Feed Validator's source (its README says what
// it needs: `make deps` installs it).
const validatorDir = "../../../shared/tools/feedvalidator"

// sharedSite is a running daemon whose channels hold every shared test
// feed, in a few batches (the validator reads at most 5 MB a document),
// and the hostile feed of testdata/hostile.rss.
type sharedSite struct {
	base     string
	cfgPath  string
	channels []string
	sources  int
}

// sharedBatches is how many channels the feedparser cases are spread over.
const sharedBatches = 4

func startSharedSite(t *testing.T) *sharedSite {
	t.Helper()
	var paths []string
	err := filepath.WalkDir(sharedFeeds, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() != "LICENSE" && d.Name() != "SOURCE" && !strings.HasSuffix(d.Name(), ".tsv") {
			rel, _ := filepath.Rel(sharedFeeds, p)
			paths = append(paths, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil || len(paths) < 100 {
		t.Fatalf("shared feeds: %v (%d files)", err, len(paths))
	}
	sort.Strings(paths)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		file := sharedFeeds + strings.TrimPrefix(r.URL.Path, "/")
		if r.URL.Path == "/hostile.rss" {
			file = "testdata/hostile.rss"
		}
		body, err := os.ReadFile(file)
		if err != nil || strings.Contains(r.URL.Path, "..") {
			http.NotFound(w, r)
			return
		}
		for k, vs := range caseHeaders(body) {
			w.Header()[k] = vs
		}
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/xml")
		}
		if bytes.HasPrefix(body, []byte{0x1f, 0x8b}) {
			w.Header().Set("Content-Encoding", "gzip")
		}
		w.Write(body)
	}))
	t.Cleanup(up.Close)

	port := freePort(t)
	s := &sharedSite{base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	var b strings.Builder
	fmt.Fprintf(&b, "db: store.db\nlisten: 127.0.0.1:%d\nbase_url: %s\n", port, s.base)
	fmt.Fprintf(&b, "fetch:\n  allow_private: true\n  workers: 16\n  per_host: 16\n  per_host_interval: 0s\n  timeout: 10s\n")
	fmt.Fprintf(&b, "retention:\n  max_age: 0s\n")
	fmt.Fprintf(&b, "sources:\n")
	fp := 0
	for _, p := range append(paths, "hostile.rss") {
		tag, _, _ := strings.Cut(p, "/")
		switch tag {
		case "feedparser":
			tag = fmt.Sprintf("feedparser%d", fp%sharedBatches)
			fp++
		case "hostile.rss":
			tag = "hostile"
		}
		fmt.Fprintf(&b, "  - url: %s/%s\n    tags: [%s]\n", up.URL, p, tag)
		s.sources++
	}
	s.channels = []string{"realworld", "edge", "hostile"}
	for i := range sharedBatches {
		s.channels = append(s.channels, fmt.Sprintf("feedparser%d", i))
	}
	fmt.Fprintf(&b, "channels:\n")
	for _, ch := range s.channels {
		fmt.Fprintf(&b, "  - name: %s\n    title: Channel %s\n    tags: [%s]\n    limit: 5000\n    duplicates: keep\n", ch, ch, ch)
	}
	cfgPath := writeConfig(t, b.String())
	s.cfgPath = cfgPath
	if code, out, errOut := runCLI(t, "fetch", "-c", cfgPath); code != exitOK && code != exitSourcesF {
		t.Fatalf("fetch: exit %d\n%s%s", code, out, errOut)
	}
	startTestDaemon(t, cfgPath)
	return s
}

// caseHeaders returns the HTTP headers a feedparser case asks to be
// served with: its "Header: Name: value" comments near the top.
func caseHeaders(body []byte) http.Header {
	h := http.Header{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for n := 0; sc.Scan() && n < 20; n++ {
		_, rest, ok := strings.Cut(sc.Text(), "Header:")
		if !ok {
			continue
		}
		k, v, ok := strings.Cut(strings.TrimSpace(rest), ":")
		if ok && k != "" && !strings.ContainsAny(k, " \t") {
			h.Add(strings.TrimSpace(k), strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "-->")))
		}
	}
	return h
}

func (s *sharedSite) feedURLs(formats ...string) []string {
	var urls []string
	for _, ch := range s.channels {
		for _, f := range formats {
			urls = append(urls, s.base+"/channels/"+ch+"."+f)
		}
	}
	return urls
}

func TestChannelsFromSharedFeeds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds channels from every shared test feed")
	}
	s := startSharedSite(t)
	t.Logf("%d sources in %d channels", s.sources, len(s.channels))
	t.Run("feedvalidator", func(t *testing.T) { checkWithFeedValidator(t, s.feedURLs("rss", "atom")) })
	t.Run("jsonfeed-schema", func(t *testing.T) {
		ajv := tool(t, "../../.tools/node_modules/.bin/ajv")
		schema := tool(t, "../../.tools/node_modules/jsonfeed-schema/schema-v1.1.json")
		dir := t.TempDir()
		args := []string{"validate", "--spec=draft7", "-c", "ajv-formats", "-s", schema}
		for _, u := range s.feedURLs("json") {
			f := filepath.Join(dir, filepath.Base(u))
			if err := os.WriteFile(f, []byte(body(t, get(t, u, nil))), 0o644); err != nil {
				t.Fatal(err)
			}
			args = append(args, "-d", f)
		}
		runTool(t, filepath.Dir(ajv), nil, ajv, args...)
	})
	t.Run("urls", func(t *testing.T) { checkOutputURLs(t, s) })
	t.Run("explain", func(t *testing.T) {
		// The URLs the policy refused at ingest are named.
		code, out, errOut := runCLI(t, "explain", "-c", s.cfgPath, "hostile")
		for _, want := range []string{"unsafe-url:link", "unsafe-url:site", "unsafe-url:enclosure"} {
			if code != exitOK || !strings.Contains(out, want) {
				t.Errorf("explain hostile: exit %d, no %s in\n%s%s", code, want, out, errOut)
			}
		}
	})
	// Real readers still read every channel.
	t.Run("feedparser", func(t *testing.T) { checkWithFeedparser(t, s.feedURLs("rss", "atom")) })
	t.Run("newsboat-rss", func(t *testing.T) { checkWithNewsboat(t, s.feedURLs("rss")) })
	t.Run("newsboat-atom", func(t *testing.T) { checkWithNewsboat(t, s.feedURLs("atom")) })
}

// checkWithFeedValidator runs the W3C Feed Validator over the feeds in
// one process: no errors allowed, warnings reported by kind.
func checkWithFeedValidator(t *testing.T, urls []string) {
	t.Helper()
	// The validator gives a server 10 s; a first render of a large channel
	// under the race detector on a busy machine can take longer, so the
	// documents are built (and cached) before it asks.
	warm := http.Client{Timeout: 3 * time.Minute}
	for _, u := range urls {
		resp, err := warm.Get(u)
		if err != nil {
			t.Fatalf("warm %s: %v", u, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	python := "/usr/bin/python3" // Debian's, with the validator's modules
	cmd := exec.Command(python, append([]string{"testdata/feedvalidate.py", validatorDir}, urls...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("feed validator failed (run `make deps` to install what it needs): %v\n%s", err, stderr.String())
	}
	var res map[string]struct{ Errors, Warnings []string }
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatalf("validator output %.300q: %v", raw, err)
	}
	errs, warns := map[string]int{}, map[string]int{}
	for _, u := range urls {
		r, ok := res[u]
		if !ok {
			t.Errorf("validator: no result for %s", u)
			continue
		}
		for _, e := range r.Errors {
			errs[messageOf(e)]++
		}
		for i, e := range r.Errors {
			if i == 10 {
				t.Errorf("%s: %d more errors", u, len(r.Errors)-10)
				break
			}
			t.Errorf("%s: %s", u, e)
		}
		for _, w := range r.Warnings {
			warns[messageOf(w)]++
		}
	}
	t.Logf("feed validator: %d feeds; errors by kind:\n%s\nwarnings by kind:\n%s", len(urls), byKind(errs), byKind(warns))
}

// byKind lists counts by message, one a line.
func byKind(counts map[string]int) string {
	lines := make([]string, 0, len(counts))
	total := 0
	for k, n := range counts {
		lines = append(lines, fmt.Sprintf("%6d  %s", n, k))
		total += n
	}
	slices.Sort(lines)
	return strings.Join(append(lines, fmt.Sprintf("%6d  in all", total)), "\n")
}

// messageOf drops the "line L, column C: " of a validator message.
func messageOf(m string) string {
	if _, rest, ok := strings.Cut(m, ": "); ok && strings.HasPrefix(m, "line ") {
		return rest
	}
	return m
}
