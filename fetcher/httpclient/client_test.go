package httpclient

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func newTestClient(maxBody int64) *Client {
	return New(Options{
		Transport: NewTransport(TransportOptions{Timeout: 5 * time.Second, PerHost: 2, AllowPrivate: true}),
		Timeout:   5 * time.Second,
		MaxBody:   maxBody,
		UserAgent: "feedmill-test",
	})
}

// TestGet: headers sent, validators used and refreshed, redirects traced,
// gzip undone, bodies limited after decompression.
func TestGet(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(strings.Repeat("x", 5000)))
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/feed":
			if r.Header.Get("User-Agent") != "feedmill-test" || !strings.Contains(r.Header.Get("Accept"), "application/rss+xml") {
				http.Error(w, "bad headers", http.StatusBadRequest)
				return
			}
			if r.Header.Get("If-None-Match") == `"v1"` {
				w.Header().Set("ETag", `"v2"`)
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", `"v1"`)
			w.Header().Set("Last-Modified", "Mon, 03 Mar 2025 10:00:00 GMT")
			fmt.Fprint(w, "<rss/>")
		case "/moved":
			http.Redirect(w, r, "/feed", http.StatusMovedPermanently)
		case "/found":
			http.Redirect(w, r, "/moved", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop2", http.StatusFound)
		case "/loop2":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/gz":
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(gz.Bytes())
		}
	}))
	defer srv.Close()
	c := newTestClient(4096)
	ctx := t.Context()

	r, err := c.Get(ctx, srv.URL+"/feed", nil)
	if err != nil || r.Status != 200 || string(r.Body) != "<rss/>" || r.Permanent {
		t.Fatalf("first GET: %+v, %v", r, err)
	}
	v := ValidatorsOf(r.Header)
	r.Free()
	if v.ETag != `"v1"` || v.LastModified == "" {
		t.Fatalf("validators %+v", v)
	}
	r, err = c.Get(ctx, srv.URL+"/feed", &v)
	if err != nil || r.Status != http.StatusNotModified || r.Body != nil {
		t.Fatalf("conditional GET: %+v, %v", r, err)
	}
	if v2 := v.After304(r.Header); v2.ETag != `"v2"` || v2.LastModified != v.LastModified {
		t.Errorf("after 304: %+v", v2)
	}

	r, err = c.Get(ctx, srv.URL+"/moved", nil)
	if err != nil || !r.Permanent || r.FinalURL.Path != "/feed" {
		t.Errorf("301: %+v, %v", r, err)
	}
	r, err = c.Get(ctx, srv.URL+"/found", nil)
	if err != nil || r.Permanent || r.FinalURL.Path != "/feed" {
		t.Errorf("302 then 301: %+v, %v", r, err)
	}
	if _, err = c.Get(ctx, srv.URL+"/loop", nil); !errors.Is(err, ErrRedirectLoop) {
		t.Errorf("loop: %v", err)
	}
	var tooLarge *BodyTooLargeError
	if _, err = c.Get(ctx, srv.URL+"/gz", nil); !errors.As(err, &tooLarge) || tooLarge.Limit != 4096 {
		t.Errorf("5000 bytes gzipped, limit 4096: %v", err)
	}
	if r, err = newTestClient(8192).Get(ctx, srv.URL+"/gz", nil); err != nil || len(r.Body) != 5000 {
		t.Errorf("gzip: %v, %d bytes", err, len(r.Body))
	}
	if _, err = c.Get(ctx, "ftp://example.org/feed", nil); err == nil {
		t.Error("ftp URL fetched")
	}
}

// TestGetGuard: without AllowPrivate a loopback server is refused at dial
// time with an AddressError.
func TestGetGuard(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("request reached the loopback server")
	}))
	defer srv.Close()
	c := New(Options{Transport: NewTransport(TransportOptions{Timeout: time.Second}), Timeout: time.Second, MaxBody: 1 << 20})
	var ae *AddressError
	if _, err := c.Get(t.Context(), srv.URL, nil); !errors.As(err, &ae) || ae.Kind != "loopback" {
		t.Errorf("err %v, want a loopback AddressError", err)
	}
}
