package httpclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// headerLog keeps the credentials a test server saw, per path.
type headerLog struct {
	mu   sync.Mutex
	seen map[string]http.Header
}

func (l *headerLog) note(r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen = map[string]http.Header{}
	}
	l.seen[r.URL.Path] = r.Header.Clone()
}

func (l *headerLog) get(path string) http.Header {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seen[path]
}

// TestRequestOptions: each credential reaches the source's origin, and a
// redirect to another origin (same host, another port) gets none of them
// while the User-Agent follows.
func TestRequestOptions(t *testing.T) {
	var other headerLog
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		other.note(r)
		fmt.Fprint(w, "<rss/>")
	}))
	defer elsewhere.Close()

	demand := func(r *http.Request) string {
		if u, p, ok := r.BasicAuth(); !ok || u != "reader" || p != "s3cret-pw" {
			return "basic auth"
		}
		if r.Header.Get("X-Api-Key") != "k3y" {
			return "header"
		}
		if c, err := r.Cookie("session"); err != nil || c.Value != "c00kie" {
			return "cookie"
		}
		if r.Header.Get("User-Agent") != "Mozilla/5.0 (test)" {
			return "user agent"
		}
		return ""
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if missing := demand(r); missing != "" {
			http.Error(w, "missing "+missing, http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/feed":
			fmt.Fprint(w, "<rss/>")
		case "/away":
			http.Redirect(w, r, elsewhere.URL+"/landed", http.StatusFound)
		case "/self":
			http.Redirect(w, r, "/feed", http.StatusFound)
		}
	}))
	defer srv.Close()

	ro := &RequestOptions{
		Username: "reader", Password: "s3cret-pw", Cookie: "session=c00kie",
		Header: http.Header{"X-Api-Key": {"k3y"}}, UserAgent: "Mozilla/5.0 (test)",
	}
	c := newTestClient(1 << 20)
	ctx := context.Background()
	for _, path := range []string{"/feed", "/self"} {
		r, err := c.GetWith(ctx, srv.URL+path, nil, ro)
		if err != nil || r.Status != 200 {
			t.Fatalf("%s: status %v, err %v", path, r, err)
		}
		r.Free()
	}
	// Without the options the server refuses: the test server can fail.
	if r, err := c.Get(ctx, srv.URL+"/feed", nil); err != nil || r.Status != http.StatusUnauthorized {
		t.Fatalf("without options: %+v %v, want 401", r, err)
	}
	r, err := c.GetWith(ctx, srv.URL+"/away", nil, ro)
	if err != nil || r.Status != 200 {
		t.Fatalf("redirect away: %+v %v", r, err)
	}
	h := other.get("/landed")
	if h == nil {
		t.Fatal("the other origin was not reached")
	}
	for _, k := range []string{"Authorization", "Cookie", "X-Api-Key"} {
		if v := h.Get(k); v != "" {
			t.Errorf("other origin received %s: %q", k, v)
		}
	}
	if ua := h.Get("User-Agent"); ua != "Mozilla/5.0 (test)" {
		t.Errorf("other origin: User-Agent %q, want the source's", ua)
	}

	// A URL on another origin than Origin gets no credentials either
	// (a feed link an HTML page names, say).
	other.seen = nil
	ro2 := *ro
	ro2.Origin = originOf(srv.URL)
	if r, err := c.GetWith(ctx, elsewhere.URL+"/linked", nil, &ro2); err != nil || r.Status != 200 {
		t.Fatalf("linked: %+v %v", r, err)
	}
	if h := other.get("/linked"); h.Get("Authorization") != "" || h.Get("Cookie") != "" || h.Get("X-Api-Key") != "" {
		t.Errorf("link on another origin received credentials: %v", h)
	}
}

func TestOrigin(t *testing.T) {
	for _, c := range []struct{ a, b string }{
		{"http://Example.org/a", "http://example.org:80/b"},
		{"https://example.org", "https://example.org:443/x"},
		{"http://[::1]:8080/", "http://[::1]:8080/y"},
	} {
		if originOf(c.a) != originOf(c.b) {
			t.Errorf("%s and %s: %q != %q", c.a, c.b, originOf(c.a), originOf(c.b))
		}
	}
	for _, c := range []struct{ a, b string }{
		{"http://example.org/", "https://example.org/"},
		{"http://example.org/", "http://example.org:8080/"},
		{"http://example.org/", "http://www.example.org/"},
	} {
		if originOf(c.a) == originOf(c.b) {
			t.Errorf("%s and %s share origin %q", c.a, c.b, originOf(c.a))
		}
	}
}

// proxyClient is a client through proxy p.
func proxyClient(t *testing.T, p string, allowPrivate bool, exempt string) *Client {
	t.Helper()
	pu, err := ParseProxy(p)
	if err != nil {
		t.Fatal(err)
	}
	o := TransportOptions{Timeout: 5 * time.Second, PerHost: 2, AllowPrivate: allowPrivate, Proxy: pu}
	if exempt != "" {
		o.GuardExempt = mustAddrPort(t, exempt)
	}
	return New(Options{Transport: NewTransport(o), Timeout: 5 * time.Second, MaxBody: 1 << 20, UserAgent: "feedmill-test"})
}

// TestSOCKS5Proxy: requests go through the SOCKS5 proxy (with its
// username and password), per source or for every request.
func TestSOCKS5Proxy(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<rss/>")
	}))
	defer target.Close()
	px := startSOCKS5(t, "pxuser", "pxpass")

	c := proxyClient(t, "socks5://pxuser:pxpass@"+px.addr, true, "")
	for i := 0; i < 2; i++ {
		r, err := c.Get(context.Background(), target.URL+"/feed", nil)
		if err != nil || r.Status != 200 || string(r.Body) != "<rss/>" {
			t.Fatalf("through socks5: %+v %v", r, err)
		}
	}
	if n := px.connects(); n < 1 {
		t.Fatalf("proxy saw %d CONNECTs", n)
	}

	// Per request: a client without a default proxy, options naming it.
	direct := newTestClient(1 << 20)
	before := px.connects()
	pu, _ := url.Parse("socks5://pxuser:pxpass@" + px.addr)
	r, err := direct.GetWith(context.Background(), target.URL+"/other", nil, &RequestOptions{Proxy: pu})
	if err != nil || r.Status != 200 {
		t.Fatalf("per-request socks5: %+v %v", r, err)
	}
	if px.connects() != before+1 {
		t.Errorf("per-request proxy: %d CONNECTs, want %d", px.connects(), before+1)
	}
	// A wrong password is refused by the proxy, and the error does not
	// repeat it.
	bad := proxyClient(t, "socks5://pxuser:WRONGPASS@"+px.addr, true, "")
	_, err = bad.Get(context.Background(), target.URL+"/feed", nil)
	if err == nil {
		t.Fatal("wrong proxy password accepted")
	}
	if strings.Contains(err.Error(), "WRONGPASS") {
		t.Errorf("error shows the proxy password: %v", err)
	}
}

// TestHTTPProxy: plain-HTTP requests go through an HTTP proxy with its
// Proxy-Authorization.
func TestHTTPProxy(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<rss/>")
	}))
	defer target.Close()
	px := startHTTPProxy(t, "pxuser", "pxpass")
	c := proxyClient(t, "http://pxuser:pxpass@"+px.addr, true, "")
	r, err := c.Get(context.Background(), target.URL+"/feed", nil)
	if err != nil || r.Status != 200 || string(r.Body) != "<rss/>" {
		t.Fatalf("through http proxy: %+v %v", r, err)
	}
	if n := px.requests(); n != 1 {
		t.Errorf("proxy forwarded %d requests, want 1", n)
	}
	r, err = proxyClient(t, "http://pxuser:nope@"+px.addr, true, "").Get(context.Background(), target.URL+"/feed", nil)
	if err != nil || r.Status != http.StatusProxyAuthRequired {
		t.Errorf("wrong proxy password: %+v %v, want 407", r, err)
	}
}

// TestHTTPProxyConnect: an https target goes through the HTTP proxy as a
// CONNECT tunnel, with the proxy's credentials; the source's own
// credentials travel inside the tunnel only.
func TestHTTPProxyConnect(t *testing.T) {
	target := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "reader" || p != "pw" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "<rss/>")
	}))
	defer target.Close()
	px := startHTTPProxy(t, "pxuser", "pxpass")
	pu, _ := ParseProxy("http://pxuser:pxpass@" + px.addr)
	tr := NewTransport(TransportOptions{Timeout: 5 * time.Second, AllowPrivate: true, Proxy: pu,
		TLS: target.Client().Transport.(*http.Transport).TLSClientConfig})
	c := New(Options{Transport: tr, Timeout: 5 * time.Second, MaxBody: 1 << 20, UserAgent: "feedmill-test"})
	r, err := c.GetWith(context.Background(), target.URL+"/feed", nil, &RequestOptions{Username: "reader", Password: "pw"})
	if err != nil || r.Status != 200 || string(r.Body) != "<rss/>" {
		t.Fatalf("https through the proxy: %+v %v", r, err)
	}
	if px.requests() != 1 || px.connects() != 1 {
		t.Errorf("proxy saw %d requests, %d CONNECTs; want 1 CONNECT", px.requests(), px.connects())
	}
	if px.sawAuthorization() {
		t.Error("the proxy saw the source's Authorization header")
	}
}

// TestProxyGuard: without allow_private the guard refuses a proxy on a
// private address, and a private target behind an allowed proxy.
func TestProxyGuard(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<rss/>")
	}))
	defer target.Close()
	socks := startSOCKS5(t, "", "")
	hp := startHTTPProxy(t, "", "")
	for _, p := range []struct{ url, addr string }{{"socks5://" + socks.addr, socks.addr}, {"http://" + hp.addr, hp.addr}} {
		_, err := proxyClient(t, p.url, false, "").Get(context.Background(), target.URL, nil)
		var ae *AddressError
		if !errors.As(err, &ae) {
			t.Errorf("%s on loopback: err %v, want an AddressError", p.url, err)
		}
		// The proxy stands in for a public one; the target is loopback.
		_, err = proxyClient(t, p.url, false, p.addr).Get(context.Background(), target.URL, nil)
		if !errors.As(err, &ae) {
			t.Errorf("%s to a loopback target: err %v, want an AddressError", p.url, err)
		}
	}
	if socks.connects() != 0 || hp.requests() != 0 {
		t.Errorf("guarded requests reached the proxies: socks %d, http %d", socks.connects(), hp.requests())
	}
}

func TestParseProxy(t *testing.T) {
	for _, ok := range []string{"http://p:3128", "https://u:p@p.example", "socks5://127.0.0.1:1080", "socks5h://h"} {
		if _, err := ParseProxy(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"ftp://p", "socks4://h:1", "http://", "p:3128", "http://u:SECRET@%zz"} {
		_, err := ParseProxy(bad)
		if err == nil {
			t.Errorf("%s accepted", bad)
		} else if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%s: error shows the password: %v", bad, err)
		}
	}
}
