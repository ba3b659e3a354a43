package feedserver

import (
	"bufio"
	"strconv"
	"sync"

	"bytes"
	"fmt"
	"github.com/andybalholm/brotli"
	"github.com/feedmill/feedmill/storage"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

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

// TestConditionalAnswers: the status, coding and validator of the feeds'
// answers for HEAD and GET with and without validators and codings.
func TestConditionalAnswers(t *testing.T) {
	_, _, s := worldFixture(t, Channel{Name: "world", Title: "World news", Tags: []string{"world"}})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	addr := ts.Listener.Addr().String()
	rend, err := s.get("world", "rss", 1)
	if err != nil {
		t.Fatal(err)
	}
	etag, gzTag, brTag := rend.codings[identity].etag, rend.codings[gzipped].etag, rend.codings[brotlied].etag
	lm := rend.hdrLastModified[0]
	before := rend.lastModified.Add(-time.Second).Format(http.TimeFormat)
	after := rend.lastModified.Add(time.Hour).Format(http.TimeFormat)
	for _, tt := range []struct {
		method   string
		hdr      []string
		status   int
		encoding string // Content-Encoding ("" = none)
		etag     string
	}{
		{"GET", nil, 200, "", etag},
		{"HEAD", nil, 200, "", etag},
		{"GET", []string{"Accept-Encoding", "gzip"}, 200, "gzip", gzTag},
		{"GET", []string{"Accept-Encoding", "gzip, deflate, br"}, 200, "br", brTag},
		{"HEAD", []string{"Accept-Encoding", "br;q=0.5, gzip"}, 200, "gzip", gzTag},
		{"GET", []string{"Accept-Encoding", "br;q=0"}, 200, "", etag},
		{"GET", []string{"Accept-Encoding", "gzip;q=0"}, 200, "", etag},
		{"GET", []string{"Accept-Encoding", "*"}, 200, "br", brTag},
		{"GET", []string{"Accept-Encoding", "identity"}, 200, "", etag},
		{"GET", []string{"If-None-Match", etag}, 304, "", etag},
		{"HEAD", []string{"If-None-Match", etag}, 304, "", etag},
		{"GET", []string{"If-None-Match", "W/" + etag}, 304, "", etag},
		{"GET", []string{"If-None-Match", `"other", ` + etag}, 304, "", etag},
		{"GET", []string{"If-None-Match", `"other"`, "If-None-Match", etag}, 304, "", etag},
		{"GET", []string{"If-None-Match", "*"}, 304, "", etag},
		{"GET", []string{"If-None-Match", `"other"`}, 200, "", etag},
		{"GET", []string{"If-None-Match", `"other"`, "If-Modified-Since", lm}, 200, "", etag},
		{"GET", []string{"If-None-Match", gzTag, "Accept-Encoding", "gzip"}, 304, "", gzTag},
		{"GET", []string{"If-None-Match", brTag, "Accept-Encoding", "br"}, 304, "", brTag},
		{"GET", []string{"If-None-Match", gzTag}, 304, "", etag},
		{"GET", []string{"If-Modified-Since", lm}, 304, "", etag},
		{"GET", []string{"If-Modified-Since", after}, 304, "", etag},
		{"GET", []string{"If-Modified-Since", before}, 200, "", etag},
		{"GET", []string{"If-Modified-Since", "yesterday"}, 200, "", etag},
	} {
		name := fmt.Sprintf("%s %q", tt.method, tt.hdr)
		resp, body := rawDo(t, addr, tt.method, "/channels/world.rss", tt.hdr...)
		if resp.StatusCode != tt.status || resp.Header.Get("Content-Encoding") != tt.encoding ||
			resp.Header.Get("ETag") != tt.etag || resp.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("%s: %d, Content-Encoding %q, ETag %q, Vary %q; want %d, %q, %q", name, resp.StatusCode,
				resp.Header.Get("Content-Encoding"), resp.Header.Get("ETag"), resp.Header.Get("Vary"), tt.status, tt.encoding, tt.etag)
			continue
		}
		want := rend.codings[identity].body
		switch tt.encoding {
		case "gzip":
			want = rend.codings[gzipped].body
		case "br":
			want = rend.codings[brotlied].body
		}
		if tt.status != 200 || tt.method == "HEAD" {
			want = nil
		}
		if !bytes.Equal(body, want) {
			t.Errorf("%s: %d body bytes, want %d", name, len(body), len(want))
		}
	}
}

// TestBrotliDecodes: the brotli body is the document.
func TestBrotliDecodes(t *testing.T) {
	_, _, s := worldFixture(t, Channel{Name: "world", Tags: []string{"world"}})
	rend, err := s.get("world", "atom", 1)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(brotli.NewReader(bytes.NewReader(rend.codings[brotlied].body)))
	if err != nil || !bytes.Equal(plain, rend.body()) {
		t.Fatalf("brotli body decodes to %d bytes (%v), want the %d of the document", len(plain), err, len(rend.body()))
	}
}

// TestPagedRequestsGetTheirOwnDocument: many concurrent requests for
// different pages and formats of one channel each get the document they
// asked for, before and after the pages are cached.
func TestPagedRequestsGetTheirOwnDocument(t *testing.T) {
	f := newFixture(t)
	a := f.source("https://a.example/feed", "world")
	var items []storage.Item
	for i := range 60 {
		items = append(items, storage.Item{Title: fmt.Sprintf("Item %d", i), Published: t0.Add(-time.Duration(i) * time.Minute)})
	}
	f.items(a, items...)
	s := f.server(Channel{Name: "alpha", Tags: []string{"world"}, Limit: 5})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	type target struct {
		format string
		page   int
	}
	var targets []target
	for _, format := range Formats {
		for page := 1; page <= 8; page++ {
			targets = append(targets, target{format, page})
		}
	}
	// What each document must say about itself: its own self link.
	self := func(tg target) string {
		u := "/channels/alpha." + tg.format
		if tg.page > 1 {
			u += "?page=" + strconv.Itoa(tg.page)
		}
		return u
	}
	client := ts.Client()
	var wg sync.WaitGroup
	for round := range 3 {
		for i := range 8 {
			wg.Go(func() {
				for j := range targets {
					tg := targets[(i*7+j+round)%len(targets)]
					resp, err := client.Get(ts.URL + self(tg))
					if err != nil {
						t.Error(err)
						return
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					ct := resp.Header.Get("Content-Type")
					if resp.StatusCode != 200 || ct != contentTypes[tg.format] {
						t.Errorf("%s: %d %q", self(tg), resp.StatusCode, ct)
						continue
					}
					first := fmt.Sprintf("Item %d<", (tg.page-1)*5)
					if tg.format == "json" {
						first = fmt.Sprintf(`"Item %d"`, (tg.page-1)*5)
					}
					if !bytes.Contains(body, []byte(first)) || !bytes.Contains(body, []byte(self(tg))) &&
						!bytes.Contains(body, []byte(strings.ReplaceAll(self(tg), "?", `\u003f`))) {
						t.Errorf("%s: got another document: %.200s", self(tg), body)
					}
				}
			})
		}
		wg.Wait()
	}
}

// TestCached304DoesNotAllocate: answering a cached feed's 304 (validator
// lists included) allocates nothing in the handler.
func TestCached304DoesNotAllocate(t *testing.T) {
	_, _, s := worldFixture(t, Channel{Name: "world", Tags: []string{"world"}})
	rend, err := s.get("world", "atom", 1)
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	req := httptest.NewRequest("GET", "/channels/world.atom", nil)
	req.Header.Set("Accept-Encoding", "gzip, deflate, br")
	req.Header.Set("If-None-Match", `"other", W/`+rend.codings[brotlied].etag)
	w := &headerOnly{h: http.Header{}}
	allocs := testing.AllocsPerRun(100, func() {
		clear(w.h)
		h.ServeHTTP(w, req)
	})
	if w.code != http.StatusNotModified {
		t.Fatalf("status %d, want 304", w.code)
	}
	if allocs > 0 {
		t.Errorf("%.1f allocations per cached 304", allocs)
	}
}
