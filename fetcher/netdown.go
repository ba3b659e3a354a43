package fetcher

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/url"
	"sync"
	"syscall"
	"time"

	"github.com/feedmill/feedmill/fetcher/httpclient"
	"github.com/feedmill/feedmill/storage"
)

// When the machine's own network is down, every source fails at once, and
// none of them is to blame. A network-level failure (no HTTP response:
// DNS, connect, reset, timeout) therefore counts against its source only
// when the network was shown to be up while it was being fetched: another
// host answered after the failed fetch began, or a TCP connect to a
// witness (the host that answered last, or from the store the source
// that succeeded last) works. Otherwise the failure is recorded (time,
// reason, State.NetworkDown) but ErrorStreak does not grow, so the source
// keeps its normal interval and no backoff builds up during an outage.
// Without any witness (nothing ever answered) failures are not counted
// either: there is no evidence against the source.

// netProbeTimeout bounds the witness connect.
const netProbeTimeout = 5 * time.Second

// netWatch remembers the last HTTP response and the last witness probe.
type netWatch struct {
	mu           sync.Mutex
	lastResponse time.Time // wall clock of the last HTTP response from any host
	witness      string    // host:port that answered last

	probeMu  sync.Mutex // one probe at a time
	probedAt time.Time
	probeUp  bool
}

// noteResponse records that a host answered (any HTTP status).
func (f *Fetcher) noteResponse(resp *httpclient.Response) {
	if resp == nil || resp.FinalURL == nil {
		return
	}
	w := &f.net
	w.mu.Lock()
	w.lastResponse = time.Now()
	w.witness = hostPort(resp.FinalURL)
	w.mu.Unlock()
	f.netDown.OK()
}

// forgiveIfNetworkDown undoes the ErrorStreak increment of a failed fetch
// of rawURL that began at started when the failure was network-level and
// the network was down (see above).
func (f *Fetcher) forgiveIfNetworkDown(ctx context.Context, rawURL string, started time.Time, err error, resp *httpclient.Response, st *storage.FetchState) {
	if resp != nil || !isNetworkError(err) || f.networkUp(ctx, rawURL, started) {
		return
	}
	f.netDown.Fail(err, "url", rawURL)
	if st.ErrorStreak > 0 {
		st.ErrorStreak--
	}
	st.NetworkDown = true
	st.LastError += " (network unreachable: not counted against the source)"
}

// networkUp reports whether the network was shown to be up after started.
func (f *Fetcher) networkUp(ctx context.Context, rawURL string, started time.Time) bool {
	w := &f.net
	self := ""
	if u, err := url.Parse(rawURL); err == nil {
		self = hostPort(u)
	}
	w.mu.Lock()
	answered, witness := w.lastResponse.After(started), w.witness
	w.mu.Unlock()
	if answered {
		return true
	}
	w.probeMu.Lock()
	defer w.probeMu.Unlock()
	if w.probedAt.After(started) {
		return w.probeUp
	}
	if witness == "" || witness == self {
		witness = f.storeWitness(self)
	}
	up := false
	if witness != "" {
		up = f.probe(ctx, witness)
	}
	w.probedAt, w.probeUp = time.Now(), up
	if up {
		f.log.Debug("network up: failure counted", "url", rawURL, "witness", witness)
		f.netDown.OK()
	} else {
		f.log.Debug("network unreachable: failure not counted", "url", rawURL, "witness", witness)
	}
	return up
}

// storeWitness is the host of the source that succeeded last, other than
// self; "" when none.
func (f *Fetcher) storeWitness(self string) string {
	sources, err := f.store.Sources()
	if err != nil {
		return ""
	}
	var best time.Time
	witness := ""
	for _, s := range sources {
		if !s.State.LastSuccess.After(best) {
			continue
		}
		u, err := url.Parse(s.URL)
		if err != nil || hostPort(u) == self {
			continue
		}
		best, witness = s.State.LastSuccess, hostPort(u)
	}
	return witness
}

// probe opens (and closes) a TCP connection to hostport: no request is
// sent, so it costs the witness nothing.
func (f *Fetcher) probe(ctx context.Context, hostport string) bool {
	d := net.Dialer{Timeout: netProbeTimeout}
	if !f.opts.AllowPrivate {
		d.Control = httpclient.GuardControl(f.opts.guardExempt)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), netProbeTimeout)
	defer cancel()
	c, err := d.DialContext(ctx, "tcp", hostport)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// hostPort is u's host with the scheme's default port filled in.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// isNetworkError reports whether err is a failure to reach the server at
// all (DNS, connect, reset, timeout), as opposed to a refusal by policy
// (private address, TLS certificate, redirect loop, body too large).
func isNetworkError(err error) bool {
	if err == nil {
		return false
	}
	var addrErr *httpclient.AddressError
	var tooLarge *httpclient.BodyTooLargeError
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &addrErr) || errors.As(err, &tooLarge) || errors.As(err, &certErr) ||
		errors.Is(err, httpclient.ErrRedirectLoop) || errors.Is(err, context.Canceled) {
		return false
	}
	var dnsErr *net.DNSError
	var opErr *net.OpError
	return errors.As(err, &dnsErr) || errors.As(err, &opErr) || isTimeout(err) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EHOSTUNREACH)
}
