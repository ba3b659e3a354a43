package fetcher

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/feedmill/feedmill/storage/bolt"

	"github.com/andybalholm/brotli"
	"golang.org/x/net/html"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"

	"github.com/feedmill/feedmill/fetcher/httpclient"
	"github.com/feedmill/feedmill/storage"
)

// fetchFrom serves h, runs one pass over it as the only source (mod
// adjusts the fetcher's options) and returns the store, the source and
// its result.
func fetchFrom(t *testing.T, h http.Handler, mod func(*Options)) (storage.Store, storage.Source, Result) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	st := openStore(t, nil)
	src := addSource(t, st, srv.URL)
	r := onlyResult(t, pass(t, newTestFetcher(st, nil, mod), PassOptions{}))
	return st, getSource(t, st, src.URL), r
}

// serveBody answers every request with body.
func serveBody(contentType string, body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.Write(body)
	})
}

// countingServer is a loopback server that must never be reached.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, sampleRSS)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// TestGuardRefusesLocalName: a host name that resolves to a loopback
// address is refused when the connection is dialed, after DNS, so a
// public-looking name pointed at 127.0.0.1 (DNS rebinding) gets nowhere.
func TestGuardRefusesLocalName(t *testing.T) {
	srv, hits := countingServer(t)
	u, _ := url.Parse(srv.URL)
	feedURL := "http://localhost:" + u.Port() + "/feed"
	st := openStore(t, nil)
	addSource(t, st, feedURL)
	f := newTestFetcher(st, nil, func(o *Options) { o.AllowPrivate = false })
	r := onlyResult(t, pass(t, f, PassOptions{}))
	if !strings.Contains(r.Err, "refused loopback address") || !strings.Contains(r.Err, "allow_private") {
		t.Errorf("result %+v", r)
	}
	if got := getSource(t, st, feedURL).State.LastError; got != r.Err {
		t.Errorf("recorded error %q, want %q", got, r.Err)
	}
	if hits.Load() != 0 {
		t.Errorf("guarded server reached %d times", hits.Load())
	}
}

// TestGuardRefusesRedirects: a "public" server (a loopback one the guard
// is told to treat as public) redirects to internal addresses; each hop
// is refused at dial time, nothing reaches the internal server, and the
// recorded error names the address and the reason. With allow_private the
// same redirect works, so the test can fail.
func TestGuardRefusesRedirects(t *testing.T) {
	// Fail closed: the redirect targets below must be refused before a
	// connection is attempted, or this test would send traffic to them.
	for _, a := range []string{"10.0.0.1", "169.254.169.254", "192.168.1.1", "100.64.0.1"} {
		if httpclient.CheckAddr(netip.MustParseAddr(a)) == nil {
			t.Fatalf("guard allows %s: not running the redirect tests", a)
		}
	}
	internal, hits := countingServer(t)
	iu, _ := url.Parse(internal.URL)
	targets := map[string]string{
		"/to-loopback": internal.URL + "/feed",
		"/to-ipv6":     "http://[::1]:" + iu.Port() + "/feed",
		"/to-private":  "http://10.0.0.1/feed",
		"/to-metadata": "http://169.254.169.254/latest/meta-data/",
		"/to-cgnat":    "http://100.64.0.1/feed",
		"/to-mapped":   "http://[::ffff:192.168.1.1]/feed",
	}
	public := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if to, ok := targets[r.URL.Path]; ok {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		fmt.Fprint(w, sampleRSS)
	}))
	defer public.Close()
	exempt := netip.MustParseAddrPort(public.Listener.Addr().String())

	tests := []struct{ path, want string }{
		{"/feed", ""},
		{"/to-loopback", "refused loopback address 127.0.0.1 (set allow_private to fetch it)"},
		{"/to-ipv6", "refused loopback address ::1 (set allow_private to fetch it)"},
		{"/to-private", "refused private address 10.0.0.1 (set allow_private to fetch it)"},
		{"/to-metadata", "refused link-local address 169.254.169.254 (set allow_private to fetch it)"},
		{"/to-cgnat", "refused shared (CGNAT) address 100.64.0.1 (set allow_private to fetch it)"},
		{"/to-mapped", "refused private address 192.168.1.1 (set allow_private to fetch it)"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			st := openStore(t, nil)
			src := addSource(t, st, public.URL+tt.path)
			f := newTestFetcher(st, nil, func(o *Options) { o.AllowPrivate = false; o.guardExempt = exempt })
			r := onlyResult(t, pass(t, f, PassOptions{}))
			if r.Err != tt.want {
				t.Errorf("err %q, want %q", r.Err, tt.want)
			}
			if s := getSource(t, st, src.URL); s.State.LastError != tt.want {
				t.Errorf("recorded %q", s.State.LastError)
			}
		})
	}
	if hits.Load() != 0 {
		t.Fatalf("internal server reached %d times", hits.Load())
	}
	// Control: with allow_private the same redirect reaches it.
	st := openStore(t, nil)
	addSource(t, st, public.URL+"/to-loopback")
	if r := onlyResult(t, pass(t, newTestFetcher(st, nil, nil), PassOptions{})); r.Err != "" || r.Added != 2 || hits.Load() != 1 {
		t.Errorf("allow_private: result %+v, %d hits", r, hits.Load())
	}
}

// zeroBomb streams n bytes of zeros compressed by the encoder that wrap
// makes, stopping when the client goes away. It never holds more than one
// chunk of the output.
func zeroBomb(n int64, encodingName string, wrap func(io.Writer) io.WriteCloser) (http.HandlerFunc, *atomic.Int64) {
	var sent atomic.Int64
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Header().Set("Content-Encoding", encodingName)
		cw := &countWriter{w: w, n: &sent}
		zw := wrap(cw)
		io.WriteString(zw, `<?xml version="1.0"?><rss version="2.0"><channel><title>bomb</title><description>`)
		zero := make([]byte, 1<<20)
		for written := int64(0); written < n; written += int64(len(zero)) {
			if _, err := zw.Write(zero); err != nil || r.Context().Err() != nil {
				return
			}
		}
		io.WriteString(zw, `</description></channel></rss>`)
		zw.Close()
	}, &sent
}

type countWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// bigBody streams n bytes of an XML comment, with or without a
// Content-Length.
func bigBody(n int64, announce bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		if announce {
			w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
		}
		chunk := bytes.Repeat([]byte("<!-- xxxxxxxxxxxxxxxxxxxxxxxxxx -->\n"), 1<<15)
		for written := int64(0); written < n; {
			p := chunk
			if rest := n - written; rest < int64(len(p)) {
				p = p[:rest]
			}
			m, err := w.Write(p)
			written += int64(m)
			if err != nil {
				return
			}
		}
	}
}

// memProbe measures the Go heap allocated, and the process's peak resident
// set, over a piece of work.
type memProbe struct {
	start runtime.MemStats
}

func newMemProbe() *memProbe {
	runtime.GC()
	p := &memProbe{}
	runtime.ReadMemStats(&p.start)
	// Reset the kernel's peak-RSS mark (Linux): VmHWM then covers only
	// what follows. Best effort: without it VmHWM is the lifetime peak.
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	return p
}

// allocated returns the bytes allocated on the Go heap since the probe.
func (p *memProbe) allocated() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc - p.start.TotalAlloc
}

// peakRSS returns VmHWM from /proc/self/status in bytes, 0 when unknown.
func peakRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// TestHostileBodiesBounded refuses a 60 MB body and 1 GB gzip and brotli
// bombs with the default 10 MiB limit, and checks that doing so allocates
// far less than the 150 MB budget (TotalAlloc is an upper bound of
// the heap growth; a limit counted before decompression would allocate the
// whole gigabyte). The precise figures are in BenchmarkRefuseBomb.
func TestHostileBodiesBounded(t *testing.T) {
	gzipBomb, gzSent := zeroBomb(1<<30, "gzip", func(w io.Writer) io.WriteCloser {
		zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
		return zw
	})
	brBomb, brSent := zeroBomb(1<<30, "br", func(w io.Writer) io.WriteCloser {
		return brotli.NewWriterLevel(w, 1)
	})
	tests := []struct {
		name    string
		handler http.HandlerFunc
		sent    *atomic.Int64
	}{
		{"60MB chunked", bigBody(60<<20, false), nil},
		{"60MB with Content-Length", bigBody(60<<20, true), nil},
		{"1GB gzip bomb", gzipBomb, gzSent},
		{"1GB brotli bomb", brBomb, brSent},
	}
	const budget = 150 << 20
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probe := newMemProbe()
			_, _, r := fetchFrom(t, tt.handler, func(o *Options) { o.Timeout = 20 * time.Second })
			alloc := probe.allocated()
			if r.Err != fmt.Sprintf("body exceeds %d bytes", DefaultMaxBody) {
				t.Errorf("result %+v", r)
			}
			if alloc > budget {
				t.Errorf("allocated %d MB refusing it, budget %d MB", alloc>>20, budget>>20)
			}
			if tt.sent != nil && tt.sent.Load() > 64<<20 {
				t.Errorf("read %d compressed MB of it", tt.sent.Load()>>20)
			}
			t.Logf("allocated %.1f MB; peak RSS %.1f MB", float64(alloc)/(1<<20), float64(peakRSS())/(1<<20))
		})
	}
}

// BenchmarkRefuseBomb reports the Go heap allocated and the process's
// peak RSS while refusing a streamed 1 GB gzip bomb:
//
//	go test -run '^$' -bench RefuseBomb -benchtime 3x ./fetcher/
func BenchmarkRefuseBomb(b *testing.B) {
	bomb, _ := zeroBomb(1<<30, "gzip", func(w io.Writer) io.WriteCloser {
		zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
		return zw
	})
	srv := httptest.NewServer(bomb)
	defer srv.Close()
	st, err := bolt.Open(b.TempDir()+"/feedmill.db", storage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := st.UpsertSource(b.Context(), storage.Source{URL: srv.URL, Origin: storage.OriginCLI}); err != nil {
		b.Fatal(err)
	}
	f := New(st, Options{AllowPrivate: true})
	probe := newMemProbe()
	for b.Loop() {
		rep, err := f.Pass(b.Context(), PassOptions{All: true})
		if err != nil || rep.Failed != 1 {
			b.Fatalf("pass: %v %+v", err, rep)
		}
	}
	b.ReportMetric(float64(probe.allocated())/float64(b.N)/(1<<20), "MB-alloc/op")
	b.ReportMetric(float64(peakRSS())/(1<<20), "MB-peak-RSS")
}

// TestStallMidBody: a server that sends the headers and then one byte
// every 50 ms (never idle long enough for a read timeout) is cut at the
// fetch's total deadline and the worker is free again.
func TestStallMidBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>`)
		for {
			if _, err := io.WriteString(w, "x"); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}))
	defer srv.Close()
	st := openStore(t, nil)
	addSource(t, st, srv.URL+"/a")
	addSource(t, st, srv.URL+"/b")
	f := newTestFetcher(st, nil, func(o *Options) { o.Timeout = 400 * time.Millisecond; o.Workers = 1 })
	start := time.Now()
	rep := pass(t, f, PassOptions{})
	took := time.Since(start)
	if len(rep.Results) != 2 || rep.Failed != 2 {
		t.Fatalf("report %+v", rep)
	}
	for _, r := range rep.Results {
		if r.Err != "timeout after 400ms" {
			t.Errorf("result %+v", r)
		}
	}
	// One worker, two sources: both cut at their deadline, one after the other.
	if took > 3*time.Second {
		t.Errorf("pass took %v", took)
	}
}

func TestRedirectLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/hop/")); err == nil && n > 0 {
			http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusFound)
			return
		}
		fmt.Fprint(w, sampleRSS)
	}))
	defer srv.Close()
	tests := []struct {
		hops int
		want string
	}{
		{1, ""},
		{httpclient.MaxRedirects - 1, ""},
		{httpclient.MaxRedirects, fmt.Sprintf("stopped after %d redirects", httpclient.MaxRedirects)},
		{50, fmt.Sprintf("stopped after %d redirects", httpclient.MaxRedirects)},
	}
	for _, tt := range tests {
		st := openStore(t, nil)
		addSource(t, st, fmt.Sprintf("%s/hop/%d", srv.URL, tt.hops))
		if r := onlyResult(t, pass(t, newTestFetcher(st, nil, nil), PassOptions{})); r.Err != tt.want {
			t.Errorf("%d hops: err %q, want %q", tt.hops, r.Err, tt.want)
		}
	}
}

// feedOf builds an RSS document with n items; item i has the given
// content.
func feedOf(n int, content func(i int) string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Many</title><link>https://example.org/</link>`)
	for i := range n {
		fmt.Fprintf(&b, "<item><title>Item %d</title><guid isPermaLink=\"false\">g%d</guid><description><![CDATA[%s]]></description></item>\n", i, i, content(i))
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

func TestItemLimits(t *testing.T) {
	long := strings.Repeat("<p>Ünïcödé text &amp; more</p>", 3<<20/30) // ~3 MiB
	tests := []struct {
		name      string
		body      string
		mod       func(*Options)
		wantItems int
	}{
		{"6000 items, default cap", feedOf(6000, func(int) string { return "x" }), nil, DefaultMaxItems},
		{"cap from options", feedOf(100, func(int) string { return "x" }), func(o *Options) { o.MaxItems = 10 }, 10},
		{"3 MiB item is truncated", feedOf(2, func(i int) string { return long }), nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, src, r := fetchFrom(t, serveBody("", []byte(tt.body)), tt.mod)
			if r.Err != "" || r.Added != tt.wantItems || countItems(t, st, src.ID) != tt.wantItems {
				t.Fatalf("result %+v, %d stored", r, countItems(t, st, src.ID))
			}
			seen := map[string]bool{}
			_ = st.Items(storage.Query{SourceIDs: []uint64{src.ID}}, func(it storage.Item) bool {
				seen[it.GUID] = true
				if len(it.Summary) > DefaultMaxItemBytes || len(it.Summary) < DefaultMaxItemBytes-64 && len(long) < len(it.Summary) {
					t.Errorf("%s: summary %d bytes", it.GUID, len(it.Summary))
				}
				if !utf8.ValidString(it.Summary) || strings.HasSuffix(it.Summary, "<") || strings.HasSuffix(it.Summary, "&amp") {
					t.Errorf("%s: summary cut badly: ...%q", it.GUID, it.Summary[max(0, len(it.Summary)-20):])
				}
				return true
			})
			// The first items in document order are the ones kept.
			for i := range tt.wantItems {
				if !seen[fmt.Sprintf("g%d", i)] {
					t.Errorf("g%d not kept", i)
					break
				}
			}
		})
	}
}

// TestBadBytesCleaned: control characters in a feed are dropped, and a
// feed that says UTF-8 but is not is read as windows-1252 (every byte
// means a character there), so the feed parses and the stored text is
// valid.
func TestBadBytesCleaned(t *testing.T) {
	body := "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>Bad\x01 \xff bytes</title>" +
		"<item><title>Ti\x00tle\x0b with \xc3\x28 junk\x1b</title><guid>g1</guid><description>a\x07b \xed\xa0\x80 c</description></item></channel></rss>"
	st, src, r := fetchFrom(t, serveBody("", []byte(body)), nil)
	if r.Err != "" || r.Added != 1 {
		t.Fatalf("result %+v", r)
	}
	if got := src.State.FeedTitle; got != "Bad \u00ff bytes" {
		t.Errorf("feed title %q", got)
	}
	_ = st.Items(storage.Query{SourceIDs: []uint64{src.ID}}, func(it storage.Item) bool {
		for _, s := range []string{it.Title, it.Summary} {
			if !utf8.ValidString(s) || strings.IndexFunc(s, httpclient.IsBadControl) >= 0 {
				t.Errorf("not cleaned: %q", s)
			}
		}
		if it.Title != "Title with \u00c3( junk" {
			t.Errorf("title %q", it.Title)
		}
		return true
	})
}

// TestUnicodeEncodingsWithBOM serves one feed in UTF-16 and UTF-32, both
// byte orders, with a BOM and (for XML with a prolog) without.
func TestUnicodeEncodingsWithBOM(t *testing.T) {
	const title = "Grüße – 東京 🚀"
	doc := `<?xml version="1.0" encoding="%s"?><rss version="2.0"><channel><title>` + title +
		`</title><item><title>` + title + `</title><guid>g1</guid></item></channel></rss>`
	tests := []struct {
		name, label string
		enc         encoding.Encoding
	}{
		{"UTF-8 BOM", "utf-8", unicode.UTF8BOM},
		{"UTF-16LE BOM", "utf-16", unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)},
		{"UTF-16BE BOM", "utf-16", unicode.UTF16(unicode.BigEndian, unicode.UseBOM)},
		{"UTF-32LE BOM", "utf-32", utf32.UTF32(utf32.LittleEndian, utf32.UseBOM)},
		{"UTF-32BE BOM", "utf-32", utf32.UTF32(utf32.BigEndian, utf32.UseBOM)},
		{"UTF-32LE no BOM", "utf-32", utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM)},
		{"UTF-32BE no BOM", "utf-32", utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := tt.enc.NewEncoder().Bytes([]byte(fmt.Sprintf(doc, tt.label)))
			if err != nil {
				t.Fatal(err)
			}
			_, src, r := fetchFrom(t, serveBody("application/rss+xml", body), nil)
			if r.Err != "" || r.Added != 1 {
				t.Fatalf("result %+v", r)
			}
			if got := src.State.FeedTitle; got != title {
				t.Errorf("feed title %q, want %q", got, title)
			}
		})
	}
}

// TestNoScriptReachesStorage: item bodies that try to get script into a
// reader's page, fetched over HTTP into a real store, come out of it with
// no script element, event handler, script URL or foreign iframe, in
// CDATA sections (lifted) and escaped text alike.
func TestNoScriptReachesStorage(t *testing.T) {
	vectors := []string{
		`<script>alert(1)</script>`,
		`<scr<script>ipt>alert(1)</scr</script>ipt>`,
		`<a href="jav&#x09;ascript:alert(1)">x</a>`,
		`<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>`,
		`<img src=x onerror=alert(1)>`,
		`<svg onload=alert(1)><a xlink:href="javascript:alert(1)">x</a></svg>`,
		`<iframe src="https://evil.example/"></iframe>`,
		`<iframe src="https://www.youtube.com/embed/x/../../watch"></iframe>`,
		`<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>`,
		`<xmp><img src=x onerror=alert(1)></xmp>`,
		`<p style="behavior:url(x.htc)" onclick="alert(1)">text</p>`,
		`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>`,
	}
	pad := strings.Repeat(" story text", 20) // long enough to be lifted
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>x</title><link>https://news.example/</link>`)
	for i, v := range vectors {
		fmt.Fprintf(&b, "<item><title>t%d</title><link>https://news.example/%d</link><description>%s</description><content:encoded><![CDATA[<p>%s</p>%s]]></content:encoded></item>",
			i, i, html.EscapeString(v+pad), pad, v)
	}
	b.WriteString("</channel></rss>")
	st, src, r := fetchFrom(t, serveBody("application/rss+xml", []byte(b.String())), nil)
	if r.Err != "" {
		t.Fatal(r.Err)
	}
	event := regexp.MustCompile(`<[^>]*\son[a-z]+\s*=`)
	n := 0
	err := st.Items(storage.Query{SourceIDs: []uint64{src.ID}}, func(it storage.Item) bool {
		n++
		for _, s := range []string{it.Summary, it.Content} {
			low := strings.ToLower(s)
			if strings.Contains(low, "<script") || strings.Contains(low, "javascript:") || strings.Contains(low, "data:") ||
				event.MatchString(low) || strings.Contains(low, "<iframe") || strings.Contains(low, "<style") || strings.Contains(low, "<svg") {
				t.Errorf("item %q stored with %q", it.Title, s)
			}
		}
		return true
	})
	if err != nil || n != len(vectors) {
		t.Fatalf("%d items stored of %d: %v", n, len(vectors), err)
	}
}

// TestUOLServedWithoutCharset: the UOL capture (windows-1252, no prolog)
// served with no charset, or with no Content-Type at all, is stored
// without a U+FFFD.
func TestUOLServedWithoutCharset(t *testing.T) {
	raw, err := os.ReadFile(realworldDir + "/uolNoticias.rss")
	if err != nil {
		t.Skip(err)
	}
	for _, ct := range []string{"application/rss+xml", "none"} {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Content-Type"] = nil // no sniffing either
			if ct != "none" {
				w.Header().Set("Content-Type", ct)
			}
			w.Write(raw)
		})
		st, src, r := fetchFrom(t, h, nil)
		if r.Err != "" || r.Added == 0 {
			t.Fatalf("%s: %+v", ct, r)
		}
		if src.State.FeedTitle != "UOL Noticias" {
			t.Errorf("%s: feed title %q", ct, src.State.FeedTitle)
		}
		found := false
		_ = st.Items(storage.Query{SourceIDs: []uint64{src.ID}}, func(it storage.Item) bool {
			if strings.ContainsRune(it.Title+it.Summary, utf8.RuneError) {
				t.Errorf("%s: U+FFFD in %q", ct, it.Title)
			}
			found = found || strings.Contains(it.Title, "simulações de 2º turno")
			return true
		})
		if !found {
			t.Errorf("%s: no item titled with the accents right", ct)
		}
	}
}
