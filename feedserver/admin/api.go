package admin

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/feedmill/feedmill/storage"
)

// The admin API lives under /api/. Every request carries "Authorization: Bearer TOKEN" (compared in
// constant time); each client address gets its own rate limit. JSON in,
// JSON out; errors are {"error": "..."}.
//
//	GET    /api/sources               every source with its status
//	GET    /api/sources/status?url=U  one source with its status
//	POST   /api/sources               {"url": U, "tags": [...]}: add
//	DELETE /api/sources?url=U         remove (not a source of the config)
//	POST   /api/sources/pause         {"url": U}: stop fetching it
//	POST   /api/sources/resume        {"url": U}: fetch it again
//	POST   /api/fetch                 {"all": bool, "urls": [...]}: a pass now, its report

// Daemon is what the admin API needs besides the store: feedserver never
// fetches, so cmd/feedmill implements it with the fetcher.
type Daemon interface {
	// Pass fetches now, as `feedmill fetch` does (all: ignore due times;
	// urls: only these), and returns the pass's report.
	Pass(ctx context.Context, all bool, urls []string) (any, error)
	// AddSource adds a source from the API; the config wins for a URL it
	// lists. RemoveSource removes one the config does not list.
	AddSource(ctx context.Context, url string, tags []string) (storage.Source, error)
	RemoveSource(ctx context.Context, url string) error
	// Reschedule tells the scheduler that sources were paused or resumed.
	Reschedule()
}

// SourceStatus is a source as the admin API shows it.
type SourceStatus struct {
	storage.Source
	Status string `json:"status"` // new, ok, not_modified, error, paused, retired
	// WebSub is the source's subscription to its feed's hub, when the
	// daemon subscribes (hub, state, lease end, last push; no secret).
	WebSub *storage.Subscription `json:"websub,omitempty"`
}

// Status sums up a source's state in one word: new, ok, not_modified,
// error, paused or retired (the admin API and the index page show it).
func Status(src storage.Source) string {
	switch {
	case src.State.Retired:
		return "retired"
	case src.Paused:
		return "paused"
	case src.State.LastFetch.IsZero():
		return "new"
	case src.State.LastError != "":
		return "error"
	case src.State.LastStatus == http.StatusNotModified:
		return "not_modified"
	}
	return "ok"
}

// Options configure an API.
type Options struct {
	Token string // the bearer token; must not be empty
	// Daemon does passes and adds and removes sources; nil = those
	// endpoints answer 501.
	Daemon Daemon
	// Rate and Burst limit requests per client address (0 = 5 per
	// second, bursts of 20).
	Rate  float64
	Burst int
}

// API is the admin API's http.Handler.
type API struct {
	store storage.Store // nil = every request answers 503
	token []byte
	admin Daemon
	mux   *http.ServeMux

	limitMu sync.Mutex
	limits  map[string]*clientLimit
	rate    rate.Limit
	burst   int
}

// maxAdminClients bounds the per-address limiters kept. When it is
// reached, the limiters of clients quiet long enough to have their whole
// burst back are forgotten (a new one is the same); if none is, all are.
const maxAdminClients = 4096

// clientLimit is one client address's limiter and when it was last used.
type clientLimit struct {
	l    *rate.Limiter
	last time.Time
}

// sweepLimits makes room in a.limits; a.limitMu must be held.
func (a *API) sweepLimits(now time.Time) {
	refill := time.Duration(float64(a.burst) / float64(a.rate) * float64(time.Second))
	for host, c := range a.limits {
		if now.Sub(c.last) > refill {
			delete(a.limits, host)
		}
	}
	if len(a.limits) >= maxAdminClients {
		clear(a.limits)
	}
}

// New returns the admin API on store, with opts.Token as its only key.
func New(store storage.Store, opts Options) *API {
	a := &API{store: store, token: []byte(opts.Token), admin: opts.Daemon, limits: map[string]*clientLimit{},
		rate: rate.Limit(opts.Rate), burst: opts.Burst}
	if a.rate <= 0 {
		a.rate = 5
	}
	if a.burst <= 0 {
		a.burst = 20
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/sources", a.list)
	mux.HandleFunc("GET /api/sources/status", a.status)
	mux.HandleFunc("POST /api/sources", a.add)
	mux.HandleFunc("DELETE /api/sources", a.remove)
	mux.HandleFunc("POST /api/sources/pause", func(w http.ResponseWriter, r *http.Request) { a.setPaused(w, r, true) })
	mux.HandleFunc("POST /api/sources/resume", func(w http.ResponseWriter, r *http.Request) { a.setPaused(w, r, false) })
	mux.HandleFunc("POST /api/fetch", a.fetch)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	a.mux = mux
	return a
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !a.allow(w, r) {
		return
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), a.token) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="feedmill"`)
		apiError(w, http.StatusUnauthorized, "missing or wrong bearer token")
		return
	}
	if a.store == nil {
		apiError(w, http.StatusServiceUnavailable, "no store")
		return
	}
	a.mux.ServeHTTP(w, r)
}

// allow applies the client address's rate limit, answering 429 with
// Retry-After when it is spent. It runs before the token check, so
// guessing tokens is limited too.
func (a *API) allow(w http.ResponseWriter, r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	now := time.Now()
	a.limitMu.Lock()
	c := a.limits[host]
	if c == nil {
		if len(a.limits) >= maxAdminClients {
			a.sweepLimits(now)
		}
		c = &clientLimit{l: rate.NewLimiter(a.rate, a.burst)}
		a.limits[host] = c
	}
	c.last = now
	res := c.l.ReserveN(now, 1)
	delay := res.Delay()
	if delay > 0 {
		res.Cancel()
	}
	a.limitMu.Unlock()
	if delay <= 0 {
		return true
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(delay.Seconds()))))
	apiError(w, http.StatusTooManyRequests, "too many requests")
	return false
}

func (a *API) list(w http.ResponseWriter, _ *http.Request) {
	srcs, err := a.store.Sources()
	if err != nil {
		apiError(w, http.StatusInternalServerError, err.Error())
		return
	}
	subs, _ := a.store.Subscriptions()
	out := make([]SourceStatus, 0, len(srcs))
	for _, src := range srcs {
		out = append(out, withSubscription(src, subs))
	}
	apiJSON(w, http.StatusOK, out)
}

func (a *API) status(w http.ResponseWriter, r *http.Request) {
	src, ok := a.source(w, r.URL.Query().Get("url"))
	if ok {
		apiJSON(w, http.StatusOK, a.sourceStatus(src))
	}
}

// source finds a source by URL, answering 400 or 404 when it cannot.
func (a *API) source(w http.ResponseWriter, u string) (storage.Source, bool) {
	if u == "" {
		apiError(w, http.StatusBadRequest, "want a source url")
		return storage.Source{}, false
	}
	src, err := a.store.SourceByURL(u)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		apiError(w, http.StatusNotFound, "no source "+u)
		return src, false
	case err != nil:
		apiError(w, http.StatusInternalServerError, err.Error())
		return src, false
	}
	return src, true
}

// sourceBody is the JSON body of the source endpoints.
type sourceBody struct {
	URL  string   `json:"url"`
	Tags []string `json:"tags,omitempty"`
}

func (a *API) add(w http.ResponseWriter, r *http.Request) {
	var req sourceBody
	if !decodeBody(w, r, &req) || !a.hasAdmin(w) {
		return
	}
	src, err := a.admin.AddSource(r.Context(), req.URL, req.Tags)
	if err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	apiJSON(w, http.StatusCreated, a.sourceStatus(src))
}

func (a *API) remove(w http.ResponseWriter, r *http.Request) {
	u := r.URL.Query().Get("url")
	if _, ok := a.source(w, u); !ok {
		return
	}
	if !a.hasAdmin(w) {
		return
	}
	if err := a.admin.RemoveSource(r.Context(), u); err != nil {
		code := http.StatusBadRequest
		if errors.Is(err, storage.ErrNotFound) {
			code = http.StatusNotFound
		}
		apiError(w, code, err.Error())
		return
	}
	apiJSON(w, http.StatusOK, map[string]string{"removed": u})
}

// setPaused pauses or resumes a source. A source of the config gets the
// config's setting back at the next start or reload.
func (a *API) setPaused(w http.ResponseWriter, r *http.Request, paused bool) {
	var req sourceBody
	if !decodeBody(w, r, &req) {
		return
	}
	src, ok := a.source(w, req.URL)
	if !ok {
		return
	}
	src.Paused = paused
	src, err := a.store.UpsertSource(r.Context(), src)
	if err != nil {
		apiError(w, http.StatusInternalServerError, err.Error())
		return
	}
	if a.admin != nil {
		a.admin.Reschedule()
	}
	apiJSON(w, http.StatusOK, a.sourceStatus(src))
}

// fetchBody is the JSON body of POST /api/fetch.
type fetchBody struct {
	All  bool     `json:"all"`
	URLs []string `json:"urls,omitempty"`
}

func (a *API) fetch(w http.ResponseWriter, r *http.Request) {
	var req fetchBody
	if !decodeBody(w, r, &req) || !a.hasAdmin(w) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Minute)
	defer cancel()
	rep, err := a.admin.Pass(ctx, req.All, req.URLs)
	if err != nil {
		apiError(w, http.StatusInternalServerError, err.Error())
		return
	}
	apiJSON(w, http.StatusOK, rep)
}

// hasAdmin answers 501 when no Daemon was given (outside the daemon
// nothing can fetch, add or remove sources).
func (a *API) hasAdmin(w http.ResponseWriter) bool {
	if a.admin == nil {
		apiError(w, http.StatusNotImplemented, "this needs the daemon")
	}
	return a.admin != nil
}

// decodeBody reads a JSON body (an empty body is an empty object),
// answering 400 when it is not one.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		apiError(w, http.StatusBadRequest, "bad JSON body: "+err.Error())
		return false
	}
	return true
}

func apiJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func apiError(w http.ResponseWriter, code int, msg string) {
	apiJSON(w, code, map[string]string{"error": msg})
}

// sourceStatus is src as the API shows it, with its subscription.
func (a *API) sourceStatus(src storage.Source) SourceStatus {
	subs, _ := a.store.Subscriptions()
	return withSubscription(src, subs)
}

func withSubscription(src storage.Source, subs map[uint64]storage.Subscription) SourceStatus {
	st := SourceStatus{Source: src, Status: Status(src)}
	if sub, ok := subs[src.ID]; ok {
		st.WebSub = &sub
	}
	return st
}
