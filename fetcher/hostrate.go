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
//
// A bucket that is full again behaves like a new one, so buckets of idle
// hosts are dropped: when the map has doubled since the last sweep, and at
// least every sweepEvery. The map holds the hosts asked within the last
// PerHost×HostInterval, plus those new since the last sweep.
type hostRateTransport struct {
	next  http.RoundTripper
	every rate.Limit
	burst int
	now   func() time.Time

	mu        sync.Mutex
	m         map[string]*rate.Limiter
	pruneAt   int       // sweep when the map reaches this size
	sweptAt   time.Time // last sweep
	pruneBase int
}

// sweepEvery is the longest time between two sweeps of idle hosts' buckets.
const sweepEvery = time.Minute

// newHostRate wraps next; interval <= 0 returns next unchanged.
func newHostRate(next http.RoundTripper, interval time.Duration, burst int) http.RoundTripper {
	if interval <= 0 {
		return next
	}
	const base = 1024
	return &hostRateTransport{
		next: next, every: rate.Every(interval), burst: max(burst, 1), now: time.Now,
		m: make(map[string]*rate.Limiter), pruneAt: base, pruneBase: base, sweptAt: time.Now(),
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
	now := t.now()
	if len(t.m) >= t.pruneAt || now.Sub(t.sweptAt) >= sweepEvery {
		t.prune(now)
	}
	l := t.m[host]
	if l == nil {
		l = rate.NewLimiter(t.every, t.burst)
		t.m[host] = l
	}
	return l
}

// prune drops buckets that are full again: their hosts have been idle for
// a while, and a new full bucket behaves the same. Run when the map
// doubles, its cost per request stays constant; run every sweepEvery, it
// lets the map shrink when hosts go away.
func (t *hostRateTransport) prune(now time.Time) {
	for h, l := range t.m {
		if l.TokensAt(now) >= float64(t.burst) {
			delete(t.m, h)
		}
	}
	t.pruneAt = max(2*len(t.m), t.pruneBase)
	t.sweptAt = now
}

// size is the number of buckets kept.
func (t *hostRateTransport) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}
