package main

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage/bolt"

	"github.com/feedmill/feedmill/storage"
)

// TestHTTPServerLimits: the daemon's server has its timeouts and header
// limit set, and they work: a slowloris client that never finishes its
// headers is cut off, and a huge header gets 431.
func TestHTTPServerLimits(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return
		}
		io.WriteString(w, "ok")
	})
	srv := newHTTPServer(ok, slog.New(slog.DiscardHandler))
	if srv.ReadHeaderTimeout != 10*time.Second || srv.ReadTimeout < srv.ReadHeaderTimeout || srv.WriteTimeout == 0 ||
		srv.IdleTimeout == 0 || srv.MaxHeaderBytes != 64<<10 {
		t.Fatalf("server limits: header %v, read %v, write %v, idle %v, header bytes %d",
			srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout, srv.MaxHeaderBytes)
	}
	// The same server with short read timeouts, so the test is quick.
	srv.ReadHeaderTimeout = 300 * time.Millisecond
	srv.ReadTimeout = 900 * time.Millisecond
	addr := serveLoopback(t, srv)

	t.Run("slowloris", func(t *testing.T) {
		conn := dialRaw(t, addr)
		start := time.Now()
		io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n")
		closed := make(chan time.Duration, 1)
		go func() {
			io.Copy(io.Discard, conn) // until the server closes it
			closed <- time.Since(start)
		}()
		// Trickle a header line every 50 ms, never ending the headers.
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case took := <-closed:
				if took > 2*time.Second {
					t.Errorf("slowloris connection closed only after %v", took)
				}
				return
			case <-tick.C:
				fmt.Fprintf(conn, "X-Slow-%d: 1\r\n", i)
			}
		}
	})
	t.Run("huge header", func(t *testing.T) {
		conn := dialRaw(t, addr)
		fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n", strings.Repeat("a", 200<<10))
		if status := readStatus(t, conn); status != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("status %d, want 431", status)
		}
	})
	// A body gets the rest of the request's time after the headers: one
	// slower than the headers' limit but within the request's is read;
	// one that never comes is cut off.
	t.Run("slow body", func(t *testing.T) {
		conn := dialRaw(t, addr)
		io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n")
		time.Sleep(500 * time.Millisecond)
		io.WriteString(conn, "hi")
		if status := readStatus(t, conn); status != 200 {
			t.Errorf("status %d", status)
		}
	})
	t.Run("body never sent", func(t *testing.T) {
		start := time.Now()
		conn := dialRaw(t, addr)
		io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
		io.Copy(io.Discard, conn) // until the server closes it
		if took := time.Since(start); took > 2*time.Second || took < 800*time.Millisecond {
			t.Errorf("connection closed after %v, want ~900ms", took)
		}
	})
	t.Run("normal request", func(t *testing.T) {
		resp, err := http.Get("http://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("status %d", resp.StatusCode)
		}
	})
}

// serveLoopback runs srv on a loopback port until the test ends and
// returns its address.
func serveLoopback(t *testing.T, srv *http.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// dialRaw connects to addr for a request written by hand, closed when the
// test ends; reads and writes give up after 5 s.
func dialRaw(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	return conn
}

// readStatus reads one response from conn and returns its status.
func readStatus(t *testing.T, conn net.Conn) int {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestGracefulShutdownDrains: a request in flight when the daemon is told
// to stop completes; new connections are refused afterwards.
func TestGracefulShutdownDrains(t *testing.T) {
	up := startUpstream(t)
	d := launchDaemon(t, writeE2EConfig(t, up))
	real := *d.handler.Load()
	entered := make(chan struct{}, 1)
	var slow http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		time.Sleep(700 * time.Millisecond)
		real.ServeHTTP(w, r)
	})
	d.handler.Store(&slow)
	base := "http://" + d.Addr.String()

	type result struct {
		status int
		body   string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.Get(base + "/channels/everything.json?page=1")
		if err != nil {
			done <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- result{resp.StatusCode, string(b), err}
	}()
	<-entered
	stopped := make(chan error, 1)
	go func() { stopped <- d.stop() }()
	r := <-done
	if r.err != nil || r.status != 200 || !strings.Contains(r.body, `"version": "https://jsonfeed.org/version/1.1"`) {
		t.Errorf("in-flight request: %d %v %.100q", r.status, r.err, r.body)
	}
	if err := <-stopped; err != nil {
		t.Errorf("stop: %v", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("still serving after stop")
	}
}

// TestHTTPServerRecovers: a handler's panic is answered 500 and logged,
// and the daemon goes on serving.
func TestHTTPServerRecovers(t *testing.T) {
	var logged strings.Builder
	log := slog.New(slog.NewTextHandler(&logged, nil))
	d := &daemon{log: log}
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/boom" {
			panic("boom")
		}
		io.WriteString(w, "ok")
	})
	d.handler.Store(&h)
	srv := newHTTPServer(http.HandlerFunc(d.serveHTTP), log)
	base := "http://" + serveLoopback(t, srv)
	for _, tt := range []struct {
		path   string
		status int
	}{{"/boom", 500}, {"/", 200}, {"/boom", 500}, {"/", 200}} {
		resp, err := http.Get(base + tt.path)
		if err != nil {
			t.Fatalf("%s: %v", tt.path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d", tt.path, resp.StatusCode, tt.status)
		}
	}
	if !strings.Contains(logged.String(), "panic") {
		t.Errorf("panic not logged: %q", logged.String())
	}
}

// TestBareLFRequest: a request whose lines end in a bare LF, sent over
// TCP to the daemon, is answered 200 with the feed.
func TestBareLFRequest(t *testing.T) {
	up := startUpstream(t)
	d := launchDaemon(t, writeE2EConfig(t, up))
	for _, target := range []string{"/channels/everything.json", "/channels/everything.json?page=1", "/healthz"} {
		conn := dialRaw(t, d.Addr.String())
		io.WriteString(conn, "GET "+target+" HTTP/1.1\nHost: feeds.example.org\nConnection: close\n\n")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(body) == 0 {
			t.Errorf("%s with bare LFs: %d, %d body bytes", target, resp.StatusCode, len(body))
		}
	}
}

// TestPublisherHealthFollowsStore: the daemon's /healthz answers from the
// store: 200 while it answers, 503 with the reason once it does not.
func TestPublisherHealthFollowsStore(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "feedmill.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := defaultConfig()
	cfg.BaseURL = "http://127.0.0.1:8080"
	pub, err := newPublisher(cfg, st, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	health := func() (int, string) {
		rec := httptest.NewRecorder()
		pub.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		return rec.Code, rec.Body.String()
	}
	if code, body := health(); code != 200 {
		t.Fatalf("open store: %d %q", code, body)
	}
	st.Close()
	if code, body := health(); code != 503 || strings.TrimSpace(body) == "" {
		t.Fatalf("closed store: %d %q, want 503 with a reason", code, body)
	}
}
