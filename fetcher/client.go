package fetcher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/feedmill/feedmill/internal/logonce"
	"github.com/feedmill/feedmill/storage"
)

// acceptHeader asks for feeds first, then generic XML/JSON, then anything
// (an HTML page can still name its feed, see discover.go).
const acceptHeader = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"

// maxRedirects is how many redirects one request follows.
const maxRedirects = 10

// Fetcher polls sources and records what they return in the store. It is
// safe for concurrent use; Pass and Run share its HTTP client, its worker
// slots and its per-host limits.
type Fetcher struct {
	store  *storage.Store
	opts   Options
	log    *slog.Logger
	client *http.Client

	slots chan struct{} // Options.Workers fetches at most, across Pass and Run
	hosts *hostLimiter

	resched chan struct{} // Reschedule -> Run

	busyMu sync.Mutex
	busy   map[uint64]bool // sources being fetched now

	metrics counters   // see metrics.go
	net     netWatch   // see netdown.go
	bodies  bodyCache  // buffers for response bodies (body.go)
	holds   storeHolds // due times the store could not record (storehold.go)

	storeDown *logonce.Streak // commits failing: logged once per run
	netDown   *logonce.Streak // network unreachable: logged once per run
}

// New returns a Fetcher writing into store.
func New(store *storage.Store, opts Options) *Fetcher {
	opts = opts.withDefaults()
	f := &Fetcher{
		store:   store,
		opts:    opts,
		log:     opts.Logger,
		slots:   make(chan struct{}, opts.Workers),
		hosts:   newHostLimiter(opts.PerHost),
		resched: make(chan struct{}, 1),
		busy:    make(map[uint64]bool),
		storeDown: logonce.New(opts.Logger, logonce.Messages{
			Start:   "store cannot commit: fetches are not stored, sources back off until it can",
			Ongoing: "store still cannot commit",
			End:     "store writable again",
			Unit:    "commits",
		}, 0, nil),
		netDown: logonce.New(opts.Logger, logonce.Messages{
			Start:   "network unreachable: failures are not counted against sources",
			Ongoing: "network still unreachable",
			End:     "network reachable again",
			Unit:    "fetches",
		}, 0, nil),
	}
	rt := opts.Transport
	if rt == nil {
		rt = newTransport(opts)
	}
	f.client = &http.Client{
		Transport:     newHostRate(rt, opts.HostInterval, opts.PerHost),
		CheckRedirect: checkRedirect,
		// The per-request context deadline (Options.Timeout) covers the
		// body too; this is only a backstop.
		Timeout: 2 * opts.Timeout,
	}
	return f
}

// newTransport is the one keep-alive transport of a Fetcher. It does not
// use a proxy from the environment: the address guard checks the address
// it dials, which would be the proxy's.
func newTransport(opts Options) *http.Transport {
	dialer := &net.Dialer{
		Timeout:   10 * time.Second,
		KeepAlive: 30 * time.Second,
	}
	if !opts.AllowPrivate {
		dialer.Control = guardFor(opts.guardExempt)
	}
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   opts.PerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: opts.Timeout,
		ExpectContinueTimeout: time.Second,
		// We send Accept-Encoding ourselves and decode in body.go, so
		// that the size limit counts decompressed bytes and br works.
		DisableCompression: true,
	}
}

// redirectTrace records the redirects one request followed.
type redirectTrace struct {
	hops      int
	permanent bool // every hop was a 301 or 308
}

type traceKey struct{}

// checkRedirect follows at most maxRedirects redirects, refuses loops, and
// notes in the request's trace whether the chain was permanent.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	next := req.URL.String()
	for _, v := range via {
		if v.URL.String() == next {
			return errRedirectLoop
		}
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return fmt.Errorf("redirect to unsupported scheme %q", req.URL.Scheme)
	}
	if tr, ok := req.Context().Value(traceKey{}).(*redirectTrace); ok {
		if tr.hops == 0 {
			tr.permanent = true
		}
		tr.hops++
		if req.Response == nil || (req.Response.StatusCode != http.StatusMovedPermanently && req.Response.StatusCode != http.StatusPermanentRedirect) {
			tr.permanent = false
		}
	}
	return nil
}

var errRedirectLoop = errors.New("redirect loop")

// newRequest builds a GET for rawURL with feedmill's headers and, when
// state is given, the conditional headers from its validators.
func (f *Fetcher) newRequest(ctx context.Context, rawURL string, state *storage.FetchState) (*http.Request, *redirectTrace, error) {
	tr := &redirectTrace{}
	ctx = context.WithValue(ctx, traceKey{}, tr)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("User-Agent", f.opts.UserAgent)
	req.Header.Set("Accept", acceptHeader)
	req.Header.Set("Accept-Encoding", acceptEncoding)
	if state != nil {
		setConditional(req, *state)
	}
	return req, tr, nil
}
