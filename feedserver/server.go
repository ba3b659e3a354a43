package feedserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedmill/feedmill/feedserver/admin"
	"github.com/feedmill/feedmill/feedserver/channel"
	"github.com/feedmill/feedmill/feedserver/render"
	"github.com/feedmill/feedmill/storage"
)

// Options configure a Server.
type Options struct {
	BaseURL  string // absolute URL the channels are published under
	Channels []Channel
	Version  string
	Logger   *slog.Logger     // nil = discard
	Now      func() time.Time // clock for every time decision; nil = time.Now

	// WebSubHub, when set, is announced in every feed (rel="hub") and
	// pinged by WatchHub when a channel changes (WatchHub).
	WebSubHub string
	// AdminToken turns the admin API under /api/ on (package admin); "" =
	// off, and /api/ answers 404. Admin does the work the store cannot:
	// passes.
	AdminToken string
	Admin      admin.Daemon
	// AdminRate and AdminBurst limit admin requests per client address
	// (0 = 5 per second, bursts of 20).
	AdminRate  float64
	AdminBurst int
	// Health reports whether the daemon can do its job (nil = always
	// healthy): /healthz answers 503 with the error's text when it
	// returns one, and /metrics has feedmill_healthy.
	Health func() error
	// CacheMaxBytes is the budget of the rendered documents' cache
	// (cache.go); 0 = DefaultCacheMaxBytes.
	CacheMaxBytes int64
	// ExtraMetrics, when set, writes more metric families into /metrics
	// (the daemon adds the fetcher's).
	ExtraMetrics func(w io.Writer)
	// WebSub, when set, answers the WebSub subscriber callbacks under
	// /websub/ (websub.go); nil = 404. WebSubMaxBody bounds a content
	// distribution's body (0 = 10 MiB).
	WebSub        WebSubCallbacks
	WebSubMaxBody int64
}

// Server publishes channels from a store. It only reads the store. It is
// safe for concurrent use.
type Server struct {
	store    storage.Store
	version  string
	base     string // BaseURL without a trailing slash
	now      func() time.Time
	log      *slog.Logger
	channels []*channel.Channel // in config order
	byName   map[string]*channel.Channel
	res      resolver
	asm      assemblies
	cache    *cache
	index    *rendition // without sources: for a Server without a store
	indexMu  sync.Mutex
	indexCur atomic.Pointer[rendition] // with the sources' status
	opml     *rendition
	handler  http.Handler
	feeds    map[string]feedPath // the hot paths: /channels/{name}.{format}
	readErrs readErrors          // failed reads, logged once per run (readerrors.go)

	health       func() error
	unhealthy    atomic.Bool  // CheckHealth's last answer, to log changes once
	storeSize    atomic.Int64 // the last size of the store file read
	hub          string
	admin        *admin.API // nil = admin API off
	metrics      *serverMetrics
	extraMetrics func(w io.Writer)
	websub       WebSubCallbacks
	websubMax    int64
}

// errNoStore is returned when a Server made for validation only (nil
// store) is asked for items.
var errNoStore = errors.New("feedserver: no store")

// New checks the channels (bad regexes and the like are errors naming the
// channel and the key) and returns a Server. A nil store gives a Server
// that only validates and renders the index; its feeds answer 503.
func New(store storage.Store, opts Options) (*Server, error) {
	s := &Server{
		store:   store,
		version: opts.Version,
		now:     opts.Now,
		log:     opts.Logger,
		byName:  map[string]*channel.Channel{},
		hub:     opts.WebSubHub,

		extraMetrics: opts.ExtraMetrics,
		websub:       opts.WebSub,
		websubMax:    opts.WebSubMaxBody,
		health:       opts.Health,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var errs []error
	if opts.BaseURL != "" {
		u, err := url.Parse(opts.BaseURL)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("base_url: %w", err))
		case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			errs = append(errs, fmt.Errorf("base_url: %q is not an absolute http(s) URL", opts.BaseURL))
		case u.RawQuery != "" || u.Fragment != "":
			errs = append(errs, fmt.Errorf("base_url: %q must not have a query or fragment", opts.BaseURL))
		}
		s.base = strings.TrimRight(opts.BaseURL, "/")
	}
	for i, c := range opts.Channels {
		ch, err := channel.Compile(c, Formats...)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := s.byName[ch.Name]; dup {
			errs = append(errs, fmt.Errorf("channel %q: name: duplicate (channels[%d])", ch.Name, i))
			continue
		}
		s.byName[ch.Name] = ch
		s.channels = append(s.channels, ch)
	}
	if opts.WebSubHub != "" {
		if u, err := url.Parse(opts.WebSubHub); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("websub_hub: %q is not an absolute http(s) URL", opts.WebSubHub))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	s.cache = newCache(opts.CacheMaxBytes)
	s.metrics = newServerMetrics(s.channels)
	if opts.AdminToken != "" {
		s.admin = admin.New(store, admin.Options{Token: opts.AdminToken, Daemon: opts.Admin, Rate: opts.AdminRate, Burst: opts.AdminBurst})
	}
	idx, err := s.buildIndex(nil)
	if err != nil {
		return nil, fmt.Errorf("index page: %w", err)
	}
	s.index = idx
	if s.opml, err = s.buildOPML(); err != nil {
		return nil, fmt.Errorf("OPML: %w", err)
	}
	s.feeds = feedPaths(s.channels)
	s.handler = s.routes()
	return s, nil
}

// Render returns a channel in one format ("rss", "atom", "json", or "html"
// for the preview page) exactly as served. Errors wrap ErrUnknownChannel or
// ErrUnknownFormat for names that do not exist.
func (s *Server) Render(channel, format string) ([]byte, error) {
	r, err := s.get(channel, format, 1)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), r.body()...), nil
}

// Index returns the HTML index page as served at "/".
func (s *Server) Index() ([]byte, error) {
	return append([]byte(nil), s.indexPage().body()...), nil
}

// get returns the current rendition of (channel, format, page), building
// it when the cached one is stale or gone. A page past the last is
// ErrNoPage.
func (s *Server) get(name, format string, page int) (*rendition, error) {
	ch, ok := s.byName[name]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownChannel, name)
	}
	if _, ok := contentTypes[format]; !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownFormat, format)
	}
	if s.store == nil {
		return nil, errNoStore
	}
	k := cacheKey{name, format, max(page, 1)}
	cached := s.cache.lookup(k)
	res, err := s.resolve()
	if err != nil {
		return s.fallback(name, cached, err)
	}
	ids := res.IDs[name]
	v := s.store.Version(ids)
	if cached != nil && cached.fresh(ids, v, s.now()) {
		return cached, nil
	}
	return s.cache.once(k, func() (*rendition, error) {
		// Another request may have built it while this one looked.
		prev := s.cache.lookup(k)
		res, err := s.resolve()
		if err != nil {
			return s.fallback(name, prev, err)
		}
		ids := res.IDs[name]
		v := s.store.Version(ids)
		now := s.now()
		if prev != nil && prev.fresh(ids, v, now) {
			return prev, nil
		}
		r, err := s.build(ch, format, k.page, res, v, now, prev)
		if err != nil {
			if prev != nil && !errors.Is(err, ErrNoPage) {
				s.readFailed(name, err, "channel", name, "format", format, "page", k.page)
				return prev, nil
			}
			return nil, err
		}
		s.readOK(name)
		r.gen = res.Version
		s.cache.put(k, r)
		return r, nil
	})
}

// fallback serves channel name's previous rendition, if any, when the
// store fails (the caller logs a failure it returns).
func (s *Server) fallback(name string, prev *rendition, err error) (*rendition, error) {
	if prev == nil {
		return nil, err
	}
	s.readFailed(name, err, "channel", name)
	return prev, nil
}

// build renders (channel, format) from the store.
func (s *Server) build(ch *channel.Channel, format string, page int, res *channel.Resolution, version uint64, now time.Time, prev *rendition) (*rendition, error) {
	start := time.Now()
	ids := res.IDs[ch.Name]
	got, err := s.assembleShared(ch, ids, res, version, now, page)
	if err != nil {
		return nil, err
	}
	doc := &render.Doc{Channel: ch, Base: s.base, Version: s.version, Items: got.Items, Sources: res.Sources,
		Page: page, More: got.More, Hub: s.hub, Also: got.Also}
	body, err := renderFormat(format, doc)
	if err != nil {
		return nil, fmt.Errorf("channel %s: render %s: %w", ch.Name, format, err)
	}
	r, err := newRendition(body, contentTypes[format], doc.Updated())
	if err != nil {
		return nil, fmt.Errorf("channel %s: compress %s: %w", ch.Name, format, err)
	}
	// The feed's updated time can stand still or go back while its bytes
	// change (an item removed or edited without a date): move Last-Modified
	// forward then, or If-Modified-Since would answer 304 wrongly. A store
	// shared by several servers keeps that date, so that every one of them
	// answers the same bytes with the same Last-Modified.
	if st, ok := s.store.(storage.RenderStamper); ok {
		key := fmt.Sprintf("%s.%s/%d", ch.Name, format, page)
		t, err := st.StampRender(context.Background(), key, r.etag, r.lastModified)
		if err != nil {
			return nil, fmt.Errorf("channel %s: date %s: %w", ch.Name, format, err)
		}
		r.setLastModified(t)
	} else if prev != nil && prev.etag != r.etag && !r.lastModified.After(prev.lastModified) {
		r.setLastModified(render.Later(now, prev.lastModified.Add(time.Second)))
	}
	r.ids, r.allSources, r.version, r.validUntil = ids, ids == nil, version, got.ValidUntil
	if page == 1 {
		s.metrics.setCollapsed(ch.Name, got.Collapsed)
	}
	s.cache.builds.Add(1)
	s.log.Debug("feedserver: built", "channel", ch.Name, "format", format, "items", len(got.Items), "bytes", len(body), "took", time.Since(start))
	return r, nil
}
