package feedserver

// The hot path's own connection loop.
//
// Feed readers poll the same few URLs over keep-alive connections:
// GET /channels/{name}.{format}, mostly answered 304, sometimes with a
// ~150 KB body. fasthttp (fastpath.go) spends ~3-4 µs of CPU on each such
// request besides the kernel's work, and writes the body from memory; at
// wrk's rate on 2 cores that left feedmill at ~0.87 × nginx's rate of
// 200s, short of issue 7's 0.9 × (docs/BENCHMARKS.md).
//
// So a connection starts in hotConn.run, which answers requests of one
// strict form itself, from the cached rendition: a request line
// `GET|HEAD <feed path> HTTP/1.1`, header lines `name: value` with a token
// for a name and no control bytes, a plain Host, and no Content-Length,
// Transfer-Encoding, Trailer, Expect, Upgrade or Connection other than
// keep-alive (hotloop_request.go). Its answer is byte for byte fasthttp's
// (the header blocks are captured from serveRenditionFast when a
// rendition is built, captureWire), and its large bodies leave by
// sendfile behind a MSG_MORE header (sendfile.go).
//
// The loop peeks at a request (MSG_PEEK) and takes it off the socket only
// once it has answered it. The first request that is anything else —
// another path, a query, a method, HTTP/1.0, a malformed line, an
// oversized header, an error from the store — is left where it is, and
// the bare socket goes to fasthttp through Accept: fasthttp serves it from
// then on as it served every connection before (its limits, its errors,
// its writev, its shutdown). The loop never answers an error itself, so
// whatever it does not understand gets exactly the answer it had before
// the loop existed; a test sends the same bytes to both servers and
// compares the answers (hotloop_test.go, FuzzHotLoop).
//
// Timeouts are fasthttp's own settings: the first request's header must
// arrive within ReadTimeout of the connection's start, a later one's
// within ReadTimeout of its first byte, an idle connection closes after
// IdleTimeout, and a response must be written within WriteTimeout. To
// spare a timer update per request, the idle and write deadlines are
// moved forward only when less than half of them is left, so they end
// between one half and the whole of the setting after the last request.
//
// Linux only (hotloop_linux.go); elsewhere every connection goes to
// fasthttp at once.

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

// hotBufSize is the loop's read buffer: a request whose header does not
// fit goes to fasthttp (which allows 64 KiB).
const hotBufSize = 4 << 10

// HotListener is a net.Listener for fasthttp.Server.Serve whose
// connections first run the hot loop; Accept returns those the loop
// hands over. Close stops accepting and ends the loops' idle connections;
// Wait waits for the rest.
type HotListener struct {
	ln      net.Listener
	current func() *Server
	srv     *fasthttp.Server
	log     *slog.Logger
	slow    time.Duration
	onSlow  func()

	off     bool // the loop answers nothing
	handoff chan net.Conn
	done    chan struct{}
	closing atomic.Bool
	once    sync.Once
	loops   sync.WaitGroup

	mu   sync.Mutex
	live map[net.Conn]struct{}
	err  error // the listener's last error, for Accept
}

// hotServed counts the requests the loop answered (for tests).
var hotServed atomic.Int64

// HotOptions configure a HotListener.
type HotOptions struct {
	// Current returns the Server answering now (the daemon swaps it on a
	// config reload).
	Current func() *Server
	// Server is the fasthttp server that will Serve the listener: its
	// ReadTimeout, IdleTimeout and WriteTimeout apply in the loop too.
	Server *fasthttp.Server
	// Logger gets the loop's panics and the listener's errors; nil =
	// discard.
	Logger *slog.Logger
	// OnSlow, if set, is called after a request that took at least Slow
	// (one that rebuilt a channel), as the daemon's handler does.
	Slow   time.Duration
	OnSlow func()
}

// NewHotListener accepts on ln.
//
// The loop writes the headers fasthttp writes with NoDefaultServerHeader,
// NoDefaultContentType and a Date, and keeps connections alive as
// fasthttp does by default (the daemon's settings). With any setting that
// changes those (keep-alive off or limited, per-IP limits, header names
// not normalized, GET only, close on shutdown) it answers nothing and
// hands every connection straight over.
func NewHotListener(ln net.Listener, o HotOptions) *HotListener {
	srv := o.Server
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	l := &HotListener{ln: ln, current: o.Current, srv: srv, log: o.Logger, slow: o.Slow, onSlow: o.OnSlow,
		handoff: make(chan net.Conn), done: make(chan struct{}), live: map[net.Conn]struct{}{}}
	l.off = !srv.NoDefaultServerHeader || !srv.NoDefaultContentType || srv.NoDefaultDate ||
		srv.DisableKeepalive || srv.MaxRequestsPerConn > 0 || srv.MaxConnsPerIP > 0 ||
		srv.DisableHeaderNamesNormalizing || srv.GetOnly || srv.CloseOnShutdown
	go l.acceptLoop()
	return l
}

func (l *HotListener) acceptLoop() {
	var delay time.Duration
	for {
		c, err := l.ln.Accept()
		if err != nil {
			// As net/http: wait and retry on EMFILE and the like.
			var ne interface{ Temporary() bool }
			if errors.As(err, &ne) && ne.Temporary() && !l.closing.Load() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				l.log.Warn("http: accept", "err", err, "retry_in", delay)
				select {
				case <-time.After(delay):
					continue
				case <-l.done:
				}
			}
			l.mu.Lock()
			l.err = err
			l.mu.Unlock()
			l.Close()
			return
		}
		delay = 0
		if !l.track(c, true) {
			c.Close()
			continue
		}
		go l.serve(c)
	}
}

// track adds c to the live connections (and a loop to wait for) or
// removes it; it reports false when adding after Close.
func (l *HotListener) track(c net.Conn, add bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !add {
		delete(l.live, c)
		return true
	}
	if l.closing.Load() {
		return false
	}
	l.live[c] = struct{}{}
	l.loops.Add(1)
	return true
}

// Accept returns the next connection the loop hands over.
func (l *HotListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.handoff:
		return c, nil
	case <-l.done:
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.err != nil && !errors.Is(l.err, net.ErrClosed) {
			return nil, l.err
		}
		return nil, net.ErrClosed
	}
}

// Close stops accepting and wakes every loop waiting for a request, which
// then closes its connection; a loop sending a response finishes it
// first. fasthttp.Server's Shutdown calls it.
func (l *HotListener) Close() error {
	var err error
	l.once.Do(func() {
		l.mu.Lock()
		l.closing.Store(true)
		for c := range l.live {
			c.SetReadDeadline(time.Now())
		}
		l.mu.Unlock()
		close(l.done)
		err = l.ln.Close()
	})
	return err
}

// Addr is the listener's address.
func (l *HotListener) Addr() net.Addr { return l.ln.Addr() }

// Wait waits, after Close, until every loop has closed or handed over its
// connection (true), or done is closed (false).
func (l *HotListener) Wait(done <-chan struct{}) bool {
	ch := make(chan struct{})
	go func() { l.loops.Wait(); close(ch) }()
	select {
	case <-ch:
		return true
	case <-done:
		return false
	}
}

// hotConn is one connection in the loop.
type hotConn struct {
	l      *HotListener
	c      net.Conn
	rc     syscall.RawConn // nil: not a TCP socket (handed over at once)
	buf    []byte          // taken off the socket, not yet answered: buf[:n]
	n      int
	out    []byte // the response header being written
	vec    [2][]byte
	bufs   net.Buffers
	hf     headAndFile
	sendFn func(uintptr) bool
	sio    sockIO
	peekFn func(uintptr) bool
	takeFn func(uintptr)

	readBy, writeBy time.Time // the deadlines set
	served          bool      // a request was answered
}

func (l *HotListener) serve(c net.Conn) {
	defer l.loops.Done()
	h := &hotConn{l: l, c: c, buf: make([]byte, hotBufSize), out: make([]byte, 0, 1024)}
	// The first request's header has ReadTimeout from the connection's
	// start, as in fasthttp.
	if rt := l.srv.ReadTimeout; rt > 0 {
		h.setReadDeadline(time.Now().Add(rt))
	}
	if tc, ok := c.(*net.TCPConn); ok && hotSyscalls {
		h.rc, _ = tc.SyscallConn()
		h.sendFn, h.peekFn, h.takeFn = h.hf.step, h.sio.peekStep, h.sio.takeStep
		h.sio.buf = h.buf
	}
	handed := false
	defer func() {
		if p := recover(); p != nil {
			l.log.Error("http: panic in the hot loop", "remote", c.RemoteAddr().String(), "panic", p)
		}
		l.track(c, false)
		if !handed {
			c.Close()
		}
	}()
	handed = h.run()
}

// run serves requests until the connection ends (false) or is handed to
// fasthttp (true).
//
// Between requests the loop peeks at the socket (MSG_PEEK) and takes a
// request off it only once it has answered it, so a connection it hands
// over carries every byte it did not answer, and fasthttp gets the bare
// TCP socket (its writev and everything else work as on a connection it
// accepted). Only a request that arrives in pieces is read for real, and
// handed over, if it comes to that, through a replayConn.
func (h *hotConn) run() bool {
	if h.rc == nil || h.l.off {
		return h.handOver()
	}
	srv := h.l.srv
	var req hotRequest
	for {
		if h.n == 0 {
			// Between requests. The first request's header deadline
			// runs from the connection's start; later ones get the
			// idle deadline.
			now := time.Now()
			if idle := cmp.Or(srv.IdleTimeout, srv.ReadTimeout); h.served && idle > 0 && h.readBy.Sub(now) < idle/2 {
				h.setReadDeadline(now.Add(idle))
			}
			if h.l.closing.Load() {
				// After the deadline: Close set it to now, or sees this
				// one. Pipelined requests may wait unread in the socket.
				return h.closeGently()
			}
			if err := h.rc.Read(h.peekFn); err != nil || h.sio.err != nil || h.sio.n == 0 {
				if h.l.closing.Load() {
					return h.closeGently()
				}
				return false // timeout, error, or the client closed
			}
			n := h.sio.n
			used, st := parseHot(h.buf[:n], &req)
			switch {
			case st == hotAnswer:
				ok, err := h.answer(&req)
				if !ok {
					return h.handOver()
				}
				if err != nil || !h.take(used) {
					return false
				}
				h.served = true
				if h.l.closing.Load() {
					return h.closeGently() // the last response before shutdown
				}
				continue
			case st == hotOther || n == len(h.buf):
				return h.handOver()
			}
			// A request in pieces: take what came and read the rest,
			// within ReadTimeout of now (its first byte came during the
			// peek), or of the connection's start for the first.
			if !h.take(n) {
				return false
			}
			h.n = n
			if h.served && srv.ReadTimeout > 0 {
				h.setReadDeadline(time.Now().Add(srv.ReadTimeout))
			}
			continue
		}
		used, st := parseHot(h.buf[:h.n], &req)
		if st == hotAnswer {
			ok, err := h.answer(&req)
			if !ok {
				return h.handOver()
			}
			if err != nil {
				return false
			}
			h.served = true
			if h.l.closing.Load() {
				return h.closeGently()
			}
			copy(h.buf, h.buf[used:h.n])
			h.n -= used
			if h.n > 0 && srv.ReadTimeout > 0 {
				// A pipelined request's rest: ReadTimeout from now.
				h.setReadDeadline(time.Now().Add(srv.ReadTimeout))
			}
			continue
		}
		if st == hotOther || h.n == len(h.buf) {
			return h.handOver()
		}
		if h.l.closing.Load() {
			return false
		}
		m, err := h.c.Read(h.buf[h.n:])
		h.n += m
		if err != nil {
			// A client that closed after part of a request gets
			// fasthttp's answer to it; a timeout just closes.
			var ne net.Error
			if !(errors.As(err, &ne) && ne.Timeout()) && !h.l.closing.Load() {
				return h.handOver()
			}
			return false
		}
	}
}

// take takes n bytes the loop has peeked at off the socket.
func (h *hotConn) take(n int) bool {
	h.sio.want = n
	err := h.rc.Control(h.takeFn)
	return err == nil && h.sio.err == nil && h.sio.n == n
}

// closeGently ends a connection that answered requests with a lingering
// close; it reports false (the connection is not handed over).
func (h *hotConn) closeGently() bool {
	if h.served {
		h.lingeringClose()
	}
	return false
}

// lingeringClose ends the connection's sending side and reads what the
// client still sends for a moment, so that closing does not reset the
// connection (a reset can destroy the last response before the client
// has read it, as when unread pipelined requests are pending).
func (h *hotConn) lingeringClose() {
	if tc, ok := h.c.(*net.TCPConn); ok && tc.CloseWrite() == nil {
		tc.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		io.Copy(io.Discard, io.LimitReader(tc, 1<<20))
	}
}

func (h *hotConn) setReadDeadline(t time.Time) {
	h.readBy = t
	h.c.SetReadDeadline(t)
}

// handOver gives the connection, with the bytes read and not answered,
// to fasthttp; false when the listener is closed. fasthttp sets its own
// deadlines: a header that fills the loop's buffer (4 KiB) slowly gets
// ReadTimeout again there.
func (h *hotConn) handOver() bool {
	h.l.track(h.c, false) // Close must not touch it any more
	h.c.SetDeadline(time.Time{})
	var c net.Conn = h.c
	if h.n > 0 {
		c = &replayConn{Conn: h.c, pending: bytes.Clone(h.buf[:h.n])}
	}
	select {
	case h.l.handoff <- c:
		return true
	case <-h.l.done:
		return false
	}
}

// answer writes the response to req. ok is false, having written nothing,
// when the loop does not answer it (not a feed path of the Server now
// answering, or no rendition: fasthttp's path answers and logs errors);
// err is a write error, after which the connection is closed.
func (h *hotConn) answer(req *hotRequest) (ok bool, err error) {
	s := h.l.current()
	if s == nil || h.l.off {
		return false, nil
	}
	fp, found := s.feeds[string(req.target)]
	if !found {
		return false, nil
	}
	start := time.Now()
	rend, err := s.get(fp.channel, fp.format, 1)
	if err != nil || rend.wire == nil {
		return false, nil
	}
	gz := req.hasAE && acceptsGzip(b2s(req.acceptEncoding))
	nm := req.notModified(rend)
	w := &rend.wire[b2i(gz)][b2i(nm)]
	now := time.Now()
	h.out = append(append(append(h.out[:0], w.status...), hotDate(now)...), w.rest...)
	if wt := h.l.srv.WriteTimeout; wt > 0 && h.writeBy.Sub(now) < wt/2 {
		h.writeBy = now.Add(wt)
		h.c.SetWriteDeadline(h.writeBy)
	}
	if h.l.onSlow != nil && now.Sub(start) >= h.l.slow {
		h.l.onSlow()
	}
	s.metrics.request(fp.channel, nm)
	hotServed.Add(1)
	if nm || req.head {
		_, err = h.c.Write(h.out)
		return true, err
	}
	body, off := rend.body, 0
	if gz {
		body, off = rend.gzipped, len(rend.body)
	}
	switch {
	case rend.file != nil && h.rc != nil && len(body) >= sendfileMin:
		h.hf = headAndFile{hdr: h.out, fd: rend.file.fd, off: int64(off), n: int64(len(body))}
		if err = h.rc.Write(h.sendFn); err == nil {
			err = h.hf.err
		}
		h.hf = headAndFile{}
		runtime.KeepAlive(rend.file)
	case len(h.out)+len(body) <= cap(h.out):
		_, err = h.c.Write(append(h.out, body...))
	default:
		h.vec = [2][]byte{h.out, body}
		h.bufs = h.vec[:] // WriteTo consumes the slice, not the array
		_, err = h.bufs.WriteTo(h.c)
		h.vec = [2][]byte{}
	}
	return true, err
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// replayConn reads pending before the connection.
type replayConn struct {
	net.Conn
	pending []byte
}

func (c *replayConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// hotDateLine is the Date header of one second.
type hotDateLine struct {
	sec  int64
	line []byte
}

var hotDateCur atomic.Pointer[hotDateLine]

// hotDate returns the Date header line of now's second.
func hotDate(now time.Time) []byte {
	sec := now.Unix()
	if d := hotDateCur.Load(); d != nil && d.sec == sec {
		return d.line
	}
	d := &hotDateLine{sec: sec}
	d.line = append(now.UTC().AppendFormat([]byte("Date: "), http.TimeFormat), "\r\n"...)
	hotDateCur.Store(d)
	return d.line
}

// hotWire is one response header as fasthttp writes it for a rendition,
// around the Date line: the status line, and the rest down to the blank
// line.
type hotWire struct{ status, rest []byte }

// captureWire returns rend's four response headers ([gzip][notModified])
// as serveRenditionFast has fasthttp write them, for a server that sends
// Date and neither a Server header nor a default Content-Type (the
// daemon's, checked by NewHotListener). nil if fasthttp's output is not of
// the expected shape: the loop then hands those requests to fasthttp.
func captureWire(rend *rendition) *[2][2]hotWire {
	var w [2][2]hotWire
	var ctx fasthttp.RequestCtx
	for gz := range 2 {
		for nm := range 2 {
			ctx.Request.Reset()
			ctx.Response.Reset()
			ctx.Request.Header.SetMethod(fasthttp.MethodGet)
			ctx.Response.Header.SetNoDefaultContentType(true)
			etag := rend.etag
			if gz == 1 {
				ctx.Request.Header.Set("Accept-Encoding", "gzip")
				etag = rend.etagGzip
			}
			if nm == 1 {
				ctx.Request.Header.Set("If-None-Match", etag)
			}
			if serveRenditionFast(&ctx, rend) != (nm == 1) {
				return nil
			}
			// What the server writes: Response.Write, header and body.
			var out bytes.Buffer
			bw := bufio.NewWriter(&out)
			if ctx.Response.Write(bw) != nil || bw.Flush() != nil {
				return nil
			}
			hdr := out.Bytes()
			if nm == 0 {
				body := rend.body
				if gz == 1 {
					body = rend.gzipped
				}
				if !bytes.HasSuffix(hdr, body) {
					return nil
				}
				hdr = hdr[:len(hdr)-len(body)]
			}
			status, rest, ok := bytes.Cut(hdr, crlfcrlf[:2])
			if !ok || !bytes.HasPrefix(rest, []byte("Date: ")) {
				return nil
			}
			if _, rest, ok = bytes.Cut(rest, crlfcrlf[:2]); !ok || !bytes.HasSuffix(rest, crlfcrlf) {
				return nil
			}
			w[gz][nm] = hotWire{status: append(bytes.Clone(status), "\r\n"...), rest: bytes.Clone(rest)}
		}
	}
	return &w
}
