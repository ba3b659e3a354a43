package httpclient

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"sync"
	"time"

	"golang.org/x/net/proxy"
)

// TransportOptions configure NewTransport.
type TransportOptions struct {
	Timeout      time.Duration // for the response header
	PerHost      int           // idle connections kept per host
	AllowPrivate bool          // no address guard (loopback/private allowed)
	// Proxy, when set, is the proxy for every request whose
	// RequestOptions name none: an http, https or socks5 URL.
	Proxy *url.URL
	// GuardExempt (tests) is one address:port the guard lets through,
	// standing in for a public server.
	GuardExempt netip.AddrPort
	// TLS (tests) replaces the TLS client configuration; nil = the
	// system's roots.
	TLS *tls.Config
}

// Transport is the client's http.RoundTripper. It sends a request
// directly, or through the proxy its RequestOptions (else
// TransportOptions.Proxy) name: HTTP CONNECT through net/http's own
// proxy support, SOCKS5 through golang.org/x/net/proxy. Each proxy has
// its own keep-alive pool.
//
// The address guard applies on every path unless AllowPrivate: to the
// address dialed (the server, or the proxy), and, through a proxy, to the
// addresses the target's name resolves to here. A SOCKS5 proxy is then
// asked for the checked address, not the name; an HTTP proxy resolves the
// name itself.
//
// It does not use a proxy from the environment, and its own gzip handling
// is off: Get decodes bodies itself, so that the size limit counts
// decompressed bytes and br works.
type Transport struct {
	o      TransportOptions
	direct *http.Transport

	mu      sync.Mutex
	proxied map[string]*http.Transport // by proxy URL
}

// NewTransport returns a Transport.
func NewTransport(o TransportOptions) *Transport {
	t := &Transport{o: o, proxied: map[string]*http.Transport{}}
	t.direct = t.newHTTP(t.dialer().DialContext)
	return t
}

// dialer dials with the guard unless AllowPrivate.
func (t *Transport) dialer() *net.Dialer {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !t.o.AllowPrivate {
		d.Control = GuardControl(t.o.GuardExempt)
	}
	return d
}

func (t *Transport) newHTTP(dial func(ctx context.Context, network, addr string) (net.Conn, error)) *http.Transport {
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           dial,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   t.o.PerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: t.o.Timeout,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
		TLSClientConfig:       t.o.TLS,
	}
}

// RoundTrip sends req directly or through its proxy.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	p := t.o.Proxy
	if o := optionsOf(req.Context()); o != nil && o.Proxy != nil {
		p = o.Proxy
	}
	if p == nil {
		return t.direct.RoundTrip(req)
	}
	tr, err := t.via(p)
	if err != nil {
		return nil, err
	}
	if p.Scheme == "http" || p.Scheme == "https" {
		// The proxy dials the target: check where its name leads.
		if _, err := t.checkTarget(req.Context(), req.URL.Hostname(), portOf(req.URL)); err != nil {
			closeBody(req)
			return nil, err
		}
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		var ae *AddressError
		if errors.As(err, &ae) && !t.isProxyAddr(p, ae) {
			return nil, err // the target's address, refused
		}
		return nil, &ProxyError{Proxy: redacted(p), Err: err}
	}
	return resp, nil
}

// ProxyError is a request that failed on the way through a proxy. Proxy
// is the proxy's URL without credentials.
type ProxyError struct {
	Proxy string
	Err   error
}

// Error names the proxy (never its credentials) and the cause.
func (e *ProxyError) Error() string { return "proxy " + e.Proxy + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *ProxyError) Unwrap() error { return e.Err }

// redacted is p without its userinfo.
func redacted(p *url.URL) string {
	q := *p
	q.User = nil
	return q.String()
}

// isProxyAddr reports whether the refused address is the proxy's own (the
// guard refused to dial the proxy) rather than the target's.
func (t *Transport) isProxyAddr(p *url.URL, ae *AddressError) bool {
	a, err := netip.ParseAddr(p.Hostname())
	return err == nil && a.Unmap() == ae.Addr.Unmap()
}

// closeBody closes req's body, as a RoundTripper must even on error.
func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// via returns the transport that sends through proxy p.
func (t *Transport) via(p *url.URL) (*http.Transport, error) {
	key := p.String()
	t.mu.Lock()
	defer t.mu.Unlock()
	if tr := t.proxied[key]; tr != nil {
		return tr, nil
	}
	var tr *http.Transport
	switch p.Scheme {
	case "http", "https":
		tr = t.newHTTP(t.dialer().DialContext)
		tr.Proxy = http.ProxyURL(p)
	case "socks5", "socks5h":
		dial, err := t.socksDial(p)
		if err != nil {
			return nil, err
		}
		tr = t.newHTTP(dial)
	default:
		return nil, fmt.Errorf("proxy %s: unsupported scheme %q (want http, https or socks5)", p.Redacted(), p.Scheme)
	}
	t.proxied[key] = tr
	return tr, nil
}

// socksDial returns a dial function that connects through the SOCKS5
// proxy p, asking it for the checked address of the target.
func (t *Transport) socksDial(p *url.URL) (func(ctx context.Context, network, addr string) (net.Conn, error), error) {
	var auth *proxy.Auth
	if p.User != nil {
		pw, _ := p.User.Password()
		auth = &proxy.Auth{User: p.User.Username(), Password: pw}
	}
	host := p.Host
	if p.Port() == "" {
		host = net.JoinHostPort(p.Hostname(), "1080")
	}
	d, err := proxy.SOCKS5("tcp", host, auth, t.dialer())
	if err != nil {
		return nil, fmt.Errorf("proxy %s: %w", p.Redacted(), err)
	}
	cd, ok := d.(proxy.ContextDialer)
	if !ok {
		return nil, fmt.Errorf("proxy %s: SOCKS5 dialer cannot take a context", p.Redacted())
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		h, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		ip, err := t.checkTarget(ctx, h, port)
		if err != nil {
			return nil, err
		}
		if ip.IsValid() {
			addr = net.JoinHostPort(ip.String(), port)
		}
		return cd.DialContext(ctx, network, addr)
	}, nil
}

// checkTarget resolves host and checks every address it has, as the
// guard would if it dialed them. It returns the first address, or the
// zero Addr when AllowPrivate (the proxy then resolves the name).
func (t *Transport) checkTarget(ctx context.Context, host, port string) (netip.Addr, error) {
	if t.o.AllowPrivate {
		return netip.Addr{}, nil
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		addrs, err = net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return netip.Addr{}, err
		}
	}
	if len(addrs) == 0 {
		return netip.Addr{}, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	n, _ := strconv.ParseUint(port, 10, 16)
	for _, a := range addrs {
		if t.o.GuardExempt.IsValid() && netip.AddrPortFrom(a.Unmap(), uint16(n)) == t.o.GuardExempt {
			continue
		}
		if err := CheckAddr(a); err != nil {
			return netip.Addr{}, err
		}
	}
	return addrs[0].Unmap(), nil
}

// portOf is u's port, or its scheme's default.
func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

// ParseProxy checks a proxy URL of the config: http, https or socks5
// (socks5h too) with a host.
func ParseProxy(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("bad proxy URL")
	}
	switch u.Scheme {
	case "http", "https", "socks5", "socks5h":
	default:
		return nil, fmt.Errorf("proxy %s: want an http://, https:// or socks5:// URL", u.Redacted())
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("proxy %s: no host", u.Redacted())
	}
	return u, nil
}
