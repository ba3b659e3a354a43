package fetcher

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// hostRateTransport spaces the requests to each host: every host has a
// token bucket that refills one request per Options.HostInterval and holds
// Options.PerHost, so a host sees at most PerHost requests at once (see
// hostLimiter) and, after that burst, one per HostInterval. Redirect hops
// and the second request of HTML feed discovery count too: the limit is
// on HTTP requests, not on sources.
type hostRateTransport struct {
	next  http.RoundTripper
	every rate.Limit
	burst int

	mu        sync.Mutex
	m         map[string]*rate.Limiter
	pruneAt   int // prune idle limiters when the map reaches this size
	pruneBase int
}

// newHostRate wraps next; interval <= 0 returns next unchanged.
func newHostRate(next http.RoundTripper, interval time.Duration, burst int) http.RoundTripper {
	if interval <= 0 {
		return next
	}
	const base = 1024
	return &hostRateTransport{
		next: next, every: rate.Every(interval), burst: max(burst, 1),
		m: make(map[string]*rate.Limiter), pruneAt: base, pruneBase: base,
	}
}

// RoundTrip waits for the host's token (within the request's context) and
// sends the request.
func (t *hostRateTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.limiter(strings.ToLower(req.URL.Hostname())).Wait(req.Context()); err != nil {
		return nil, err
	}
	return t.next.RoundTrip(req)
}

// limiter returns host's bucket, creating it full.
func (t *hostRateTransport) limiter(host string) *rate.Limiter {
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.m[host]
	if l == nil {
		if len(t.m) >= t.pruneAt {
			t.prune()
		}
		l = rate.NewLimiter(t.every, t.burst)
		t.m[host] = l
	}
	return l
}

// prune drops buckets that are full again: their hosts have been idle for
// a while, and a new full bucket behaves the same. It runs when the map
// doubles, so its cost per request stays constant.
func (t *hostRateTransport) prune() {
	now := time.Now()
	for h, l := range t.m {
		if l.TokensAt(now) >= float64(t.burst) {
			delete(t.m, h)
		}
	}
	t.pruneAt = max(2*len(t.m), t.pruneBase)
}
