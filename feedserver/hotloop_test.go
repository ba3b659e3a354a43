package feedserver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// startHot serves s as the daemon does: a fasthttp server with the
// daemon's header settings behind a HotListener. It returns the address
// and both, for tests that stop them.
func startHot(t testing.TB, s *Server, tune func(*fasthttp.Server)) (string, *fasthttp.Server, *HotListener) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: s.FastHandler(), NoDefaultServerHeader: true, NoDefaultContentType: true,
		ReadTimeout: 10 * time.Second, IdleTimeout: time.Minute, WriteTimeout: time.Minute,
		Logger: log.New(io.Discard, "", 0)}
	if tune != nil {
		tune(srv)
	}
	hl := NewHotListener(ln, HotOptions{Current: func() *Server { return s }, Server: srv, Logger: s.log})
	go srv.Serve(hl)
	t.Cleanup(func() {
		srv.Shutdown()
		hl.Wait(nil)
	})
	return ln.Addr().String(), srv, hl
}

var dateLine = regexp.MustCompile(`(?m)^Date: [^\r\n]*\r$`)

// exchange sends raw on a new connection (in two writes a moment apart
// when 0 < split < len(raw)), closes its write side and returns all it
// reads until the server closes (Date values blanked).
func exchange(t testing.TB, addr string, raw []byte, split int) []byte {
	t.Helper()
	conn := dialLoopback(t, addr)
	defer conn.Close()
	if split > 0 && split < len(raw) {
		conn.Write(raw[:split])
		time.Sleep(5 * time.Millisecond)
		raw = raw[split:]
	}
	if _, err := conn.Write(raw); err != nil {
		t.Fatal(err)
	}
	conn.CloseWrite()
	got, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		got = append(got, "<timeout>"...)
	}
	return dateLine.ReplaceAll(got, []byte("Date: -\r"))
}

// compareAnswers compares two servers' answers to the requests in raw:
// response by response, status, header fields in any order (the net/http
// handlers' come from a map) and body; then any bytes after the last
// response that parses. It returns "" when they are the same.
func compareAnswers(raw, got, want []byte) string {
	var methods []string
	rr := bufio.NewReader(bytes.NewReader(raw))
	for {
		req, err := http.ReadRequest(rr)
		if err != nil {
			break
		}
		methods = append(methods, req.Method)
		io.Copy(io.Discard, req.Body)
	}
	gr, wr := bufio.NewReader(bytes.NewReader(got)), bufio.NewReader(bytes.NewReader(want))
	for i := 0; ; i++ {
		method := "GET"
		if i < len(methods) {
			method = methods[i]
		}
		g, gerr := canonicalResponse(gr, method)
		w, werr := canonicalResponse(wr, method)
		if g != w {
			return fmt.Sprintf("response %d:\nloop     %.400q\nfasthttp %.400q", i, g, w)
		}
		if gerr != nil || werr != nil {
			break
		}
	}
	grest, _ := io.ReadAll(gr)
	wrest, _ := io.ReadAll(wr)
	if !bytes.Equal(grest, wrest) {
		return fmt.Sprintf("after the responses:\nloop     %.300q\nfasthttp %.300q", grest, wrest)
	}
	return ""
}

// canonicalResponse reads one response to a request of method: its
// status, sorted header fields and body as one string.
func canonicalResponse(br *bufio.Reader, method string) (string, error) {
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	var fields []string
	for k, vs := range resp.Header {
		fields = append(fields, k+": "+strings.Join(vs, "\x00"))
	}
	slices.Sort(fields)
	return fmt.Sprintf("%s\n%s\n\n%s", resp.Status, strings.Join(fields, "\n"), body), err
}

// hotCases are requests with whether the loop answers their first one.
func hotCases(t testing.TB, s *Server) []struct {
	raw string
	hot bool
} {
	big, err := s.get("big", "rss", 1)
	if err != nil {
		t.Fatal(err)
	}
	etag, etagGz := big.etag, big.etagGzip
	lm := big.lastModified
	h := "Host: feeds.example.org\r\n"
	get := func(target string, hdr ...string) string {
		return "GET " + target + " HTTP/1.1\r\n" + h + strings.Join(hdr, "") + "\r\n"
	}
	return []struct {
		raw string
		hot bool
	}{
		{get("/channels/big.rss"), true},
		{get("/channels/big.atom"), true},
		{get("/channels/big.json"), true},
		{get("/channels/world.rss"), true}, // small: one write
		{"HEAD /channels/big.rss HTTP/1.1\r\n" + h + "\r\n", true},
		{get("/channels/big.rss", "Accept-Encoding: gzip, deflate\r\n"), true},
		{"HEAD /channels/big.rss HTTP/1.1\r\n" + h + "Accept-Encoding: gzip\r\n\r\n", true},
		{get("/channels/big.rss", "Accept-Encoding: gzip;q=0\r\n"), true},
		{get("/channels/big.rss", "If-None-Match: "+etag+"\r\n"), true},
		{get("/channels/big.rss", "If-None-Match: "+etagGz+"\r\n", "Accept-Encoding: gzip\r\n"), true},
		{get("/channels/big.rss", "If-None-Match: \"other\"\r\n"), true},
		{get("/channels/big.rss", "If-None-Match: \"other\"\r\n", "If-None-Match: W/"+etag+"\r\n"), true},
		{get("/channels/big.rss", "If-None-Match: *\r\n"), true},
		{get("/channels/big.rss", "If-Modified-Since: "+lm.Format(http.TimeFormat)+"\r\n"), true},
		{get("/channels/big.rss", "If-Modified-Since: "+lm.Add(-time.Hour).Format(http.TimeFormat)+"\r\n"), true},
		{get("/channels/big.rss", "If-Modified-Since: yesterday\r\n"), true},
		{get("/channels/big.rss", "If-None-Match: \"other\"\r\n", "If-Modified-Since: "+lm.Format(http.TimeFormat)+"\r\n"), true},
		{"GET /channels/big.rss HTTP/1.1\r\nhost: x\r\naccept-encoding: GZIP\r\nif-none-match:" + etagGz + "  \r\n\r\n", true},
		{get("/channels/big.rss", "Connection: Keep-Alive\r\n", "User-Agent: newsboat/2.30\r\n", "X-Empty:\r\n"), true},
		// Pipelined: answered in order, the third by fasthttp, the
		// fourth by fasthttp too (the connection is handed over).
		{get("/channels/big.rss", "If-None-Match: "+etag+"\r\n") + get("/channels/world.json") + get("/healthz") + get("/channels/world.rss"), true},
		{get("/channels/world.rss") + "GET /channels/world.rss HTTP/1.1\r\n" + h, true}, // then an incomplete one
		{get("/channels/big.rss", "Accept-Encoding:   \r\n"), true},
		{get("/channels/big.rss", "If-Modified-Since:\r\n", "If-Modified-Since: "+lm.Format(http.TimeFormat)+"\r\n"), true},
		{"GET /channels/big.rss HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n", true},
		// fasthttp's.
		{get("/channels/big.rss", "Accept-Encoding:\r\n", "Accept-Encoding: gzip\r\n"), false},
		{get("/channels/big.rss", "Trailer: Content-Length\r\n"), false},
		{get("/channels/big.rss", "Trailer: X-Checksum\r\n"), false},
		{"GET /channels/big.rss HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", false},
		{"GET /channels/big.rss HTTP/1.1\r\nHost: [abcd]\r\n\r\n", false},
		{"GET /channels/big.rss HTTP/1.1\r\nHost: [1:2]\r\n\r\n", false},
		{"GET /channels/big.rss HTTP/1.1\r\nHost: x:\r\n\r\n", false},
		{"GET /channels/big.rss HTTP/1.1\r\nHost: :80\r\n\r\n", false},
		{"GET /channels/big.rss HTTP/1.1\r\nHost:\r\n\r\n", false},
		{"GET /channels/big.rss HTTP/1.0\r\n\r\n", false},
		{"GET /channels/big.rss HTTP/1.0\r\n" + h + "\r\n", false},
		{"GET /channels/big.rss HTTP/1.1\r\n\r\n", false},
		{get("/channels/big.rss", "Host: second\r\n"), false},
		{get("/channels/big.rss", "Connection: close\r\n"), false},
		{get("/channels/big.rss", "Accept-Encoding: gzip\r\n", "Accept-Encoding: br\r\n"), false},
		{get("/channels/big.rss", "Content-Length: 0\r\n"), false},
		{get("/channels/big.rss", "Transfer-Encoding: chunked\r\n") + "0\r\n\r\n", false},
		{get("/channels/big.rss", "Expect: 100-continue\r\n"), false},
		{get("/channels/big.rss", "Upgrade: websocket\r\n"), false},
		{get("/channels/big.rss", "X-Folded: a\r\n", " b\r\n"), false},
		{get("/channels/big.rss", "Bad Name: a\r\n"), false},
		{get("/channels/big.rss", "X-Nul: a\x00b\r\n"), false},
		{get("/channels/big.rss", "X-Big: "+strings.Repeat("x", hotBufSize)+"\r\n"), false},
		{get("/channels/big.rss", strings.Repeat("If-None-Match: \"x\"\r\n", maxHotETags+1)), false},
		{"GET /channels/big.rss HTTP/1.1\n" + "Host: x\n\n", false},
		{"GET /channels/big.rss  HTTP/1.1\r\n" + h + "\r\n", false},
		{"GET http://feeds.example.org/channels/big.rss HTTP/1.1\r\n" + h + "\r\n", false},
		{get("/channels/big.rss?page=2"), false},
		{get("/channels/nosuch.rss"), false},
		{get("/channels/%62ig.rss"), false},
		{get("/"), false},
		{get("/healthz") + get("/channels/big.rss"), false},
		{"POST /channels/big.rss HTTP/1.1\r\n" + h + "Content-Length: 3\r\n\r\nabc", false},
		{"OPTIONS * HTTP/1.1\r\n" + h + "\r\n", false},
		{"get /channels/big.rss HTTP/1.1\r\n" + h + "\r\n", false},
		{"GET /channels/big.rss HTTP/1.1\r\n" + h, false}, // never complete
		{"GE", false},
		{"", false},
		{"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", false}, // a TLS hello
	}
}

// hotFixture has a channel whose bodies are large ("big", sent with
// sendfile) and a small one ("world").
func hotFixture(t testing.TB) (*fixture, *Server) {
	f := newFixture(t)
	a := f.source("https://a.example/feed", "world")
	f.items(a, bigItems("first", 50)...)
	b := f.source("https://b.example/feed", "small")
	f.items(b, bigItems("small", 1)...)
	return f, f.server(Channel{Name: "big", Tags: []string{"world"}}, Channel{Name: "world", Tags: []string{"small"}})
}

// TestHotLoopSameAsFasthttp sends the same bytes to the daemon's server
// with and without the hot loop: every answer must be the same, byte for
// byte but the Date, and the loop must answer exactly the requests of its
// form.
func TestHotLoopSameAsFasthttp(t *testing.T) {
	_, s := hotFixture(t)
	fast := startFast(t, s)
	hot, _, _ := startHot(t, s, nil)
	big, _ := s.get("big", "rss", 1)
	if big.file == nil || len(big.body) < sendfileMin || big.wire == nil {
		t.Fatalf("big channel: %d bytes, file %v, wire %v: the test wants one sent with sendfile", len(big.body), big.file != nil, big.wire != nil)
	}
	sent := sendfileBytes.Load()
	for i, c := range hotCases(t, s) {
		want := exchange(t, fast, []byte(c.raw), 0)
		served := hotServed.Load()
		got := exchange(t, hot, []byte(c.raw), 0)
		if diff := compareAnswers([]byte(c.raw), got, want); diff != "" {
			t.Errorf("case %d %.80q: %s", i, c.raw, diff)
		}
		// The loop's own answer, the first, byte for byte.
		if end := bytes.Index(want, crlfcrlf); c.hot && (end < 0 || !bytes.HasPrefix(got, want[:end])) {
			t.Errorf("case %d %.80q: header\nloop     %.400q\nfasthttp %.400q", i, c.raw, got, want)
		}
		if answered := hotServed.Load() > served; answered != c.hot {
			t.Errorf("case %d %.80q: answered by the loop %v, want %v", i, c.raw, answered, c.hot)
		}
	}
	if sendfileBytes.Load() == sent {
		t.Error("no body was sent with sendfile")
	}
	// The same requests in two pieces (read for real, handed over with
	// the bytes read).
	for i, c := range hotCases(t, s) {
		split := len(c.raw) / 2
		if diff := compareAnswers([]byte(c.raw), exchange(t, hot, []byte(c.raw), split), exchange(t, fast, []byte(c.raw), split)); diff != "" {
			t.Errorf("case %d in two pieces %.80q: %s", i, c.raw, diff)
		}
	}
}

// FuzzHotLoop is TestHotLoopSameAsFasthttp for any bytes.
func FuzzHotLoop(f *testing.F) {
	_, s := hotFixture(f)
	fast := startFast(f, s)
	hot, _, _ := startHot(f, s, nil)
	for _, c := range hotCases(f, s) {
		f.Add([]byte(c.raw), uint16(0))
		f.Add([]byte(c.raw), uint16(len(c.raw)/3))
	}
	f.Fuzz(func(t *testing.T, raw []byte, split uint16) {
		want := exchange(t, fast, raw, int(split))
		if diff := compareAnswers(raw, exchange(t, hot, raw, int(split)), want); diff != "" {
			t.Fatalf("%q split at %d: %s", raw, split, diff)
		}
	})
}

// A client reading slowly gets the whole body, the one it asked for, even
// when the channel changes (and the old file loses its rendition) while
// the response is being sent.
func TestHotLoopSlowReaderKeepsItsBody(t *testing.T) {
	f, s := hotFixture(t)
	addr, _, _ := startHot(t, s, nil)
	old, _ := s.get("big", "rss", 1)
	want := old.body

	conn := dialSmallWindow(t, addr)
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(conn, "GET /channels/big.rss HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReaderSize(conn, 1024)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	first := make([]byte, 2048)
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the server waits on a full socket

	src := f.source("https://a.example/feed", "world")
	f.items(src, bigItems("second", 5)...)
	if now, _ := s.get("big", "rss", 1); bytes.Equal(now.body, want) {
		t.Fatal("the channel did not change")
	}
	runtime.GC()
	runtime.GC()

	rest, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got := append(first, rest...); !bytes.Equal(got, want) {
		t.Fatalf("slow reader got %d bytes, not the %d it asked for", len(got), len(want))
	}
}

// A client that stops reading is dropped after WriteTimeout, and the
// server answers others meanwhile.
func TestHotLoopWriteTimeout(t *testing.T) {
	_, s := hotFixture(t)
	addr, _, hl := startHot(t, s, func(srv *fasthttp.Server) { srv.WriteTimeout = 300 * time.Millisecond })
	conn := dialSmallWindow(t, addr)
	// 200 responses of ~65 KB: far more than the socket buffers hold.
	for range 200 {
		fmt.Fprintf(conn, "GET /channels/big.rss HTTP/1.1\r\nHost: x\r\n\r\n")
	}
	if got := exchange(t, addr, []byte("GET /channels/world.rss HTTP/1.1\r\nHost: x\r\n\r\n"), 0); !bytes.HasPrefix(got, []byte("HTTP/1.1 200 OK")) {
		t.Fatalf("another client: %.100q", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		hl.mu.Lock()
		n := len(hl.live)
		hl.mu.Unlock()
		if n == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := io.Copy(io.Discard, conn)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("after %d bytes: %v, want the server to close the connection", n, err)
	}
	big, _ := s.get("big", "rss", 1)
	if n >= int64(200*len(big.body)) {
		t.Fatalf("read %d bytes: all the responses, the server never gave up", n)
	}
}

// Shutdown closes idle connections of the loop at once, lets a response
// being sent finish, and waits for it.
func TestHotLoopShutdown(t *testing.T) {
	_, s := hotFixture(t)
	addr, srv, hl := startHot(t, s, nil)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /channels/world.rss HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)

	// A slow reader of pipelined large bodies, in the middle of the first:
	// 16 MiB of them, more than the socket buffers hold whatever the
	// kernel's autotuning makes of them (tcp_wmem's maximum is 4 MiB by
	// default; 20 bodies were not always enough).
	big, _ := s.get("big", "rss", 1)
	pipelined := max(20, 16<<20/len(big.body)+1)
	slow := dialSmallWindow(t, addr)
	slow.SetDeadline(time.Now().Add(20 * time.Second))
	for range pipelined {
		fmt.Fprintf(slow, "GET /channels/big.rss HTTP/1.1\r\nHost: x\r\n\r\n")
	}
	sbr := bufio.NewReaderSize(slow, 1024)
	if _, err := sbr.Peek(1); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	stopped := make(chan bool, 1)
	go func() {
		srv.ShutdownWithContext(ctx)
		stopped <- hl.Wait(ctx.Done())
	}()
	time.Sleep(300 * time.Millisecond)
	// The response being sent is finished, whole; then the connection
	// closes, before the other pipelined requests are answered.
	n := 0
	for ; ; n++ {
		if _, err := sbr.Peek(1); err == io.EOF {
			break // closed between responses
		}
		resp, err := http.ReadResponse(sbr, nil)
		if err != nil {
			t.Fatalf("response %d: %v", n, err)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil || !bytes.Equal(body, big.body) {
			t.Fatalf("response %d, in flight at shutdown: %d of %d bytes, %v", n, len(body), len(big.body), err)
		}
	}
	t.Logf("%d of %d pipelined responses of %d bytes before the connection closed", n, pipelined, len(big.body))
	if n == 0 || n == pipelined {
		t.Errorf("%d of %d pipelined responses before the connection closed: want the one in flight and not all", n, pipelined)
	}
	if !<-stopped {
		t.Fatal("the loop's connections did not end")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("shutdown took %v", took)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := br.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatalf("idle connection after shutdown: %d bytes, %v; want it closed", n, err)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Fatal("still accepting after shutdown")
	}
}

// The hot path costs no allocation per request once a connection is
// open: a 304, and bodies written from memory (header and body in one
// writev; the large one as on a socket without sendfile).
func TestHotLoopAllocations(t *testing.T) {
	_, s := hotFixture(t)
	big, _ := s.get("big", "rss", 1)
	h := &hotConn{l: &HotListener{current: func() *Server { return s }, srv: &fasthttp.Server{}}, c: discardConn{}, out: make([]byte, 0, 1024)}
	for _, raw := range []string{
		"GET /channels/big.rss HTTP/1.1\r\nHost: x\r\nIf-None-Match: " + big.etag + "\r\n\r\n",
		"GET /channels/world.rss HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /channels/big.rss HTTP/1.1\r\nHost: x\r\n\r\n",
	} {
		var req hotRequest
		b := []byte(raw)
		allocs := testing.AllocsPerRun(100, func() {
			if _, st := parseHot(b, &req); st != hotAnswer {
				t.Fatal("not answered")
			}
			if ok, err := h.answer(&req); !ok || err != nil {
				t.Fatal(ok, err)
			}
		})
		if allocs > 0 {
			t.Errorf("%.50q: %.1f allocations", raw, allocs)
		}
	}
}

// discardConn is a net.Conn that takes every write.
type discardConn struct{ net.Conn }

func (discardConn) Write(p []byte) (int, error)      { return len(p), nil }
func (discardConn) SetWriteDeadline(time.Time) error { return nil }

// dialSmallWindow connects with a 4 KiB receive buffer, so that a server
// sending a large body soon waits for the reader.
func dialSmallWindow(t testing.TB, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return errors.Join(err, serr)
	}}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// The loop keeps fasthttp's timeouts: a new connection's first header
// within ReadTimeout of its start, any later header within ReadTimeout
// of its first byte, IdleTimeout between requests.
func TestHotLoopTimeouts(t *testing.T) {
	_, s := hotFixture(t)
	addr, _, _ := startHot(t, s, func(srv *fasthttp.Server) {
		srv.ReadTimeout, srv.IdleTimeout = 500*time.Millisecond, 30*time.Second
	})
	closedWithin := func(conn net.Conn, br *bufio.Reader, limit time.Duration) bool {
		conn.SetReadDeadline(time.Now().Add(limit))
		_, err := br.ReadByte()
		var ne net.Error
		return err != nil && !(errors.As(err, &ne) && ne.Timeout())
	}
	// Silent from the start.
	silent := dialLoopback(t, addr)
	if !closedWithin(silent, bufio.NewReader(silent), 5*time.Second) {
		t.Error("a connection that sends nothing stays open past ReadTimeout")
	}
	// Idle after a request: IdleTimeout, then a request is answered.
	conn := dialLoopback(t, addr)
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	for i := range 2 {
		fmt.Fprintf(conn, "GET /channels/world.rss HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %d after %v idle: %v", i, 800*time.Millisecond*time.Duration(i), err)
		}
		io.Copy(io.Discard, resp.Body)
		time.Sleep(800 * time.Millisecond) // longer than ReadTimeout
	}
	// Idle longer than ReadTimeout, then a request in two pieces.
	io.WriteString(conn, "GET /channels/world.rss HTTP/1.1\r\n")
	time.Sleep(50 * time.Millisecond)
	io.WriteString(conn, "Host: x\r\n\r\n")
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("a request in pieces after a long idle: %v %v", resp, err)
	} else {
		io.Copy(io.Discard, resp.Body)
	}
	// Half a header, then nothing.
	fmt.Fprintf(conn, "GET /channels/world.rss HTTP/1.1\r\n")
	if !closedWithin(conn, br, 5*time.Second) {
		t.Error("a connection stalled in a header stays open past ReadTimeout")
	}
}

// A connection the loop hands over after answering is fasthttp's bare TCP
// socket (its writev and sendfile paths need one); only a request that
// arrived in pieces comes wrapped with the bytes read.
func TestHotLoopHandsOverTheSocket(t *testing.T) {
	_, s := hotFixture(t)
	conns := make(chan net.Conn, 4)
	addr, _, _ := startHot(t, s, func(srv *fasthttp.Server) {
		next := srv.Handler
		srv.Handler = func(ctx *fasthttp.RequestCtx) {
			conns <- ctx.Conn()
			next(ctx)
		}
	})
	conn := dialLoopback(t, addr)
	br := bufio.NewReader(conn)
	roundTrip := func(parts ...string) {
		t.Helper()
		for _, p := range parts {
			io.WriteString(conn, p)
			time.Sleep(50 * time.Millisecond)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%q: %v %v", parts, resp, err)
		}
		io.Copy(io.Discard, resp.Body)
	}
	roundTrip("GET /channels/world.rss HTTP/1.1\r\nHost: x\r\n\r\n")
	roundTrip("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	if c := <-conns; reflect.TypeOf(c) != reflect.TypeOf(&net.TCPConn{}) {
		t.Errorf("handed over as %T, want *net.TCPConn", c)
	}

	for _, first := range []string{"", "GET /channels/world.rss HTTP/1.1\r\nHost: x\r\n\r\n"} {
		conn = dialLoopback(t, addr)
		br = bufio.NewReader(conn)
		if first != "" {
			roundTrip(first)
		}
		roundTrip("GET /healthz HTTP/1.1\r\n", "Host: x\r\n\r\n")
		if c := <-conns; reflect.TypeOf(c) != reflect.TypeOf(&replayConn{}) {
			t.Errorf("handed over in pieces (after %q) as %T, want *replayConn", first, c)
		}
	}
}
