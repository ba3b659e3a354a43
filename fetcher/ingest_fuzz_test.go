package fetcher

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/feedmill/feedmill/fetcher/httpclient"
	"github.com/feedmill/feedmill/fetcher/internal/testfeeds"
	"github.com/feedmill/feedmill/fetcher/normalize"
	"github.com/feedmill/feedmill/fetcher/parse"
)

// TestIngestEverySharedFeed serves every shared test file (with the
// headers a feedparser case names) and runs one real pass over all of them
// into a bbolt store: nothing may panic, every file gets a result, and the
// store passes its consistency check afterwards. Files that are not feeds
// fail with an error, which is fine.
func TestIngestEverySharedFeed(t *testing.T) {
	dir := testfeeds.Dir(t)
	files := testfeeds.Files(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(r.URL.Path, "/"))))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		for k, v := range testfeeds.Headers(body) {
			if k != "Content-Location" && k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		w.Write(body)
	}))
	defer srv.Close()
	st := openStore(t, nil)
	for _, p := range files {
		rel, _ := filepath.Rel(dir, p)
		addSource(t, st, srv.URL+"/"+(&url.URL{Path: filepath.ToSlash(rel)}).EscapedPath())
	}
	rep := pass(t, newTestFetcher(st, nil, func(o *Options) { o.PerHost = 8; o.Workers = 8 }), PassOptions{})
	if len(rep.Results) != len(files) {
		t.Fatalf("%d results for %d files", len(rep.Results), len(files))
	}
	items := 0
	for _, r := range rep.Results {
		items += r.Added
		if r.Status == http.StatusNotFound {
			t.Errorf("%s not served", r.URL)
		}
	}
	if err := st.Check(); err != nil {
		t.Errorf("store check: %v", err)
	}
	t.Logf("%d files, %d failed to parse or fetch, %d items added", len(files), rep.Failed, items)
	if rep.Failed > len(files)/4 {
		t.Errorf("%d of %d files failed", rep.Failed, len(files))
	}
}

// FuzzParseNormalize feeds arbitrary bytes through what a fetched body
// goes through before storage: charset detection, gofeed (package
// parse), normalization and the limits (package normalize). Seeded with every shared test file. Nothing may panic,
// and what comes out must be valid, control-free UTF-8 within the caps.
//
//	go test -run '^$' -fuzz '^FuzzParseNormalize$' -fuzztime 30s ./fetcher/
func FuzzParseNormalize(f *testing.F) {
	for _, p := range testfeeds.Files(f) {
		body, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body, testfeeds.Headers(body).Get("Content-Type"))
	}
	f.Add([]byte(sampleRSS), "application/rss+xml; charset=iso-8859-1")
	feedURL, _ := url.Parse("https://example.org/feed.xml")
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		utf := toUTF8(body, contentType)
		if !utf8.Valid(utf) || bytes.IndexFunc(utf, httpclient.IsBadControl) >= 0 {
			t.Fatalf("toUTF8 left invalid bytes: %q", utf)
		}
		feed, _, err := parse.Feed(utf, parse.Options{})
		if err != nil {
			return
		}
		meta, items := normalize.Feed(feed, feedURL, now, normalize.Limits{MaxItems: DefaultMaxItems, MaxItemBytes: DefaultMaxItemBytes})
		if len(items) > DefaultMaxItems {
			t.Fatalf("%d items", len(items))
		}
		checkText := func(what, s string) {
			if !utf8.ValidString(s) || strings.IndexFunc(s, httpclient.IsBadControl) >= 0 {
				t.Fatalf("%s not clean: %q", what, s)
			}
		}
		checkText("feed title", meta.Title)
		for _, it := range items {
			checkText("title", it.Title)
			checkText("summary", it.Summary)
			checkText("content", it.Content)
			checkText("guid", it.GUID)
			if len(it.Content) > DefaultMaxItemBytes || len(it.Summary) > DefaultMaxItemBytes || len(it.Title) > 4<<10 {
				t.Fatalf("item over its limits: %d/%d/%d bytes", len(it.Content), len(it.Summary), len(it.Title))
			}
			if it.Link != "" {
				if u, err := url.Parse(it.Link); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					t.Fatalf("link %q is not an absolute http(s) URL", it.Link)
				}
			}
			if it.Published.After(now.Add(24 * time.Hour)) {
				t.Fatalf("published %v in the future", it.Published)
			}
		}
	})
}
