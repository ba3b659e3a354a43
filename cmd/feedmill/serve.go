package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"reflect"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/feedmill/feedmill/feedserver"
	"github.com/feedmill/feedmill/storage"
	"github.com/valyala/fasthttp"
)

// retentionEvery is how often the daemon drops items past retention.max_age.
const retentionEvery = time.Hour

// cmdServe runs the daemon: the scheduler fetching each source when due,
// the HTTP server publishing the channels, and the control socket for the
// one-shot commands. SIGINT/SIGTERM shut it down gracefully (requests
// drain, fetches in flight are recorded, the last transaction commits);
// SIGHUP reloads sources and channels from the config file.
func cmdServe(ctx context.Context, env *cmdEnv, args []string) error {
	cfg, pos, err := env.load(args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("serve takes no arguments")
	}
	log := newLogger(cfg, env.stderr)
	d, err := startDaemon(ctx, cfg, log)
	if err != nil {
		return err
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return d.stop()
		case <-hup:
			d.reload(ctx, env)
		}
	}
}

// daemon is a running `feedmill serve`.
type daemon struct {
	cfg     *Config
	log     *slog.Logger
	store   *storage.Store
	handler atomic.Pointer[fasthttp.RequestHandler] // the current publisher's FastHandler
	httpSrv *fasthttp.Server
	hotLn   *feedserver.HotListener
	ctlSrv  *http.Server
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	fetcher interface{ Reschedule() }
	sock    controlSocket
	Addr    net.Addr     // where the HTTP server listens (tests use port 0)
	admin   *daemonAdmin // lends the fetcher to the admin API and /metrics (admin.go)
	hub     hubWatcher   // WebSub pings of the current publisher

	// pub is the current publisher (explain over the control socket).
	pub atomic.Pointer[feedserver.Server]
}

// startDaemon opens the store, starts the scheduler, the HTTP server and
// the control socket, and returns once all listen.
func startDaemon(parent context.Context, cfg *Config, log *slog.Logger) (*daemon, error) {
	st, err := openStore(cfg, log)
	if err != nil {
		if errors.Is(err, storage.ErrLocked) {
			return nil, fmt.Errorf("%w: is another feedmill serve running on it?", err)
		}
		return nil, err
	}
	d := &daemon{cfg: cfg, log: log, store: st, sock: socketPath(cfg)}
	ok := false
	defer func() {
		if !ok {
			st.Close()
		}
	}()
	if err := syncSources(parent, cfg, st, log); err != nil {
		return nil, err
	}
	f := newFetcher(cfg, st, log)
	d.fetcher = f
	d.admin = &daemonAdmin{store: st, fetcher: f, log: log}
	pub, err := newPublisher(cfg, st, log, d.admin)
	if err != nil {
		return nil, err
	}
	h := pub.FastHandler()
	d.handler.Store(&h)
	d.pub.Store(pub)

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", cfg.Listen, err)
	}
	ctlLn, err := listenControl(d.sock)
	if err != nil {
		ln.Close()
		return nil, err
	}
	if d.sock.Why == "runtime" {
		log.Info("the store's path is too long for a unix socket beside it: control socket under the runtime directory instead",
			"control_socket", d.sock.Path, "store", cfg.DB)
	}
	d.Addr = ln.Addr()

	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	d.httpSrv = newHTTPServer(d.serveHTTP, log)
	// Connections start in the feeds' own loop (feedserver/hotloop.go),
	// which hands them to httpSrv at their first other request.
	d.hotLn = feedserver.NewHotListener(ln, feedserver.HotOptions{Current: d.pub.Load, Server: d.httpSrv,
		Logger: log})
	ctl := &controlServer{store: st, fetcher: f, log: log, publisher: d.pub.Load}
	d.ctlSrv = &http.Server{Handler: ctl.handler(), ReadHeaderTimeout: 10 * time.Second}

	d.wg.Add(4)
	go func() {
		defer d.wg.Done()
		if err := f.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("scheduler stopped", "err", err)
		}
	}()
	go func() {
		defer d.wg.Done()
		d.retentionLoop(ctx)
	}()
	go func() {
		defer d.wg.Done()
		if err := d.httpSrv.Serve(d.hotLn); err != nil && !errors.Is(err, net.ErrClosed) {
			log.Error("http server stopped", "err", err)
		}
	}()
	go func() {
		defer d.wg.Done()
		if err := d.ctlSrv.Serve(ctlLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("control socket stopped", "err", err)
		}
	}()
	d.hub.watch(pub)
	ok = true
	log.Info("feedmill serving", "version", version, "listen", d.Addr.String(), "base_url", cfg.BaseURL,
		"store", cfg.DB, "control_socket", d.sock.Path, "sources", len(cfg.Sources), "channels", len(cfg.Channels))
	return d, nil
}

// serveHTTP answers a request of the public server with the current
// publisher. A
// panic is logged and answered 500 on a closed connection, as net/http
// would (fasthttp itself does not recover).
func (d *daemon) serveHTTP(ctx *fasthttp.RequestCtx) {
	defer func() {
		if p := recover(); p != nil {
			d.log.Error("http: panic serving request", "path", string(ctx.Path()), "remote", ctx.RemoteAddr().String(), "panic", p)
			ctx.Response.Reset()
			ctx.SetConnectionClose()
			ctx.Error("internal server error", fasthttp.StatusInternalServerError)
		}
	}()
	(*d.handler.Load())(ctx)
}

// newHTTPServer is the daemon's public HTTP server, with the limits that
// keep slow or hostile clients from holding it: the request headers must
// arrive within 10 s of the request's first byte, or of the connection's
// start (slowloris), and fit in 64 KiB (else 431); a request body gets
// 20 s more (30 s for the request); the response must be written within
// 2 min; idle keep-alive connections close after 2 min.
//
// It is fasthttp's server, for the feeds' hot path (feedserver/fastpath.go);
// the other paths are net/http handlers behind it. Like net/http it sends
// no Server header and no Content-Type the handler did not set.
func newHTTPServer(h fasthttp.RequestHandler, log *slog.Logger) *fasthttp.Server {
	return &fasthttp.Server{
		Handler: h,
		// fasthttp's ReadTimeout runs from the request's first byte (or
		// the connection's start) to its end: the headers' limit, which
		// bodyTimeout extends for a request with a body.
		ReadTimeout:    10 * time.Second,
		HeaderReceived: bodyTimeout(20 * time.Second),
		// WriteTimeout is reset for each response, after its handler returns.
		WriteTimeout: 2 * time.Minute,
		IdleTimeout:  2 * time.Minute,
		// The read buffer limits the request line and headers.
		ReadBufferSize:        64 << 10,
		NoDefaultServerHeader: true,
		NoDefaultContentType:  true,
		// What fasthttp logs is about one client's connection (a malformed
		// request, say), answered 400 or closed: debug, as net/http kept
		// them quiet. Serve's own error is logged by the caller.
		Logger: slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
}

// bodyTimeout gives a request that has a body (a POST to the admin API)
// d after its headers to send it; GETs and HEADs keep the headers'
// deadline.
func bodyTimeout(d time.Duration) func(*fasthttp.RequestHeader) fasthttp.RequestConfig {
	return func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
		// fasthttp says -2 for a request without a body.
		if cl := h.ContentLength(); cl == 0 || cl == -2 {
			return fasthttp.RequestConfig{}
		}
		return fasthttp.RequestConfig{ReadTimeout: d}
	}
}

func newPublisher(cfg *Config, st *storage.Store, log *slog.Logger, admin *daemonAdmin) (*feedserver.Server, error) {
	opts := cfg.feedserverOptions()
	opts.Logger = log
	if admin != nil {
		opts.Admin, opts.ExtraMetrics = admin, admin.writeMetrics
	}
	pub, err := feedserver.New(st, opts)
	if err != nil {
		return nil, &configError{msg: configName(cfg) + ": " + err.Error()}
	}
	return pub, nil
}

func (d *daemon) retentionLoop(ctx context.Context) {
	t := time.NewTicker(retentionEvery)
	defer t.Stop()
	for {
		if n, err := d.store.ApplyRetention(ctx); err != nil && ctx.Err() == nil {
			d.log.Error("retention", "err", err)
		} else if n > 0 {
			d.log.Info("retention removed old items", "items", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// reload re-reads the config file: sources and channels take effect at
// once; a bad config is logged and the running one kept. Settings of the
// store, the listener and the fetch section need a restart.
func (d *daemon) reload(ctx context.Context, env *cmdEnv) {
	cfg, err := loadConfig(configPath(*env.configFlag))
	if err != nil {
		d.log.Error("reload: config rejected, keeping the running one", "err", err)
		return
	}
	if cfg.DB != d.cfg.DB || cfg.Listen != d.cfg.Listen || cfg.ControlSocket != d.cfg.ControlSocket || !reflect.DeepEqual(cfg.Fetch, d.cfg.Fetch) ||
		cfg.Retention != d.cfg.Retention {
		d.log.Warn("reload: changes to db, listen, control_socket, fetch or retention take effect after a restart")
	}
	if err := syncSources(ctx, cfg, d.store, d.log); err != nil {
		d.log.Error("reload: sources", "err", err)
		return
	}
	pub, err := newPublisher(cfg, d.store, d.log, d.admin)
	if err != nil {
		d.log.Error("reload: channels rejected, keeping the running ones", "err", err)
		return
	}
	h := pub.FastHandler()
	d.handler.Store(&h)
	d.pub.Store(pub)
	d.hub.watch(pub)
	d.fetcher.Reschedule()
	d.log.Info("reloaded config", "sources", len(cfg.Sources), "channels", len(cfg.Channels))
}

// stop drains HTTP requests, stops the scheduler after the fetches in
// flight are recorded, and closes the store (committing what is queued).
func (d *daemon) stop() error {
	d.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	errHTTP := d.httpSrv.ShutdownWithContext(sctx)
	// Shutdown closes only a listener Serve has taken up: a daemon stopped
	// at once after it started would leave Serve waiting on it for ever.
	d.hotLn.Close()
	if !d.hotLn.Wait(sctx.Done()) && errHTTP == nil {
		errHTTP = sctx.Err()
	}
	errCtl := d.ctlSrv.Shutdown(sctx)
	d.hub.stop()
	d.cancel()
	d.wg.Wait()
	os.Remove(d.sock.Path)
	errStore := d.store.Close()
	return errors.Join(errHTTP, errCtl, errStore)
}
