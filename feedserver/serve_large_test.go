package feedserver

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"
)

// bigItems returns n items whose texts differ enough that the channel's
// bodies are large.
func bigItems(prefix string, n int) []storage.Item {
	var items []storage.Item
	for i := range n {
		var b strings.Builder
		for j := range 40 {
			fmt.Fprintf(&b, "%s word%d-%d %x ", prefix, i, j, uint32(i*7919+j*104729)*2654435761)
		}
		items = append(items, storage.Item{Title: fmt.Sprintf("%s %d", prefix, i), Summary: b.String(), Published: t0.Add(-time.Duration(i) * time.Minute)})
	}
	return items
}

func TestServeLargeConcurrently(t *testing.T) {
	f := newFixture(t)
	a := f.source("https://a.example/feed", "world")
	f.items(a, bigItems("first", 50)...)
	s := f.server(Channel{Name: "world"})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	url := srv.URL + "/channels/world.rss"

	want, err := s.Render("world", "rss")
	if err != nil {
		t.Fatal(err)
	}
	rend, err := s.get("world", "rss", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(rend.body()) < 64<<10 {
		t.Fatalf("body of %d bytes: the test wants a large one", len(rend.body()))
	}

	// Many requests at once: each must read the whole body from offset 0.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 10 {
				resp, body := get(t, "GET", url)
				if resp.StatusCode != 200 || !bytes.Equal(body, want) {
					t.Errorf("GET: %d, %d bytes, want 200 and the %d rendered bytes", resp.StatusCode, len(body), len(want))
					return
				}
				if cl := resp.Header.Get("Content-Length"); cl != fmt.Sprint(len(want)) {
					t.Errorf("Content-Length %q, want %d", cl, len(want))
				}
				if et := resp.Header.Get("ETag"); et != rend.etag {
					t.Errorf("ETag %q, want %q", et, rend.etag)
				}
			}
		})
	}
	wg.Wait()

	resp, body := get(t, "GET", url, "Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("ETag") != rend.codings[gzipped].etag {
		t.Fatalf("gzip: headers %v", resp.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := io.ReadAll(zr); err != nil || !bytes.Equal(plain, want) {
		t.Fatalf("gzip body does not decode to the rendition: %v", err)
	}

	resp, body = get(t, "HEAD", url)
	if resp.StatusCode != 200 || len(body) != 0 || resp.ContentLength != int64(len(want)) {
		t.Fatalf("HEAD: %d, %d body bytes, Content-Length %d", resp.StatusCode, len(body), resp.ContentLength)
	}
	resp, _ = get(t, "GET", url, "If-None-Match", rend.etag)
	if resp.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d, want 304", resp.StatusCode)
	}
	resp, _ = get(t, "GET", url, "If-Modified-Since", rend.lastModified.Format(http.TimeFormat))
	if resp.StatusCode != http.StatusNotModified {
		t.Fatalf("If-Modified-Since: %d, want 304", resp.StatusCode)
	}

	// A change replaces the rendition: the new body is served.
	f.items(a, bigItems("second", 5)...)
	resp, body = get(t, "GET", url)
	if resp.StatusCode != 200 || bytes.Equal(body, want) {
		t.Fatalf("after a change: %d, same body %v", resp.StatusCode, bytes.Equal(body, want))
	}
	if want2, _ := s.Render("world", "rss"); !bytes.Equal(body, want2) {
		t.Fatal("after a change: body differs from the rendition")
	}
}

func BenchmarkServeCached304(b *testing.B) {
	f := newFixture(b)
	a := f.source("https://a.example/feed", "world")
	f.items(a, bigItems("item", 50)...)
	s := f.server(Channel{Name: "world"})
	h := s.Handler()
	rend, err := s.get("world", "rss", 1)
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/channels/world.rss", nil)
	req.Header.Set("If-None-Match", rend.etag)
	w := &headerOnly{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, req)
		if w.code != 304 {
			b.Fatal(w.code)
		}
	}
}

// headerOnly is a ResponseWriter that keeps the status and headers, so
// that the benchmark counts the handler's allocations only.
type headerOnly struct {
	h    http.Header
	code int
}

func (w *headerOnly) Header() http.Header         { return w.h }
func (w *headerOnly) WriteHeader(code int)        { w.code = code }
func (w *headerOnly) Write(p []byte) (int, error) { return len(p), nil }
