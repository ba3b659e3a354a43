package fetcher

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/feedmill/feedmill/fetcher/schedule"
	"github.com/feedmill/feedmill/storage"
)

func TestConditionalGET(t *testing.T) {
	const etag = `"v1"`
	const lastMod = "Mon, 03 Mar 2025 12:00:00 GMT"
	var requests, conditional atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.Header.Get("User-Agent") != DefaultUserAgent {
			t.Errorf("User-Agent %q", r.Header.Get("User-Agent"))
		}
		if !strings.Contains(r.Header.Get("Accept"), "application/rss+xml") {
			t.Errorf("Accept %q", r.Header.Get("Accept"))
		}
		if r.Header.Get("If-None-Match") == etag && r.Header.Get("If-Modified-Since") == lastMod {
			conditional.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lastMod)
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, sampleRSS)
	}))
	defer srv.Close()

	clock := newClock()
	st := openStore(t, clock)
	src := addSource(t, st, srv.URL+"/feed")
	// sampleRSS's items are from 2025: a dormant feed whose adaptive
	// interval is max_interval; at 1h the ttl (60) decides.
	f := newTestFetcher(st, clock, func(o *Options) { o.MaxInterval = time.Hour })

	r := onlyResult(t, pass(t, f, PassOptions{}))
	if r.Err != "" || r.Status != 200 || r.Added != 2 {
		t.Fatalf("first pass: %+v", r)
	}
	s := getSource(t, st, src.URL)
	if s.State.ETag != etag || s.State.LastModified != lastMod || s.State.FeedTitle != "Sample" || s.State.TTL != time.Hour {
		t.Errorf("state after 200: %+v", s.State)
	}
	want := clock.Now().Add(schedule.Jitter(src.URL, time.Hour))
	if ttl := clock.Now().Add(time.Hour); want.Before(ttl) {
		want = ttl // never before the ttl
	}
	if !s.State.NextDue.Equal(want) || s.State.Interval != time.Hour {
		t.Errorf("NextDue %v / %v, want %v / 1h (ttl 60)", s.State.NextDue, s.State.Interval, want)
	}

	// Not due yet: nothing fetched.
	if rep := pass(t, f, PassOptions{}); len(rep.Results) != 0 {
		t.Errorf("not due, yet fetched: %+v", rep.Results)
	}
	clock.Add(2 * time.Hour)
	r = onlyResult(t, pass(t, f, PassOptions{}))
	if r.Err != "" || r.Status != 304 || !r.NotModified || r.Added != 0 {
		t.Fatalf("second pass: %+v", r)
	}
	if conditional.Load() != 1 || requests.Load() != 2 {
		t.Errorf("requests %d, conditional %d", requests.Load(), conditional.Load())
	}
	s = getSource(t, st, src.URL)
	if s.State.ETag != etag || s.State.LastModified != lastMod || s.State.LastStatus != 304 || !s.State.LastSuccess.Equal(clock.Now()) {
		t.Errorf("state after 304: %+v", s.State)
	}
	if n := countItems(t, st, s.ID); n != 2 {
		t.Errorf("%d items stored, want 2", n)
	}
}

func TestCompressedBodies(t *testing.T) {
	plain := []byte(sampleRSS)
	var gz, br bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain)
	zw.Close()
	bw := brotli.NewWriter(&br)
	bw.Write(plain)
	bw.Close()
	gzFile, err := os.ReadFile(filepath.Join(edgeDir, "compressed.xml"))
	if err != nil {
		t.Skip(err)
	}
	tests := []struct {
		name, encoding string
		body           []byte
		minItems       int
	}{
		{"gzip", "gzip", gz.Bytes(), 2},
		{"brotli", "br", br.Bytes(), 2},
		{"gzip file without Content-Encoding", "", gz.Bytes(), 2},
		{"edge/compressed.xml as gzip", "gzip", gzFile, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") || !strings.Contains(r.Header.Get("Accept-Encoding"), "br") {
					t.Errorf("Accept-Encoding %q", r.Header.Get("Accept-Encoding"))
				}
				if tt.encoding != "" {
					w.Header().Set("Content-Encoding", tt.encoding)
				}
				w.Write(tt.body)
			}))
			defer srv.Close()
			st := openStore(t, nil)
			addSource(t, st, srv.URL)
			r := onlyResult(t, pass(t, newTestFetcher(st, nil, nil), PassOptions{}))
			if r.Err != "" || r.Added < tt.minItems {
				t.Errorf("result %+v", r)
			}
		})
	}
}

func TestBodyLimitAfterDecompression(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(sampleRSS[:len(sampleRSS)-len("</channel></rss>")]))
	zw.Write(bytes.Repeat([]byte("<!-- padding padding padding -->\n"), 100000))
	zw.Write([]byte("</channel></rss>"))
	zw.Close()
	if gz.Len() > 100000 {
		t.Fatalf("compressed body is %d bytes, too large for the test", gz.Len())
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gz.Bytes())
	}))
	defer srv.Close()
	st := openStore(t, nil)
	src := addSource(t, st, srv.URL)
	f := newTestFetcher(st, nil, func(o *Options) { o.MaxBody = 1 << 20 })
	r := onlyResult(t, pass(t, f, PassOptions{}))
	if r.Err != "body exceeds 1048576 bytes" {
		t.Fatalf("result %+v", r)
	}
	s := getSource(t, st, src.URL)
	if s.State.LastError != r.Err || s.State.ErrorStreak != 1 || s.State.LastStatus != 200 || countItems(t, st, s.ID) != 0 {
		t.Errorf("state %+v", s.State)
	}
}

func TestRedirects(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, sampleRSS) })
	mux.Handle("/moved", http.RedirectHandler("/feed", http.StatusMovedPermanently))
	mux.Handle("/moved308", http.RedirectHandler("/moved", http.StatusPermanentRedirect))
	mux.Handle("/temp", http.RedirectHandler("/feed", http.StatusFound))
	mux.Handle("/temp307", http.RedirectHandler("/feed", http.StatusTemporaryRedirect))
	mux.Handle("/mixed", http.RedirectHandler("/temp", http.StatusMovedPermanently))
	mux.Handle("/loop", http.RedirectHandler("/loop2", http.StatusFound))
	mux.Handle("/loop2", http.RedirectHandler("/loop", http.StatusFound))
	mux.Handle("/gone-after-move", http.RedirectHandler("/nothing", http.StatusMovedPermanently))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tests := []struct {
		path, wantURL, wantErr string
	}{
		{"/moved", "/feed", ""},
		{"/moved308", "/feed", ""},
		{"/temp", "/temp", ""},
		{"/temp307", "/temp307", ""},
		{"/mixed", "/mixed", ""},
		{"/loop", "/loop", "redirect loop"},
		{"/gone-after-move", "/gone-after-move", "HTTP 404"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			st := openStore(t, nil)
			src := addSource(t, st, srv.URL+tt.path)
			r := onlyResult(t, pass(t, newTestFetcher(st, nil, nil), PassOptions{}))
			if r.Err != tt.wantErr {
				t.Errorf("err %q, want %q", r.Err, tt.wantErr)
			}
			s, err := st.Source(src.ID)
			if err != nil {
				t.Fatal(err)
			}
			if s.URL != srv.URL+tt.wantURL {
				t.Errorf("source URL %s, want %s", s.URL, srv.URL+tt.wantURL)
			}
		})
	}
}

func TestGoneRetires(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Error(w, "gone", http.StatusGone)
	}))
	defer srv.Close()
	st := openStore(t, nil)
	src := addSource(t, st, srv.URL)
	f := newTestFetcher(st, nil, nil)
	r := onlyResult(t, pass(t, f, PassOptions{}))
	if r.Status != 410 || r.Err == "" {
		t.Errorf("result %+v", r)
	}
	if s := getSource(t, st, src.URL); !s.State.Retired || s.State.LastStatus != 410 {
		t.Errorf("state %+v", s.State)
	}
	if rep := pass(t, f, PassOptions{All: true}); len(rep.Results) != 0 {
		t.Errorf("retired source fetched with All: %+v", rep.Results)
	}
	rep := pass(t, f, PassOptions{URLs: []string{src.URL}})
	if r := onlyResult(t, rep); !strings.HasPrefix(r.Err, "skipped: retired") || rep.Failed != 1 {
		t.Errorf("explicit URL: %+v", rep)
	}
	if requests.Load() != 1 {
		t.Errorf("%d requests, want 1", requests.Load())
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			var requests atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				w.Header().Set("Retry-After", "7200")
				w.WriteHeader(status)
			}))
			defer srv.Close()
			clock := newClock()
			st := openStore(t, clock)
			src := addSource(t, st, srv.URL)
			f := newTestFetcher(st, clock, nil)
			r := onlyResult(t, pass(t, f, PassOptions{}))
			if r.Err != fmt.Sprintf("HTTP %d", status) {
				t.Errorf("result %+v", r)
			}
			s := getSource(t, st, src.URL)
			if !s.State.RetryUntil.Equal(clock.Now().Add(2*time.Hour)) || s.State.ErrorStreak != 1 || s.State.NextDue.Before(s.State.RetryUntil) {
				t.Errorf("state %+v", s.State)
			}
			clock.Add(time.Hour)
			if rep := pass(t, f, PassOptions{All: true}); len(rep.Results) != 0 {
				t.Errorf("fetched inside the Retry-After window: %+v", rep.Results)
			}
			if requests.Load() != 1 {
				t.Errorf("%d requests", requests.Load())
			}
			clock.Add(2 * time.Hour)
			if rep := pass(t, f, PassOptions{All: true}); len(rep.Results) != 1 || requests.Load() != 2 {
				t.Errorf("not fetched after the window: %+v", rep.Results)
			}
		})
	}
}

func TestErrorsBackOff(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "oops", http.StatusInternalServerError)
	}))
	defer srv.Close()
	clock := newClock()
	st := openStore(t, clock)
	src := addSource(t, st, srv.URL)
	f := newTestFetcher(st, clock, nil)
	for streak := 1; streak <= 3; streak++ {
		r := onlyResult(t, pass(t, f, PassOptions{All: true}))
		s := getSource(t, st, src.URL)
		want := clock.Now().Add(schedule.Jitter(src.URL, schedule.Backoff(streak, 30*time.Minute)))
		if r.Err != "HTTP 500" || s.State.ErrorStreak != streak || s.State.LastError != "HTTP 500" || !s.State.NextDue.Equal(want) || !s.State.LastFetch.Equal(clock.Now()) {
			t.Errorf("streak %d: %+v / %+v", streak, r, s.State)
		}
		clock.Add(time.Minute)
	}
}

func TestHTMLPageWithFeedLink(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html><head><title>Blog</title>
<link rel="alternate" type="application/atom+xml" href="/feeds/atom.xml"></head><body>hi</body></html>`)
	})
	mux.HandleFunc("/feeds/atom.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/atom+xml")
		fmt.Fprint(w, `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom blog</title>
<link href="http://example.org/"/><id>urn:x</id><updated>2025-03-01T00:00:00Z</updated>
<entry><title>E1</title><id>urn:e1</id><link href="/e1"/><updated>2025-03-01T00:00:00Z</updated></entry></feed>`)
	})
	mux.HandleFunc("/nofeed", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<html><head><title>x</title></head><body></body></html>`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	st := openStore(t, nil)
	src := addSource(t, st, srv.URL+"/blog")
	bad := addSource(t, st, srv.URL+"/nofeed")
	rep := pass(t, newTestFetcher(st, nil, nil), PassOptions{})
	if rep.Failed != 1 || len(rep.Results) != 2 {
		t.Fatalf("report %+v", rep)
	}
	s, _ := st.Source(src.ID)
	if s.URL != srv.URL+"/feeds/atom.xml" || s.State.FeedTitle != "Atom blog" || countItems(t, st, s.ID) != 1 {
		t.Errorf("source %+v", s)
	}
	b, _ := st.Source(bad.ID)
	if b.State.LastError != "parse: not a feed (HTML page without a feed link)" || b.URL != bad.URL {
		t.Errorf("no-feed page: %+v", b.State)
	}
}

func TestPerHostLimit(t *testing.T) {
	var inFlight, peak, total atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		total.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(80 * time.Millisecond)
		fmt.Fprint(w, sampleRSS)
	}))
	defer srv.Close()
	st := openStore(t, nil)
	for i := range 8 {
		addSource(t, st, fmt.Sprintf("%s/feed/%d", srv.URL, i))
	}
	f := newTestFetcher(st, nil, func(o *Options) { o.Workers = 8; o.PerHost = 2 })
	rep := pass(t, f, PassOptions{})
	if len(rep.Results) != 8 || rep.Failed != 0 || total.Load() != 8 {
		t.Fatalf("report %+v", rep)
	}
	if p := peak.Load(); p != 2 {
		t.Errorf("peak concurrency per host %d, want 2", p)
	}
}

func TestTimeoutCoversBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.WriteHeader(200)
		fmt.Fprint(w, sampleRSS[:100])
		w.(http.Flusher).Flush()
		select {
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	st := openStore(t, nil)
	addSource(t, st, srv.URL)
	f := newTestFetcher(st, nil, func(o *Options) { o.Timeout = 300 * time.Millisecond })
	start := time.Now()
	r := onlyResult(t, pass(t, f, PassOptions{}))
	if r.Err != "timeout after 300ms" || time.Since(start) > 2*time.Second {
		t.Errorf("result %+v after %v", r, time.Since(start))
	}
}

func TestPrivateAddressRefused(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		fmt.Fprint(w, sampleRSS)
	}))
	defer srv.Close()
	st := openStore(t, nil)
	addSource(t, st, srv.URL)
	f := newTestFetcher(st, nil, func(o *Options) { o.AllowPrivate = false })
	r := onlyResult(t, pass(t, f, PassOptions{}))
	if !strings.Contains(r.Err, "refused loopback address 127.0.0.1") || requests.Load() != 0 {
		t.Errorf("result %+v", r)
	}
}

func TestUnknownAndExplicitURLs(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, sampleRSS) }))
	defer srv.Close()
	st := openStore(t, nil)
	a := addSource(t, st, srv.URL+"/a")
	addSource(t, st, srv.URL+"/b")
	var called atomic.Int32
	rep := pass(t, newTestFetcher(st, nil, nil), PassOptions{
		URLs:     []string{a.URL, "https://nowhere.example/feed"},
		OnResult: func(Result) { called.Add(1) },
	})
	if len(rep.Results) != 2 || rep.Failed != 1 || called.Load() != 2 {
		t.Fatalf("report %+v", rep)
	}
	for _, r := range rep.Results {
		if r.URL == a.URL && (r.Err != "" || r.Added != 2) || r.URL != a.URL && r.Err != "unknown source" {
			t.Errorf("result %+v", r)
		}
	}
}

func TestPassCanceled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(100 * time.Millisecond)
		fmt.Fprint(w, sampleRSS)
	}))
	defer srv.Close()
	st := openStore(t, nil)
	for i := range 10 {
		addSource(t, st, fmt.Sprintf("%s/%d", srv.URL, i))
	}
	f := newTestFetcher(st, nil, func(o *Options) { o.Workers = 2; o.PerHost = 2 })
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	rep, err := f.Pass(ctx, PassOptions{})
	if err == nil || len(rep.Results) == 0 || len(rep.Results) >= 10 {
		t.Fatalf("err %v, %d results", err, len(rep.Results))
	}
	for _, r := range rep.Results {
		if r.Err != "" {
			t.Errorf("in-flight fetch not completed: %+v", r)
		}
		if s := getSource(t, st, r.URL); s.State.LastSuccess.IsZero() {
			t.Errorf("in-flight fetch not recorded: %+v", s.State)
		}
	}
}

// TestAllTestdataFeeds serves every shared real-world and edge feed and
// runs one pass over them: nothing may panic, and the real-world ones must
// parse.
func TestAllTestdataFeeds(t *testing.T) {
	var files []string
	for _, dir := range []string{realworldDir, edgeDir} {
		m, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, p := range m {
			if b := filepath.Base(p); b != "LICENSE" && b != "SOURCE" {
				files = append(files, p)
			}
		}
	}
	if len(files) == 0 {
		t.Skip("no shared testdata")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join("../../shared/testdata/feeds", filepath.FromSlash(strings.TrimPrefix(r.URL.Path, "/"))))
	}))
	defer srv.Close()
	st := openStore(t, nil)
	for _, p := range files {
		rel, _ := filepath.Rel("../../shared/testdata/feeds", p)
		addSource(t, st, srv.URL+"/"+filepath.ToSlash(rel))
	}
	rep := pass(t, newTestFetcher(st, nil, func(o *Options) { o.PerHost = 4 }), PassOptions{})
	if len(rep.Results) != len(files) {
		t.Fatalf("%d results for %d files", len(rep.Results), len(files))
	}
	items := 0
	for _, r := range rep.Results {
		items += r.Added
		if r.Err != "" {
			t.Logf("%s: %s", r.URL, r.Err)
			// unrecognized.rss is an HTML "Document Moved" page.
			if strings.Contains(r.URL, "/realworld/") && !strings.HasSuffix(r.URL, "/unrecognized.rss") {
				t.Errorf("real-world feed failed: %s: %s", r.URL, r.Err)
			}
		}
	}
	t.Logf("%d feeds, %d failed, %d items added", len(rep.Results), rep.Failed, items)
}

func TestCharsetFromHTTPHeader(t *testing.T) {
	// "Zürich – café" in windows-1252, the prolog silent about it.
	body := []byte("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Z\xfcrich \x96 caf\xe9</title>" +
		"<item><title>Z\xfcrich \x96 caf\xe9</title><guid>g1</guid></item></channel></rss>")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=windows-1252")
		w.Write(body)
	}))
	defer srv.Close()
	st := openStore(t, nil)
	src := addSource(t, st, srv.URL)
	if r := onlyResult(t, pass(t, newTestFetcher(st, nil, nil), PassOptions{})); r.Err != "" || r.Added != 1 {
		t.Fatalf("result %+v", r)
	}
	s := getSource(t, st, src.URL)
	const want = "Zürich – café"
	if s.State.FeedTitle != want {
		t.Errorf("feed title %q, want %q", s.State.FeedTitle, want)
	}
	_ = st.Items(storage.Query{SourceIDs: []uint64{s.ID}}, func(it storage.Item) bool {
		if it.Title != want {
			t.Errorf("item title %q, want %q", it.Title, want)
		}
		return true
	})
}

// TestFetchDemoronize: a windows-1252 "smart quote" stored as U+0092 in a
// UTF-8 body served as windows-1252 comes out of the whole fetch (charset,
// parse, item cleaning) as the quote it meant.
func TestFetchDemoronize(t *testing.T) {
	raw, err := os.ReadFile("../../shared/testdata/feeds/feedparser/encoding/demoronize-1.xml")
	if err != nil {
		t.Skip(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml; charset=windows-1252")
		w.Write(raw)
	}))
	defer srv.Close()
	st := openStore(t, nil)
	src := addSource(t, st, srv.URL+"/feed")
	if r := onlyResult(t, pass(t, newTestFetcher(st, nil, nil), PassOptions{})); r.Err != "" {
		t.Fatalf("%+v", r)
	}
	var got []string
	if err := st.Items(storage.Query{SourceIDs: []uint64{src.ID}}, func(it storage.Item) bool {
		got = append(got, it.Summary+it.Content)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !strings.Contains(got[0], "don\u2019t") {
		t.Errorf("items %q, want one with %q", got, "don\u2019t")
	}
}
