package fetcher

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/feedmill/feedmill/fetcher/fulltext"
	"github.com/feedmill/feedmill/internal/testlog"
	"github.com/feedmill/feedmill/storage"
)

const articlesDir = "../../shared/testdata/articles"

// testArticle is a page of the shared article set: its HTML and the
// opening words of its story (the teaser a feed would carry).
type testArticle struct {
	page   []byte
	teaser string
}

func loadTestArticles(t testing.TB, n int) []testArticle {
	t.Helper()
	keys, bodies := readArticleSet(t)
	var out []testArticle
	for _, k := range keys[:n] {
		words := strings.Fields(bodies[k])
		out = append(out, testArticle{page: readArticlePage(t, k), teaser: strings.Join(words[:min(30, len(words))], " ")})
	}
	return out
}

// readArticleSet reads the article set's marked stories: the pages'
// names in order, and each page's story.
func readArticleSet(t testing.TB) ([]string, map[string]string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(articlesDir, "ground-truth.json"))
	if err != nil {
		t.Skipf("article set not available: %v", err)
	}
	var gt map[string]struct {
		ArticleBody string `json:"articleBody"`
	}
	if err := json.Unmarshal(raw, &gt); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(gt))
	bodies := make(map[string]string, len(gt))
	for k, v := range gt {
		keys = append(keys, k)
		bodies[k] = v.ArticleBody
	}
	sort.Strings(keys)
	return keys, bodies
}

// readArticlePage reads one page of the article set, ungzipped.
func readArticlePage(t testing.TB, key string) []byte {
	t.Helper()
	gz, err := os.ReadFile(filepath.Join(articlesDir, "html", key+".html.gz"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	page, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return page
}

// pageSite serves a teaser feed at /feed.xml whose items link to pages
// it serves, and counts the requests for each path.
type pageSite struct {
	srv   *httptest.Server
	mu    sync.Mutex
	hits  map[string]int
	pages map[string]http.HandlerFunc
	items []string // paths of the feed's items
	teas  map[string]string
}

func newPageSite(t *testing.T) *pageSite {
	s := &pageSite{hits: map[string]int{}, pages: map[string]http.HandlerFunc{}, teas: map[string]string{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		h := s.pages[r.URL.Path]
		s.mu.Unlock()
		if r.URL.Path == "/feed.xml" {
			w.Header().Set("Content-Type", "application/rss+xml")
			io.WriteString(w, s.feed())
			return
		}
		if h == nil {
			http.NotFound(w, r)
			return
		}
		h(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// add serves h at path and lists it in the feed with teaser.
func (s *pageSite) add(path, teaser string, h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pages[path] = h
	s.items = append(s.items, path)
	s.teas[path] = teaser
}

func (s *pageSite) feed() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Teasers</title><link>` + s.srv.URL + `/</link>`)
	for i, p := range s.items {
		fmt.Fprintf(&b, "<item><title>Story %d</title><link>%s%s</link><guid>%s%s</guid><pubDate>Mon, 03 Mar 2025 10:%02d:00 GMT</pubDate><description>%s</description></item>",
			i, s.srv.URL, p, s.srv.URL, p, i%60, html.EscapeString("<p>"+s.teas[p]+"</p>"))
	}
	b.WriteString("</channel></rss>")
	return b.String()
}

func (s *pageSite) hit(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func htmlPage(page []byte, ct string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", ct)
		w.Write(page)
	}
}

// fullTextPass adds the site's feed as a source, runs a pass and waits
// for its pages, retries included; it returns the items by link path.
func fullTextPass(t *testing.T, st storage.Store, f *Fetcher, site *pageSite) map[string]storage.Item {
	t.Helper()
	src := getOrAdd(t, st, site.srv.URL+"/feed.xml")
	pass(t, f, PassOptions{URLs: []string{src.URL}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := f.WaitPages(ctx); err != nil {
		t.Fatalf("pages not done: %v", err)
	}
	out := map[string]storage.Item{}
	err := st.Items(storage.Query{SourceIDs: []uint64{src.ID}}, func(it storage.Item) bool {
		out[strings.TrimPrefix(it.Link, site.srv.URL)] = it
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func getOrAdd(t *testing.T, st storage.Store, u string) storage.Source {
	if s, err := st.SourceByURL(u); err == nil {
		return s
	}
	return addSource(t, st, u)
}

func fullTextFetcher(st storage.Store, rule FullTextRule, mod func(*Options)) *Fetcher {
	return newTestFetcher(st, nil, func(o *Options) {
		o.FullText.Default = rule
		o.FullText.Backoff = time.Millisecond
		o.FullText.Retries = 2
		if mod != nil {
			mod(o)
		}
	})
}

// TestFullTextAlways: every item's page is fetched once; the story
// replaces the teaser in place (same item, updated moves), and the next
// fetch of the same feed neither fetches the pages again nor undoes it.
func TestFullTextAlways(t *testing.T) {
	arts := loadTestArticles(t, 3)
	site := newPageSite(t)
	for i, a := range arts {
		site.add(fmt.Sprintf("/a/%d", i), a.teaser, htmlPage(a.page, "text/html"))
	}
	st := openStore(t, nil)
	f := fullTextFetcher(st, FullTextRule{Mode: FullTextAlways}, nil)
	items := fullTextPass(t, st, f, site)
	if len(items) != len(arts) {
		t.Fatalf("%d items stored, want %d", len(items), len(arts))
	}
	for p, it := range items {
		ft := it.FullText
		if ft == nil || !ft.Fetched || ft.Extractor != fulltext.ByReadability || ft.Words < 50 {
			t.Errorf("%s: full text %+v", p, ft)
			continue
		}
		if n := len(fulltext.Words(fulltext.HTMLText(it.Content))); n != ft.Words {
			t.Errorf("%s: %d words stored, %d recorded", p, n, ft.Words)
		}
		if it.Updated.IsZero() || !it.Updated.After(it.Published) {
			t.Errorf("%s: updated %v does not move past published %v", p, it.Updated, it.Published)
		}
		if site.hit(p) != 1 {
			t.Errorf("%s fetched %d times", p, site.hit(p))
		}
	}
	withImage := 0
	for _, it := range items {
		if it.Image != "" {
			withImage++
		}
	}
	if withImage == 0 {
		t.Error("no item took the page's lead image")
	}
	again := fullTextPass(t, st, f, site)
	for p, it := range again {
		if it.ID != items[p].ID || it.Content != items[p].Content {
			t.Errorf("%s: second fetch changed the item", p)
		}
		if site.hit(p) != 1 {
			t.Errorf("%s fetched %d times after the second pass", p, site.hit(p))
		}
	}
	if n := site.hit("/robots.txt"); n != 1 {
		t.Errorf("robots.txt fetched %d times, want 1 (cached)", n)
	}
}

// countingTransport counts the requests other than the feed's.
type countingTransport struct {
	mu    sync.Mutex
	feed  string
	other []string
	next  http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.String() != c.feed {
		c.mu.Lock()
		c.other = append(c.other, r.URL.String())
		c.mu.Unlock()
		return nil, fmt.Errorf("no network in tests")
	}
	return c.next.RoundTrip(r)
}

// TestFullTextAuto: a teaser feed's pages are fetched; full-text
// captures cause no page request at all.
func TestFullTextAuto(t *testing.T) {
	arts := loadTestArticles(t, 2)
	site := newPageSite(t)
	for i, a := range arts {
		site.add(fmt.Sprintf("/a/%d", i), a.teaser, htmlPage(a.page, "text/html"))
	}
	st := openStore(t, nil)
	f := fullTextFetcher(st, FullTextRule{Mode: FullTextAuto}, nil)
	for p, it := range fullTextPass(t, st, f, site) {
		if it.FullText == nil || !it.FullText.Fetched {
			t.Errorf("%s: teaser not upgraded: %+v", p, it.FullText)
		}
	}

	for _, capture := range []string{"content-encoded.rss", "customfields.rss", "many-links.rss", "feedburner.atom"} {
		body, err := os.ReadFile(filepath.Join(realworldDir, capture))
		if err != nil {
			t.Skipf("capture: %v", err)
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(body) }))
		ct := &countingTransport{feed: srv.URL + "/feed", next: http.DefaultTransport}
		st := openStore(t, nil)
		f := fullTextFetcher(st, FullTextRule{Mode: FullTextAuto}, func(o *Options) { o.Transport = ct })
		src := addSource(t, st, srv.URL+"/feed")
		if r := onlyResult(t, pass(t, f, PassOptions{URLs: []string{src.URL}})); r.Err != "" || r.Added == 0 {
			t.Fatalf("%s: %+v", capture, r)
		}
		if err := f.WaitPages(context.Background()); err != nil {
			t.Fatal(err)
		}
		if len(ct.other) > 0 {
			t.Errorf("%s: full-text feed caused %d page requests: %v", capture, len(ct.other), ct.other[:min(3, len(ct.other))])
		}
		srv.Close()
	}
}

// TestFullTextSelector: content_selector wins over readability.
func TestFullTextSelector(t *testing.T) {
	site := newPageSite(t)
	story := strings.Repeat("The council voted on the bridge repairs today after a long debate. ", 10)
	page := `<html><head><title>x</title></head><body><nav>Home News Sport</nav>
<div class="story-body"><p>` + story + `</p><p><img src="img/bridge.jpg"> Second paragraph of the story.</p></div>
<div class="comments"><p>` + strings.Repeat("A very long comment that readability might like a lot more than the story. ", 30) + `</p></div></body></html>`
	site.add("/a/sel", "The council voted on the bridge repairs today", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/news/2025/bridge.html", http.StatusMovedPermanently)
	})
	site.pages["/news/2025/bridge.html"] = htmlPage([]byte(page), "text/html; charset=utf-8")
	sel, err := fulltext.CompileSelector(".story-body")
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t, nil)
	f := fullTextFetcher(st, FullTextRule{Mode: FullTextAlways, Selector: sel}, nil)
	it := fullTextPass(t, st, f, site)["/a/sel"]
	if it.FullText == nil || it.FullText.Extractor != fulltext.BySelector || it.FullText.Selector != ".story-body" {
		t.Fatalf("full text %+v", it.FullText)
	}
	if strings.Contains(it.Content, "long comment") || !strings.Contains(it.Content, "Second paragraph") {
		t.Errorf("content = %.300q", it.Content)
	}
	if !strings.Contains(it.Content, site.srv.URL+"/news/2025/img/bridge.jpg") {
		t.Errorf("relative image not resolved against the page's final URL: %.300q", it.Content)
	}
	if it.FullText.URL != site.srv.URL+"/news/2025/bridge.html" {
		t.Errorf("full text URL %s, want the final URL", it.FullText.URL)
	}
}

// TestFullTextFailures: the teaser stays with the reason; failures that
// may pass are retried, the others not.
func TestFullTextFailures(t *testing.T) {
	arts := loadTestArticles(t, 1)
	site := newPageSite(t)
	site.pages["/robots.txt"] = func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "User-agent: *\nDisallow: /private/\n")
	}
	teaser := "A teaser of a few words that stays."
	site.add("/private/a", teaser, htmlPage(arts[0].page, "text/html"))
	site.add("/gone", teaser, nil) // 404
	site.add("/broken", teaser, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) })
	site.add("/slow", teaser, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
	})
	site.add("/doc.pdf", teaser, htmlPage([]byte("%PDF-1.4 ..."), "application/pdf"))
	site.add("/huge", teaser, htmlPage(bytes.Repeat([]byte("<p>words words words</p>"), 20000), "text/html"))
	site.add("/private-redirect", teaser, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://10.1.2.3/story", http.StatusFound)
	})
	st := openStore(t, nil)
	exempt := netip.MustParseAddrPort(site.srv.Listener.Addr().String())
	f := fullTextFetcher(st, FullTextRule{Mode: FullTextAlways}, func(o *Options) {
		o.Timeout = 300 * time.Millisecond
		o.MaxBody = 256 << 10
		o.AllowPrivate = false
		o.guardExempt = exempt
	})
	items := fullTextPass(t, st, f, site)
	tests := []struct {
		path, reason string
		requests     int
	}{
		{"/private/a", "robots.txt disallows it", 0},
		{"/gone", "HTTP 404", 3},
		{"/broken", "HTTP 500", 3},
		{"/slow", "timeout", 3},
		{"/doc.pdf", "not HTML (application/pdf)", 1},
		{"/huge", "body exceeds", 1},
		{"/private-redirect", "refused", 1},
	}
	for _, tt := range tests {
		it := items[tt.path]
		ft := it.FullText
		if ft == nil || ft.Fetched || !strings.Contains(ft.Reason, tt.reason) {
			t.Errorf("%s: full text %+v, want reason %q", tt.path, ft, tt.reason)
			continue
		}
		if !strings.Contains(it.Summary, "stays") || !it.Updated.IsZero() {
			t.Errorf("%s: teaser not kept as it was: %q, updated %v", tt.path, it.Summary, it.Updated)
		}
		if got := site.hit(tt.path); got != tt.requests {
			t.Errorf("%s: %d requests, want %d", tt.path, got, tt.requests)
		}
		if tt.requests == 3 && ft.Attempts != 3 {
			t.Errorf("%s: %d attempts recorded", tt.path, ft.Attempts)
		}
	}
}

// TestFullTextMetaCharset: a windows-1251 page that says so only in its
// <meta charset> is decoded from it.
func TestFullTextMetaCharset(t *testing.T) {
	text := strings.Repeat("Городской совет проголосовал за ремонт моста после долгих обсуждений. ", 12)
	page := `<html><head><meta charset="windows-1251"><title>Мост</title></head><body><article><p>` + text + `</p><p>` + text + `</p></article></body></html>`
	enc, err := charmap.Windows1251.NewEncoder().String(page)
	if err != nil {
		t.Fatal(err)
	}
	site := newPageSite(t)
	site.add("/ru", "Городской совет проголосовал за ремонт моста", htmlPage([]byte(enc), "text/html"))
	st := openStore(t, nil)
	f := fullTextFetcher(st, FullTextRule{Mode: FullTextAlways}, nil)
	it := fullTextPass(t, st, f, site)["/ru"]
	if it.FullText == nil || !it.FullText.Fetched || !strings.Contains(it.Content, "Городской совет проголосовал") {
		t.Errorf("full text %+v, content %.200q", it.FullText, it.Content)
	}
}

// TestPagesDoNotStarveFeeds: while the pages of a source with many new
// items are slow, the feed workers go on to the other sources.
func TestPagesDoNotStarveFeeds(t *testing.T) {
	var sites []*pageSite
	for h := range 2 {
		s := &pageSite{hits: map[string]int{}, pages: map[string]http.HandlerFunc{}, teas: map[string]string{}}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.31.1.%d:0", h+1))
		if err != nil {
			t.Skipf("loopback address: %v", err)
		}
		s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/feed.xml" {
				io.WriteString(w, s.feed())
				return
			}
			s.mu.Lock()
			h := s.pages[r.URL.Path]
			s.mu.Unlock()
			if h == nil {
				http.NotFound(w, r)
				return
			}
			h(w, r)
		}))
		s.srv.Listener = ln
		s.srv.Start()
		t.Cleanup(s.srv.Close)
		sites = append(sites, s)
	}
	slow := func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(200 * time.Millisecond)
		http.NotFound(w, nil)
	}
	for i := range 20 {
		sites[0].add(fmt.Sprintf("/a/%d", i), "teaser", slow)
	}
	sites[1].add("/b", "teaser", slow)
	st := openStore(t, nil)
	f := fullTextFetcher(st, FullTextRule{Mode: FullTextAlways}, func(o *Options) { o.Workers = 1; o.FullText.Retries = -1 })
	addSource(t, st, sites[0].srv.URL+"/feed.xml")
	addSource(t, st, sites[1].srv.URL+"/feed.xml")
	start := time.Now()
	var mu sync.Mutex
	var feedsDone time.Duration
	_, err := f.Pass(context.Background(), PassOptions{All: true, OnResult: func(Result) {
		mu.Lock()
		feedsDone = time.Since(start)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	pagesDone := time.Since(start)
	if feedsDone > time.Second || pagesDone < 2*time.Second {
		t.Errorf("feeds done after %v, pages after %v: the feeds waited for the pages", feedsDone, pagesDone)
	}
}

// TestPagesStopWithTheStore: once the store is closed, the queued pages
// are dropped, not fetched.
func TestPagesStopWithTheStore(t *testing.T) {
	site := newPageSite(t)
	for i := range 10 {
		site.add(fmt.Sprintf("/a/%d", i), "teaser", func(w http.ResponseWriter, _ *http.Request) {
			time.Sleep(50 * time.Millisecond)
			http.NotFound(w, nil)
		})
	}
	st := openStore(t, nil)
	f := fullTextFetcher(st, FullTextRule{Mode: FullTextAlways}, func(o *Options) { o.FullText.Workers = 1 })
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		u, _ := url.Parse(fmt.Sprintf("%s/a/%d", site.srv.URL, i))
		f.pages.add(&pageJob{itemID: uint64(i + 1), page: u})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.WaitPages(ctx); err != nil {
		t.Fatalf("pages not dropped: %v", err)
	}
	n := 0
	for i := range 10 {
		n += site.hit(fmt.Sprintf("/a/%d", i))
	}
	if n > 2 {
		t.Errorf("%d pages fetched after the store closed", n)
	}
}

// TestPageQueueFullLogsOnce: items past a full page queue keep their
// teasers, and the full queue is one log line when it fills and one when
// it takes pages again, not a line per page left out.
func TestPageQueueFullLogsOnce(t *testing.T) {
	release := make(chan struct{})
	site := newPageSite(t)
	for i := range 12 {
		site.add(fmt.Sprintf("/q/%d", i), "A teaser of a few words.", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html><body><article><p>The story.</p></article></body></html>")
		})
	}
	var logs testlog.Buffer
	st := openStore(t, nil)
	f := fullTextFetcher(st, FullTextRule{Mode: FullTextAlways}, func(o *Options) {
		o.FullText.Queue = 2
		o.Logger = logs.Logger()
	})
	src := getOrAdd(t, st, site.srv.URL+"/feed.xml")
	done := make(chan struct{})
	go func() {
		defer close(done)
		pass(t, f, PassOptions{URLs: []string{src.URL}})
	}()
	deadline := time.Now().Add(30 * time.Second)
	for logs.Count("page queue full") == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	close(release)
	<-done
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := f.WaitPages(ctx); err != nil {
		t.Fatalf("pages not done: %v", err)
	}
	if n := logs.Count("page queue full"); n != 1 {
		t.Errorf("%d lines about the full queue, want 1, not one per page left out:\n%s", n, logs.String())
	}
	fetched := 0
	for i := range 12 {
		fetched += site.hit(fmt.Sprintf("/q/%d", i))
	}
	if fetched < 2 || fetched >= 12 {
		t.Errorf("%d pages fetched with a queue of 2, want some but not all", fetched)
	}
}
