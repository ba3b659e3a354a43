package fetcher

import (
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/feedmill/feedmill/fetcher/httpclient"
	"github.com/feedmill/feedmill/fetcher/knowncut"
	"github.com/feedmill/feedmill/fetcher/robots"
	"github.com/feedmill/feedmill/fetcher/websub"
	"github.com/feedmill/feedmill/internal/logonce"
	"github.com/feedmill/feedmill/storage"
)

// Fetcher polls sources and records what they return in the store. It is
// safe for concurrent use; Pass and Run share its HTTP client, its worker
// slots and its per-host limits.
type Fetcher struct {
	store  storage.Store
	opts   Options
	log    *slog.Logger
	client *httpclient.Client

	slots chan struct{} // Options.Workers fetches at most, across Pass and Run
	hosts *hostLimiter

	resched chan struct{} // Reschedule -> Run

	busyMu sync.Mutex
	busy   map[uint64]bool // sources being fetched now

	metrics counters           // see metrics.go
	net     netWatch           // see netdown.go
	holds   storeHolds         // due times the store could not record (storehold.go)
	srcOpts sourceOptions      // per-source request options (sourceopts.go)
	websub  *websub.Subscriber // nil = not subscribing (websub.go)

	netDown *logonce.Streak // network unreachable: logged once per run

	pages      *pageQueue // full text: article pages to fetch (pages.go)
	robotsOnce sync.Once
	robots     *robots.Cache // robots.txt for page fetches (page.go)

	known     *knowncut.Cache // known items left out of the parse; nil = off (knowncut.go)
	knownCuts atomic.Uint64   // documents parsed with known items left out
}

// New returns a Fetcher writing into store.
func New(store storage.Store, opts Options) *Fetcher {
	opts = opts.withDefaults()
	f := &Fetcher{
		store:   store,
		opts:    opts,
		log:     opts.Logger,
		slots:   make(chan struct{}, opts.Workers),
		hosts:   newHostLimiter(opts.PerHost),
		resched: make(chan struct{}, 1),
		busy:    make(map[uint64]bool),
		netDown: logonce.New(opts.Logger, logonce.Messages{
			Start:   "network unreachable: failures are not counted against sources",
			Ongoing: "network still unreachable",
			End:     "network reachable again",
			Unit:    "fetches",
		}, 0, nil),
	}
	rt := opts.Transport
	if rt == nil {
		rt = httpclient.NewTransport(httpclient.TransportOptions{
			Timeout:      opts.Timeout,
			PerHost:      opts.PerHost,
			AllowPrivate: opts.AllowPrivate,
			Proxy:        opts.Proxy,
			GuardExempt:  opts.guardExempt,
		})
	}
	f.client = httpclient.New(httpclient.Options{
		Transport: newHostRate(rt, opts.HostInterval, opts.PerHost),
		Timeout:   opts.Timeout,
		MaxBody:   opts.MaxBody,
		UserAgent: opts.UserAgent,
	})
	f.pages = f.newPageQueue()
	if !opts.NoKnownCut {
		f.known = knowncut.New(0)
	}
	if opts.Sources != nil {
		f.SetSourceOptions(opts.Sources)
	}
	f.startWebSub(rt)
	return f
}
