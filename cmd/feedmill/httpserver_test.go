package main

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestHTTPServerLimits: the daemon's server has its timeouts and header
// limit set, and they work: a slowloris client that never finishes its
// headers is cut off, and a huge header gets 431.
func TestHTTPServerLimits(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	srv := newHTTPServer(ok, slog.New(slog.DiscardHandler))
	if srv.ReadHeaderTimeout != 10*time.Second || srv.ReadTimeout == 0 || srv.WriteTimeout == 0 ||
		srv.IdleTimeout == 0 || srv.MaxHeaderBytes != 64<<10 {
		t.Fatalf("server limits: %+v", srv)
	}
	// The same server with a short header timeout, so the test is quick.
	srv.ReadHeaderTimeout = 300 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	addr := ln.Addr().String()

	t.Run("slowloris", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n")
		closed := make(chan time.Duration, 1)
		go func() {
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
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
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n", strings.Repeat("a", 200<<10))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("status %d, want 431", resp.StatusCode)
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
		resp, err := http.Get(base + "/channels/everything.json")
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
