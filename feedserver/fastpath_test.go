package feedserver

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// startFast serves s.FastHandler on a loopback port, as the daemon does.
func startFast(t testing.TB, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: s.FastHandler(), NoDefaultServerHeader: true, NoDefaultContentType: true,
		Logger: log.New(io.Discard, "", 0)}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown() })
	return ln.Addr().String()
}

// dialLoopback connects to addr, with 5 s to do everything on the
// connection.
func dialLoopback(t testing.TB, addr string) *net.TCPConn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	return conn.(*net.TCPConn)
}

// rawDo sends one request exactly as given and returns the response with
// its body read.
func rawDo(t testing.TB, addr, method, target string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	conn := dialLoopback(t, addr)
	defer conn.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: feeds.example.org\r\nConnection: close\r\n", method, target)
	for i := 0; i+1 < len(hdr); i += 2 {
		fmt.Fprintf(&b, "%s: %s\r\n", hdr[i], hdr[i+1])
	}
	b.WriteString("\r\n")
	io.WriteString(conn, b.String())
	req, _ := http.NewRequest(method, "http://x"+target, nil)
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: body: %v", method, target, err)
	}
	return resp, body
}

// TestFastPathSameAnswers: the daemon's fasthttp server (the hot path
// served natively, the rest through the adaptor) gives the answers of the
// net/http Handler: status, body, and every header but Date, for the feeds
// with and without validators and gzip, HEAD, other methods, other paths,
// and traversal attempts.
func TestFastPathSameAnswers(t *testing.T) {
	_, _, s := worldFixture(t, Channel{Name: "world", Title: "World news", Tags: []string{"world"}}, Channel{Name: "tech.daily"})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	std := ts.Listener.Addr().String()
	fast := startFast(t, s)

	resp, _ := rawDo(t, std, "GET", "/channels/world.rss")
	etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	gresp, _ := rawDo(t, std, "GET", "/channels/world.rss", "Accept-Encoding", "gzip")
	getag := gresp.Header.Get("ETag")
	lmt, _ := http.ParseTime(lm)
	before := lmt.Add(-time.Second).Format(http.TimeFormat)
	after := lmt.Add(time.Hour).Format(http.TimeFormat)

	type req struct {
		method, target string
		hdr            []string
	}
	reqs := []req{
		{"POST", "/channels/world.rss", nil},
		{"PUT", "/channels/world.json", nil},
		{"DELETE", "/", nil},
		{"OPTIONS", "/channels/world.atom", nil},
		{"GET", "/channels/world.rss?page=1", nil},
		{"GET", "/channels/world.rss?page=2", nil},
		{"GET", "/channels/world.rss?page=x", nil},
		{"GET", "/channels/%77orld.rss", nil},
		{"GET", "/channels/world", nil},
		{"HEAD", "/channels/world", nil},
		{"GET", "/channels/tech.daily.json", nil},
		{"GET", "/channels/nosuch.rss", nil},
		{"GET", "/", nil},
		{"GET", "/opml", nil},
		{"GET", "/healthz", nil},
		{"GET", "/api/sources", nil},
		{"GET", "/channels/../../etc/passwd", nil},
		{"GET", "/channels/..%2f..%2fetc%2fpasswd", nil},
		{"GET", "/channels/%2e%2e/%2e%2e/etc/passwd", nil},
		{"GET", "/channels/..\\..\\etc\\passwd", nil},
		{"GET", "/channels/world.rss/../../../etc/passwd", nil},
		{"GET", "/../../../../etc/passwd", nil},
		{"GET", "//etc/passwd", nil},
		{"GET", "/channels/world.rss%00.html", nil},
		{"GET", "/channels/../channels/world.rss", nil},
		{"GET", "//channels//world.rss", nil},
		{"GET", "/channels/./world.json", nil},
		{"GET", "/channels/world.html", nil},
		{"GET", "/channels/.rss", nil},
	}
	for _, format := range Formats {
		p := "/channels/world." + format
		reqs = append(reqs,
			req{"GET", p, nil},
			req{"HEAD", p, nil},
			req{"GET", p, []string{"Accept-Encoding", "gzip"}},
			req{"HEAD", p, []string{"Accept-Encoding", "gzip, deflate, br"}},
			req{"GET", p, []string{"Accept-Encoding", "gzip;q=0"}},
			req{"GET", p, []string{"Accept-Encoding", "*"}},
			req{"GET", p, []string{"If-None-Match", etag}},
			req{"HEAD", p, []string{"If-None-Match", etag}},
			req{"GET", p, []string{"If-None-Match", "W/" + etag}},
			req{"GET", p, []string{"If-None-Match", `"other", ` + etag}},
			req{"GET", p, []string{"If-None-Match", `"other"`, "If-None-Match", etag}},
			req{"GET", p, []string{"If-None-Match", "*"}},
			req{"GET", p, []string{"If-None-Match", `"other"`}},
			req{"GET", p, []string{"If-None-Match", `"other"`, "If-Modified-Since", lm}},
			req{"GET", p, []string{"If-None-Match", getag, "Accept-Encoding", "gzip"}},
			req{"GET", p, []string{"If-None-Match", getag}},
			req{"GET", p, []string{"If-Modified-Since", lm}},
			req{"GET", p, []string{"If-Modified-Since", after}},
			req{"GET", p, []string{"If-Modified-Since", before}},
			req{"GET", p, []string{"If-Modified-Since", "yesterday"}},
		)
	}
	for _, r := range reqs {
		name := fmt.Sprintf("%s %s %q", r.method, r.target, r.hdr)
		wantResp, wantBody := rawDo(t, std, r.method, r.target, r.hdr...)
		gotResp, gotBody := rawDo(t, fast, r.method, r.target, r.hdr...)
		if gotResp.StatusCode != wantResp.StatusCode {
			t.Errorf("%s: status %d, net/http %d", name, gotResp.StatusCode, wantResp.StatusCode)
			continue
		}
		if !bytes.Equal(gotBody, wantBody) && !strings.HasPrefix(r.target, "/healthz") {
			t.Errorf("%s: body %.80q, net/http %.80q", name, gotBody, wantBody)
		}
		for _, h := range []http.Header{wantResp.Header, gotResp.Header} {
			h.Del("Date")
			h.Del("Connection") // both close; fasthttp says so
		}
		keys := func(h http.Header) []string {
			k := slices.Collect(func(yield func(string) bool) {
				for k := range h {
					if !yield(k) {
						return
					}
				}
			})
			slices.Sort(k)
			return k
		}
		if g, w := keys(gotResp.Header), keys(wantResp.Header); !slices.Equal(g, w) {
			t.Errorf("%s: header names %q, net/http %q", name, g, w)
		}
		for k, w := range wantResp.Header {
			if g := gotResp.Header[k]; !slices.Equal(g, w) {
				t.Errorf("%s: %s %q, net/http %q", name, k, g, w)
			}
		}
	}
}

// TestFastPathServesNatively: the feeds themselves do not go through the
// adaptor (whose answers carry no sign of it, so this looks at the work
// done: no allocation for a cached 304).
func TestFastPathServesNatively(t *testing.T) {
	_, _, s := worldFixture(t, Channel{Name: "world", Tags: []string{"world"}})
	body, _ := s.Render("world", "rss")
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod("GET")
	ctx.Request.Header.SetRequestURI("/channels/world.rss")
	h := s.FastHandler()
	h(&ctx)
	etag := string(ctx.Response.Header.Peek("ETag"))
	if ctx.Response.StatusCode() != 200 || !bytes.Equal(ctx.Response.Body(), body) || etag == "" {
		t.Fatalf("200: %d, ETag %q, %d bytes", ctx.Response.StatusCode(), etag, len(ctx.Response.Body()))
	}
	ctx.Request.Header.Set("If-None-Match", etag)
	allocs := testing.AllocsPerRun(100, func() {
		ctx.Response.Reset()
		h(&ctx)
	})
	if ctx.Response.StatusCode() != 304 {
		t.Fatalf("304: %d", ctx.Response.StatusCode())
	}
	if allocs > 0 {
		t.Errorf("%.1f allocations per cached 304", allocs)
	}
}

// BenchmarkServeCachedFast304 is BenchmarkServeCached304 on the fast path.
func BenchmarkServeCachedFast304(b *testing.B) {
	_, _, s := worldFixture(b, Channel{Name: "world", Tags: []string{"world"}})
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod("GET")
	ctx.Request.Header.SetRequestURI("/channels/world.rss")
	h := s.FastHandler()
	h(&ctx)
	ctx.Request.Header.Set("If-None-Match", string(ctx.Response.Header.Peek("ETag")))
	b.ReportAllocs()
	for b.Loop() {
		ctx.Response.Reset()
		h(&ctx)
	}
	if ctx.Response.StatusCode() != 304 {
		b.Fatalf("status %d", ctx.Response.StatusCode())
	}
}
