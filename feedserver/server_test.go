package feedserver

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage/bolt"

	"github.com/mmcdole/gofeed"

	"github.com/feedmill/feedmill/internal/testclock"
	"github.com/feedmill/feedmill/storage"
)

// fixture is a real bbolt store in a temporary directory.
type fixture struct {
	t      testing.TB
	path   string
	clock  *testclock.Clock
	store  storage.Store
	closed bool
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{t: t, path: filepath.Join(t.TempDir(), "feedmill.db"), clock: testclock.New(t0)}
	f.open()
	return f
}

func (f *fixture) open() {
	f.t.Helper()
	st, err := bolt.Open(f.path, storage.Options{Now: f.clock.Now})
	if err != nil {
		f.t.Fatalf("open store: %v", err)
	}
	f.store, f.closed = st, false
	f.t.Cleanup(f.close)
}

func (f *fixture) close() {
	f.t.Helper()
	if f.closed {
		return
	}
	f.closed = true
	if err := f.store.Close(); err != nil {
		f.t.Errorf("close store: %v", err)
	}
}

func (f *fixture) reopen() {
	f.t.Helper()
	f.close()
	f.open()
}

// worldFixture is a fixture whose source a (tag "world") has one item,
// "First", and the server s of chans.
func worldFixture(t testing.TB, chans ...Channel) (f *fixture, a storage.Source, s *Server) {
	f = newFixture(t)
	a = f.source("https://a.example/feed", "world")
	f.items(a, storage.Item{Title: "First"})
	return f, a, f.server(chans...)
}

func (f *fixture) source(url string, tags ...string) storage.Source {
	f.t.Helper()
	src, err := f.store.UpsertSource(context.Background(), storage.Source{URL: url, Title: "Source " + url, Tags: tags, Origin: storage.OriginConfig})
	if err != nil {
		f.t.Fatalf("upsert source: %v", err)
	}
	return src
}

// items records a fetch of src carrying items; a missing GUID becomes the
// title and a missing link one under the source's host.
func (f *fixture) items(src storage.Source, items ...storage.Item) {
	f.t.Helper()
	for i := range items {
		if items[i].GUID == "" {
			items[i].GUID = items[i].Title
		}
		if items[i].Link == "" {
			items[i].Link = strings.TrimSuffix(src.URL, "/feed") + "/" + strings.ReplaceAll(strings.ToLower(items[i].Title), " ", "-")
		}
		if items[i].Published.IsZero() {
			items[i].Published = f.clock.Now().Add(-time.Hour)
		}
	}
	_, err := f.store.RecordFetch(context.Background(), storage.Fetch{
		SourceID: src.ID,
		State:    storage.FetchState{LastFetch: f.clock.Now(), LastSuccess: f.clock.Now(), LastStatus: 200},
		Items:    items,
	})
	if err != nil {
		f.t.Fatalf("record fetch: %v", err)
	}
}

func (f *fixture) server(chans ...Channel) *Server {
	f.t.Helper()
	s, err := New(f.store, Options{BaseURL: "https://feeds.example.org", Channels: chans, Version: "test", Now: f.clock.Now})
	if err != nil {
		f.t.Fatalf("New: %v", err)
	}
	return s
}

// titles renders a channel as JSON and returns its item titles.
func titles(t *testing.T, s *Server, channel string) []string {
	t.Helper()
	feed := parse(t, s, channel, "json")
	var out []string
	for _, it := range feed.Items {
		out = append(out, it.Title)
	}
	return out
}

func parse(t *testing.T, s *Server, channel, format string) *gofeed.Feed {
	t.Helper()
	body, err := s.Render(channel, format)
	if err != nil {
		t.Fatalf("Render(%s, %s): %v", channel, format, err)
	}
	feed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse %s.%s: %v\n%s", channel, format, err, body)
	}
	return feed
}

func TestSourceSelection(t *testing.T) {
	f := newFixture(t)
	a := f.source("https://a.example/feed", "world")
	b := f.source("https://b.example/feed", "tech")
	c := f.source("https://c.example/feed")
	f.items(a, storage.Item{Title: "A1", Published: t0.Add(-3 * time.Hour)})
	f.items(b, storage.Item{Title: "B1", Published: t0.Add(-2 * time.Hour)})
	f.items(c, storage.Item{Title: "C1", Published: t0.Add(-1 * time.Hour)})
	s := f.server(
		Channel{Name: "all"},
		Channel{Name: "tags", Tags: []string{"world", "tech"}},
		Channel{Name: "urls", Sources: []string{"https://c.example/feed"}},
		Channel{Name: "both", Tags: []string{"tech"}, Sources: []string{"https://c.example/feed"}},
		Channel{Name: "none", Tags: []string{"sport"}},
	)
	tests := []struct {
		channel string
		want    []string
	}{
		{"all", []string{"C1", "B1", "A1"}},
		{"tags", []string{"B1", "A1"}},
		{"urls", []string{"C1"}},
		{"both", []string{"C1", "B1"}},
		{"none", nil},
	}
	for _, tt := range tests {
		if got := titles(t, s, tt.channel); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.channel, got, tt.want)
		}
	}

	// A source added at run time joins the channels that select it.
	d := f.source("https://d.example/feed", "sport")
	f.items(d, storage.Item{Title: "D1", Published: t0.Add(-time.Minute)})
	if got := titles(t, s, "none"); !slices.Equal(got, []string{"D1"}) {
		t.Errorf("none after adding a sport source: %q", got)
	}
	if got := titles(t, s, "all"); !slices.Equal(got, []string{"D1", "C1", "B1", "A1"}) {
		t.Errorf("all after adding a source: %q", got)
	}
}

func TestChannelRules(t *testing.T) {
	f := newFixture(t)
	a := f.source("https://a.example/feed")
	b := f.source("https://b.example/feed")
	f.items(a,
		storage.Item{Title: "War in the north", Published: t0.Add(-1 * time.Hour)},
		storage.Item{Title: "New software released", Published: t0.Add(-2 * time.Hour)},
		storage.Item{Title: "Climate change summit", Summary: "<p>Leaders <b>meet</b></p>", Published: t0.Add(-3 * time.Hour)},
		storage.Item{Title: "Old news", Published: t0.Add(-50 * time.Hour)},
		storage.Item{Title: "Shared wire story", Link: "https://wire.example/story", Published: t0.Add(-4 * time.Hour)},
	)
	f.items(b, storage.Item{Title: "Shared wire story (B)", Link: "https://wire.example/story", Published: t0.Add(-5 * time.Hour)})
	s := f.server(
		Channel{Name: "war", Include: []string{"war"}},
		Channel{Name: "nowar", Exclude: []string{"war", `"climate change"`}},
		Channel{Name: "regex", Include: []string{"/^(new|old) /"}},
		Channel{Name: "meet", Include: []string{"meet"}},
		Channel{Name: "recent", MaxAge: 24 * time.Hour},
		Channel{Name: "two", Limit: 2},
		Channel{Name: "keep", Duplicates: "keep"},
		Channel{Name: "collapse"},
	)
	tests := []struct {
		channel string
		want    []string
	}{
		{"war", []string{"War in the north"}},
		// Collapsed, the earliest copy of the wire story (B) represents it.
		{"nowar", []string{"New software released", "Shared wire story (B)", "Old news"}},
		{"regex", []string{"New software released", "Old news"}},
		{"meet", []string{"Climate change summit"}},
		{"recent", []string{"War in the north", "New software released", "Climate change summit", "Shared wire story (B)"}},
		{"two", []string{"War in the north", "New software released"}},
		{"keep", []string{"War in the north", "New software released", "Climate change summit", "Shared wire story", "Shared wire story (B)", "Old news"}},
		{"collapse", []string{"War in the north", "New software released", "Climate change summit", "Shared wire story (B)", "Old news"}},
	}
	for _, tt := range tests {
		if got := titles(t, s, tt.channel); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.channel, got, tt.want)
		}
	}
}

// TestMaxAgeExpiry: the cached feed expires when its oldest item ages out.
func TestMaxAgeExpiry(t *testing.T) {
	f := newFixture(t)
	a := f.source("https://a.example/feed")
	f.items(a,
		storage.Item{Title: "Fresh", Published: t0.Add(-1 * time.Hour)},
		storage.Item{Title: "Aging", Published: t0.Add(-20 * time.Hour)},
	)
	s := f.server(Channel{Name: "day", MaxAge: 24 * time.Hour})
	if got := titles(t, s, "day"); len(got) != 2 {
		t.Fatalf("before: %q", got)
	}
	f.clock.Add(5 * time.Hour)
	if got := titles(t, s, "day"); !slices.Equal(got, []string{"Fresh"}) {
		t.Errorf("after the oldest aged out: %q", got)
	}
}

func TestStableAcrossRendersAndReopen(t *testing.T) {
	f := newFixture(t)
	a := f.source("https://a.example/feed", "world")
	f.items(a,
		storage.Item{Title: "One", Categories: []string{"x"}, Enclosures: []storage.Enclosure{{URL: "https://a.example/1.mp3", Type: "audio/mpeg", Length: 10}}},
		storage.Item{Title: "Two", Published: t0.Add(-2 * time.Hour)},
	)
	chans := []Channel{{Name: "world", Language: "de", Tags: []string{"world"}}}
	s := f.server(chans...)
	first := map[string][]byte{}
	for _, format := range Formats {
		body, err := s.Render("world", format)
		if err != nil {
			t.Fatal(err)
		}
		first[format] = body
		feed := parse(t, s, "world", format)
		if feed.Language != "de" {
			t.Errorf("%s: language %q", format, feed.Language)
		}
		if want := "https://feeds.example.org/channels/world." + format; feed.FeedLink != want {
			t.Errorf("%s: self link %q, want %q", format, feed.FeedLink, want)
		}
		if len(feed.Items) != 2 || feed.Items[0].Title != "One" || feed.Items[0].Link != "https://a.example/one" {
			t.Fatalf("%s: items %+v", format, feed.Items)
		}
		for _, it := range feed.Items {
			if !strings.HasPrefix(it.GUID, "urn:feedmill:channel:world:item:") {
				t.Errorf("%s: id %q", format, it.GUID)
			}
		}
	}
	f.reopen()
	s = f.server(chans...)
	for _, format := range Formats {
		body, err := s.Render("world", format)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(body, first[format]) {
			t.Errorf("%s differs after reopening the store:\n%s\n---\n%s", format, first[format], body)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	f := newFixture(t)
	s := f.server(Channel{Name: "w"})
	if _, err := s.Render("nope", "rss"); !errors.Is(err, ErrUnknownChannel) {
		t.Errorf("unknown channel: %v", err)
	}
	if _, err := s.Render("w", "xml"); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("unknown format: %v", err)
	}
	if _, err := s.Render("w", "html"); err != nil {
		t.Errorf("html preview: %v", err)
	}
}

// get performs a request without the transport's transparent gzip.
func get(t *testing.T, method, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "identity")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestHTTP(t *testing.T) {
	f, a, s := worldFixture(t, Channel{Name: "world", Title: "World news", Tags: []string{"world"}}, Channel{Name: "tech.daily"})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()

	types := map[string]string{
		"rss":  "application/rss+xml; charset=utf-8",
		"atom": "application/atom+xml; charset=utf-8",
		"json": "application/feed+json; charset=utf-8",
	}
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			url := ts.URL + "/channels/world." + format
			resp, body := get(t, "GET", url)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			want, _ := s.Render("world", format)
			if !bytes.Equal(body, want) {
				t.Error("served bytes differ from Render")
			}
			h := resp.Header
			if h.Get("Content-Type") != types[format] {
				t.Errorf("Content-Type %q", h.Get("Content-Type"))
			}
			etag, lm := h.Get("ETag"), h.Get("Last-Modified")
			if !strings.HasPrefix(etag, `"`) || lm == "" || h.Get("Vary") != "Accept-Encoding" || !strings.Contains(h.Get("Cache-Control"), "max-age") {
				t.Errorf("headers %v", h)
			}
			if h.Get("Content-Length") != fmt.Sprint(len(body)) {
				t.Errorf("Content-Length %q, body %d", h.Get("Content-Length"), len(body))
			}

			for _, inm := range []string{etag, `"other", ` + etag, "W/" + etag, "*"} {
				if resp, _ := get(t, "GET", url, "If-None-Match", inm); resp.StatusCode != 304 || resp.Header.Get("ETag") != etag {
					t.Errorf("If-None-Match %s: %d", inm, resp.StatusCode)
				}
			}
			if resp, _ := get(t, "GET", url, "If-None-Match", `"other"`, "If-Modified-Since", lm); resp.StatusCode != 200 {
				t.Errorf("non-matching If-None-Match with If-Modified-Since: %d", resp.StatusCode)
			}
			if resp, _ := get(t, "GET", url, "If-Modified-Since", lm); resp.StatusCode != 304 {
				t.Errorf("If-Modified-Since: %d", resp.StatusCode)
			}
			lmt, _ := http.ParseTime(lm)
			if resp, _ := get(t, "GET", url, "If-Modified-Since", lmt.Add(-time.Second).Format(http.TimeFormat)); resp.StatusCode != 200 {
				t.Errorf("If-Modified-Since before: %d", resp.StatusCode)
			}

			// HEAD: same headers, no body.
			hresp, hbody := get(t, "HEAD", url)
			if hresp.StatusCode != 200 || len(hbody) != 0 {
				t.Errorf("HEAD: %d with %d bytes", hresp.StatusCode, len(hbody))
			}
			for _, k := range []string{"Content-Type", "Content-Length", "ETag", "Last-Modified", "Cache-Control", "Vary"} {
				if hresp.Header.Get(k) != h.Get(k) {
					t.Errorf("HEAD %s = %q, GET %q", k, hresp.Header.Get(k), h.Get(k))
				}
			}

			// gzip, precompressed; its own strong ETag, which validates too.
			gresp, gbody := get(t, "GET", url, "Accept-Encoding", "gzip")
			if gresp.Header.Get("Content-Encoding") != "gzip" || gresp.Header.Get("Content-Length") != fmt.Sprint(len(gbody)) {
				t.Fatalf("gzip headers %v", gresp.Header)
			}
			zr, err := gzip.NewReader(bytes.NewReader(gbody))
			if err != nil {
				t.Fatal(err)
			}
			plain, _ := io.ReadAll(zr)
			if !bytes.Equal(plain, body) {
				t.Error("gunzipped body differs")
			}
			if resp, _ := get(t, "GET", url, "Accept-Encoding", "gzip", "If-None-Match", gresp.Header.Get("ETag")); resp.StatusCode != 304 {
				t.Errorf("gzip ETag revalidation: %d", resp.StatusCode)
			}
		})
	}

	// A new item: 200 with a new ETag.
	url := ts.URL + "/channels/world.rss"
	resp, _ := get(t, "GET", url)
	old := resp.Header.Get("ETag")
	f.clock.Add(time.Minute)
	f.items(a, storage.Item{Title: "Second", Published: f.clock.Now()})
	resp, body := get(t, "GET", url, "If-None-Match", old)
	if resp.StatusCode != 200 || resp.Header.Get("ETag") == old || !bytes.Contains(body, []byte("Second")) {
		t.Errorf("after a new item: %d, ETag %s (old %s)", resp.StatusCode, resp.Header.Get("ETag"), old)
	}

	statuses := []struct {
		method, path string
		want         int
	}{
		{"GET", "/channels/nope.rss", 404},
		{"GET", "/channels/world.xml", 404},
		{"GET", "/channels/world.html", 404},
		{"GET", "/channels/nope", 404},
		{"GET", "/channels/", 404},
		{"GET", "/elsewhere", 404},
		{"GET", "/channels/world", 200},
		{"GET", "/channels/tech.daily", 200},
		{"GET", "/channels/tech.daily.atom", 200},
		{"GET", "/healthz", 200},
		{"GET", "/opml", 200},
		{"POST", "/channels/world.rss", 405},
		{"PUT", "/", 405},
	}
	for _, tt := range statuses {
		resp, _ := get(t, tt.method, ts.URL+tt.path)
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
		}
		if tt.want == 405 && resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s %s: Allow %q", tt.method, tt.path, resp.Header.Get("Allow"))
		}
	}

	// The index: autodiscovery for every channel and format, CSP.
	resp, body = get(t, "GET", ts.URL+"/")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("index: %d %v", resp.StatusCode, resp.Header)
	}
	idx, _ := s.Index()
	if !bytes.Equal(idx, body) {
		t.Error("served index differs from Index()")
	}
	for _, ch := range []string{"world", "tech.daily"} {
		for format, typ := range map[string]string{"rss": "application/rss+xml", "atom": "application/atom+xml", "json": "application/feed+json"} {
			want := fmt.Sprintf(`<link rel="alternate" type="%s"`, typ)
			href := fmt.Sprintf(`href="https://feeds.example.org/channels/%s.%s">`, ch, format)
			found := false
			for _, line := range strings.Split(string(body), "\n") {
				if strings.Contains(line, want) && strings.Contains(line, href) {
					found = true
				}
			}
			if !found {
				t.Errorf("index lacks autodiscovery of %s.%s", ch, format)
			}
		}
	}

	// The preview lists the items with their links.
	_, body = get(t, "GET", ts.URL+"/channels/world")
	for _, want := range []string{"<title>World news</title>", `href="https://a.example/first"`, "Second", "Source https://a.example/feed", `href="world.rss"`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("preview lacks %s", want)
		}
	}

	// The transport's own gzip handling sees the same bytes.
	r2, err := http.Get(ts.URL + "/channels/world.json")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r2.Body)
	r2.Body.Close()
	want, _ := s.Render("world", "json")
	if !r2.Uncompressed || !bytes.Equal(got, want) {
		t.Errorf("transparent gzip: uncompressed=%v, equal=%v", r2.Uncompressed, bytes.Equal(got, want))
	}
}

// TestHealthz: /healthz and feedmill_healthy follow Options.Health, with
// its reason in the 503; without Health the server is healthy.
func TestHealthz(t *testing.T) {
	f := newFixture(t)
	var mu sync.Mutex
	var fault error
	var logged strings.Builder
	s, err := New(f.store, Options{Now: f.clock.Now, Logger: slog.New(slog.NewTextHandler(&logged, nil)),
		Health: func() error {
			mu.Lock()
			defer mu.Unlock()
			if fault != nil {
				return fault
			}
			return f.store.Ping()
		}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	check := func(status int, body, gauge string) {
		t.Helper()
		resp, got := get(t, "GET", ts.URL+"/healthz")
		if resp.StatusCode != status || !strings.Contains(string(got), body) {
			t.Errorf("healthz: %d %q, want %d %q", resp.StatusCode, got, status, body)
		}
		if _, m := get(t, "GET", ts.URL+"/metrics"); !strings.Contains(string(m), "\nfeedmill_healthy "+gauge+"\n") {
			t.Errorf("metrics lack feedmill_healthy %s", gauge)
		}
	}
	check(200, "ok", "1")
	mu.Lock()
	fault = errors.New("store: no space left on device")
	mu.Unlock()
	check(503, "no space left on device", "0")
	check(503, "no space left on device", "0")
	mu.Lock()
	fault = nil
	mu.Unlock()
	check(200, "ok", "1")
	if n := strings.Count(logged.String(), "unhealthy"); n != 1 {
		t.Errorf("unhealthy logged %d times, want once per change:\n%s", n, logged.String())
	}
	if !strings.Contains(logged.String(), "healthy again") {
		t.Errorf("recovery not logged:\n%s", logged.String())
	}
	f.close()
	if resp, _ := get(t, "GET", ts.URL+"/healthz"); resp.StatusCode != 503 {
		t.Errorf("healthz on a closed store: %d", resp.StatusCode)
	}

	plain := newFixture(t).server()
	ts2 := httptest.NewServer(plain.Handler())
	defer ts2.Close()
	if resp, _ := get(t, "GET", ts2.URL+"/healthz"); resp.StatusCode != 200 {
		t.Errorf("healthz without Health: %d, want 200", resp.StatusCode)
	}
}

func TestCacheBuildsOnce(t *testing.T) {
	f := newFixture(t)
	a := f.source("https://a.example/feed", "world")
	b := f.source("https://b.example/feed", "tech")
	f.items(a, storage.Item{Title: "A"})
	s := f.server(Channel{Name: "world", Tags: []string{"world"}, MaxAge: 48 * time.Hour})
	h := s.Handler()
	serve := func() {
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", "/channels/world.rss", nil))
				if rec.Code != 200 {
					t.Errorf("status %d", rec.Code)
				}
			}()
		}
		wg.Wait()
	}
	serve()
	serve()
	if n := s.cache.builds.Load(); n != 1 {
		t.Errorf("%d builds for an unchanged channel, want 1", n)
	}
	// A change to a source the channel does not show leaves it alone...
	f.items(b, storage.Item{Title: "B"})
	serve()
	if n := s.cache.builds.Load(); n != 1 {
		t.Errorf("%d builds after a change elsewhere, want 1", n)
	}
	// ... a change to its own source rebuilds it once.
	f.items(a, storage.Item{Title: "A2"})
	serve()
	serve()
	if n := s.cache.builds.Load(); n != 2 {
		t.Errorf("%d builds after a change, want 2", n)
	}
}

func BenchmarkServeCached(b *testing.B) {
	f := newFixture(b)
	a := f.source("https://a.example/feed", "world")
	var items []storage.Item
	for i := range 50 {
		items = append(items, storage.Item{Title: fmt.Sprintf("Item %d", i), Summary: strings.Repeat("text ", 50), Published: t0.Add(-time.Duration(i) * time.Minute)})
	}
	f.items(a, items...)
	s := f.server(Channel{Name: "world"})
	h := s.Handler()
	req := httptest.NewRequest("GET", "/channels/world.rss", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// TestAdminAPIWiring: /api/ is 404 without an admin token; with one the
// admin API answers there, and its rate limit leaves the public paths
// alone.
func TestAdminAPIWiring(t *testing.T) {
	f := newFixture(t)
	off := httptest.NewServer(f.server(Channel{Name: "all"}).Handler())
	defer off.Close()
	for _, m := range []string{"GET", "POST", "DELETE"} {
		req, _ := http.NewRequest(m, off.URL+"/api/sources", nil)
		req.Header.Set("Authorization", "Bearer anything")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s /api/sources without admin_token: %d, want 404", m, resp.StatusCode)
		}
	}
	s, err := New(f.store, Options{Channels: []Channel{{Name: "all"}}, Now: f.clock.Now, AdminToken: "s3cret", AdminRate: 0.001, AdminBurst: 2})
	if err != nil {
		t.Fatal(err)
	}
	on := httptest.NewServer(s.Handler())
	defer on.Close()
	var codes []int
	for range 3 {
		resp, _ := get(t, "GET", on.URL+"/api/sources", "Authorization", "Bearer s3cret")
		codes = append(codes, resp.StatusCode)
	}
	if !slices.Equal(codes, []int{200, 200, 429}) {
		t.Errorf("admin API codes %v, want [200 200 429]", codes)
	}
	if resp, _ := get(t, "GET", on.URL+"/healthz"); resp.StatusCode != http.StatusOK {
		t.Errorf("healthz after the admin limit: %d", resp.StatusCode)
	}
}
