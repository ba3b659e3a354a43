package httpclient

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

func mustAddrPort(t *testing.T, s string) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

// testSOCKS5 is a small SOCKS5 server (RFC 1928, CONNECT only, with the
// RFC 1929 username/password method when user is set) that counts the
// CONNECTs it relays.
type testSOCKS5 struct {
	addr       string
	user, pass string
	n          atomic.Int64
}

func (p *testSOCKS5) connects() int { return int(p.n.Load()) }

func startSOCKS5(t *testing.T, user, pass string) *testSOCKS5 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &testSOCKS5{addr: ln.Addr().String(), user: user, pass: pass}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.serve(c)
			}()
		}
	}()
	return p
}

func (p *testSOCKS5) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	head := make([]byte, 2)
	if _, err := io.ReadFull(r, head); err != nil || head[0] != 5 {
		return
	}
	methods := make([]byte, head[1])
	if _, err := io.ReadFull(r, methods); err != nil {
		return
	}
	want := byte(0)
	if p.user != "" {
		want = 2
	}
	ok := false
	for _, m := range methods {
		ok = ok || m == want
	}
	if !ok {
		c.Write([]byte{5, 0xff})
		return
	}
	c.Write([]byte{5, want})
	if want == 2 && !p.auth(r, c) {
		return
	}
	// CONNECT request: VER CMD RSV ATYP DST.ADDR DST.PORT
	req := make([]byte, 4)
	if _, err := io.ReadFull(r, req); err != nil || req[1] != 1 {
		return
	}
	var host string
	switch req[3] {
	case 1:
		b := make([]byte, 4)
		io.ReadFull(r, b)
		host = netip.AddrFrom4([4]byte(b)).String()
	case 4:
		b := make([]byte, 16)
		io.ReadFull(r, b)
		host = netip.AddrFrom16([16]byte(b)).String()
	case 3:
		n, _ := r.ReadByte()
		b := make([]byte, n)
		io.ReadFull(r, b)
		host = string(b)
	default:
		return
	}
	pb := make([]byte, 2)
	if _, err := io.ReadFull(r, pb); err != nil {
		return
	}
	up, err := net.Dial("tcp", net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(pb)))))
	if err != nil {
		c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0})
		return
	}
	defer up.Close()
	p.n.Add(1)
	c.Write([]byte{5, 0, 0, 1, 127, 0, 0, 1, 0, 0})
	splice(c, r, up)
}

// auth runs the RFC 1929 subnegotiation.
func (p *testSOCKS5) auth(r *bufio.Reader, c net.Conn) bool {
	ver, _ := r.ReadByte()
	ul, _ := r.ReadByte()
	u := make([]byte, ul)
	io.ReadFull(r, u)
	pl, _ := r.ReadByte()
	pw := make([]byte, pl)
	io.ReadFull(r, pw)
	if ver != 1 || string(u) != p.user || string(pw) != p.pass {
		c.Write([]byte{1, 1})
		return false
	}
	c.Write([]byte{1, 0})
	return true
}

// splice copies both ways until either side ends.
func splice(c net.Conn, r io.Reader, up net.Conn) {
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, r); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done
}

// testHTTPProxy forwards plain-HTTP requests (absolute-form request
// lines) and tunnels CONNECT, demanding Proxy-Authorization when user is
// set, and counts what it relayed.
type testHTTPProxy struct {
	addr     string
	n        atomic.Int64
	tunnels  atomic.Int64
	sawAuthz atomic.Bool // an Authorization header reached the proxy
}

func (p *testHTTPProxy) requests() int          { return int(p.n.Load()) }
func (p *testHTTPProxy) connects() int          { return int(p.tunnels.Load()) }
func (p *testHTTPProxy) sawAuthorization() bool { return p.sawAuthz.Load() }

func startHTTPProxy(t *testing.T, user, pass string) *testHTTPProxy {
	t.Helper()
	p := &testHTTPProxy{}
	fwd := &http.Transport{}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user != "" && r.Header.Get("Proxy-Authorization") != want {
			w.WriteHeader(http.StatusProxyAuthRequired)
			return
		}
		p.n.Add(1)
		if r.Header.Get("Authorization") != "" {
			p.sawAuthz.Store(true)
		}
		if r.Method == http.MethodConnect {
			p.tunnels.Add(1)
			up, err := net.Dial("tcp", r.Host)
			if err != nil {
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			defer up.Close()
			w.WriteHeader(http.StatusOK)
			c, rw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer c.Close()
			splice(c, rw, up)
			return
		}
		out, _ := http.NewRequest(r.Method, r.URL.String(), nil)
		out.Header = r.Header.Clone()
		out.Header.Del("Proxy-Authorization")
		resp, err := fwd.RoundTrip(out)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, vs := range resp.Header {
			w.Header()[k] = vs
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	t.Cleanup(func() { srv.Close(); fwd.CloseIdleConnections() })
	p.addr = srv.Listener.Addr().String()
	return p
}
