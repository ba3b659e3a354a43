package main

import (
	"context"
	"crypto/tls"
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
	"github.com/feedmill/feedmill/fetcher"
	"github.com/feedmill/feedmill/storage"
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
	setMemoryLimit(int64(cfg.Cache.MaxBytes), log)
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
	store   storage.Store
	handler atomic.Pointer[http.Handler] // the current publisher's Handler
	httpSrv *http.Server
	ctlSrv  *http.Server
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	fetcher interface {
		Reschedule()
		SetSourceOptions(map[string]fetcher.SourceOptions)
	}
	sock  controlSocket
	Addr  net.Addr     // where the HTTP server listens (tests use port 0)
	admin *daemonAdmin // lends the fetcher to the admin API and /metrics (admin.go)
	hub   hubWatcher   // WebSub pings of the current publisher

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
	fopts := cfg.fetcherOptions()
	fopts.Logger = log
	if cfg.WebSub.Subscribe {
		fopts.WebSubCallback = cfg.BaseURL + "/websub/"
	}
	f := fetcher.New(st, fopts)
	d.fetcher = f
	d.admin = &daemonAdmin{store: st, fetcher: f, log: log}
	pub, err := newPublisher(cfg, st, log, d.admin)
	if err != nil {
		return nil, err
	}
	h := pub.Handler()
	d.handler.Store(&h)
	d.pub.Store(pub)

	tlsCfg, err := loadTLS(cfg)
	if err != nil {
		return nil, err
	}
	ln, ctlLn, err := d.listen()
	if err != nil {
		return nil, err
	}

	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	d.httpSrv = newHTTPServer(http.HandlerFunc(d.serveHTTP), log)
	d.httpSrv.TLSConfig = tlsCfg
	ctl := &controlServer{store: st, fetcher: f, log: log, publisher: d.pub.Load}
	d.ctlSrv = &http.Server{Handler: ctl.handler(), ReadHeaderTimeout: 10 * time.Second}

	d.start(ctx, f, ln, ctlLn)
	d.hub.watch(pub)
	ok = true
	log.Info("feedmill serving", "version", version, "listen", d.Addr.String(), "https", tlsCfg != nil, "base_url", cfg.BaseURL,
		"store", displayDB(cfg.DB), "control_socket", d.sock.Path, "sources", len(cfg.Sources), "channels", len(cfg.Channels))
	return d, nil
}

// listen opens the public HTTP listener and the control socket, and sets
// d.Addr. On an error nothing stays open.
func (d *daemon) listen() (ln, ctlLn net.Listener, err error) {
	ln, err = net.Listen("tcp", d.cfg.Listen)
	if err != nil {
		return nil, nil, fmt.Errorf("listen %s: %w", d.cfg.Listen, err)
	}
	ctlLn, err = listenControl(d.sock)
	if err != nil {
		ln.Close()
		return nil, nil, err
	}
	if d.sock.Why == "runtime" {
		d.log.Info("the store's path is too long for a unix socket beside it: control socket under the runtime directory instead",
			"control_socket", d.sock.Path, "store", displayDB(d.cfg.DB))
	}
	d.Addr = ln.Addr()
	return ln, ctlLn, nil
}

// start runs the daemon's goroutines until ctx ends: the health and
// retention loops, the scheduler f, the HTTP server on ln, the control
// server on ctlLn and, when subscribing, the WebSub subscriber.
func (d *daemon) start(ctx context.Context, f *fetcher.Fetcher, ln, ctlLn net.Listener) {
	d.spawn(func() { d.healthLoop(ctx) })
	d.spawn(func() {
		if err := f.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			d.log.Error("scheduler stopped", "err", err)
		}
	})
	d.spawn(func() { d.retentionLoop(ctx) })
	d.spawn(func() {
		if err := serveHTTP(d.httpSrv, ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("http server stopped", "err", err)
		}
	})
	d.spawn(func() {
		if err := d.ctlSrv.Serve(ctlLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("control socket stopped", "err", err)
		}
	})
	if ws := f.WebSub(); ws != nil {
		d.spawn(func() { ws.Run(ctx) })
	}
}

// spawn runs fn on a goroutine the daemon waits for when it stops.
func (d *daemon) spawn(fn func()) {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		fn()
	}()
}

// serveHTTP answers a request of the public server with the current
// publisher. A panic is logged and answered 500 (net/http by itself would
// only drop the connection).
func (d *daemon) serveHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			d.log.Error("http: panic serving request", "path", r.URL.Path, "remote", r.RemoteAddr, "panic", p)
			w.Header().Set("Connection", "close")
			http.Error(w, "internal server error", http.StatusInternalServerError)
		}
	}()
	(*d.handler.Load()).ServeHTTP(w, r)
}

// Limits of the public HTTP server.
const (
	// httpHeaderTimeout: a request's headers must arrive within it of the
	// connection's start or of the previous response (slowloris).
	httpHeaderTimeout = 10 * time.Second
	// httpReadTimeout: the whole request, body included (the admin API's
	// POSTs).
	httpReadTimeout = 30 * time.Second
	// httpWriteTimeout: from the end of the request's headers to the end
	// of the response.
	httpWriteTimeout = 2 * time.Minute
	// httpIdleTimeout: keep-alive connections waiting for their next
	// request close after it.
	httpIdleTimeout = 2 * time.Minute
	// httpMaxHeaderBytes: request line and headers; larger ones get 431.
	httpMaxHeaderBytes = 64 << 10
)

// newHTTPServer is the daemon's public HTTP server, with the limits that
// keep slow or hostile clients from holding it. What net/http logs about
// one client's connection (a TLS handshake that failed, say) goes to the
// debug level; the server's own failure is logged by its caller.
func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: httpHeaderTimeout,
		ReadTimeout:       httpReadTimeout,
		WriteTimeout:      httpWriteTimeout,
		IdleTimeout:       httpIdleTimeout,
		MaxHeaderBytes:    httpMaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
}

// loadTLS loads the certificate of tls_cert and tls_key; nil when the
// config names none.
func loadTLS(cfg *Config) (*tls.Config, error) {
	if cfg.TLSCert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
	if err != nil {
		return nil, &configError{msg: fmt.Sprintf("%s: tls_cert %s with tls_key %s: %v", configName(cfg), cfg.TLSCert, cfg.TLSKey, err)}
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// serveHTTP serves srv on ln: HTTPS (HTTP/2 included) when srv has a TLS
// config, else plain HTTP.
func serveHTTP(srv *http.Server, ln net.Listener) error {
	if srv.TLSConfig != nil {
		return srv.ServeTLS(ln, "", "")
	}
	return srv.Serve(ln)
}

func newPublisher(cfg *Config, st storage.Store, log *slog.Logger, admin *daemonAdmin) (*feedserver.Server, error) {
	opts := cfg.feedserverOptions()
	opts.Logger = log
	if st != nil {
		opts.Health = st.Health
	}
	if admin != nil {
		opts.Admin, opts.ExtraMetrics = admin, admin.writeMetrics
		if ws := admin.fetcher.WebSub(); ws != nil {
			opts.WebSub, opts.WebSubMaxBody = ws, int64(cfg.Fetch.MaxBody)
		}
	}
	pub, err := feedserver.New(st, opts)
	if err != nil {
		return nil, &configError{msg: configName(cfg) + ": " + err.Error()}
	}
	return pub, nil
}

// healthEvery is how often the daemon looks at its health, so that a
// change is logged even when nobody polls /healthz.
const healthEvery = 5 * time.Second

// healthLoop checks the publisher's health every healthEvery until ctx
// ends (CheckHealth logs each change once).
func (d *daemon) healthLoop(ctx context.Context) {
	t := time.NewTicker(healthEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = d.pub.Load().CheckHealth()
		}
	}
}

func (d *daemon) retentionLoop(ctx context.Context) {
	t := time.NewTicker(retentionEvery)
	defer t.Stop()
	for {
		// The store logs what it removed.
		if _, err := d.store.ApplyRetention(ctx); err != nil && ctx.Err() == nil {
			d.log.Error("retention", "err", err)
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
	if cfg.DB != d.cfg.DB || cfg.Listen != d.cfg.Listen || cfg.ControlSocket != d.cfg.ControlSocket ||
		cfg.TLSCert != d.cfg.TLSCert || cfg.TLSKey != d.cfg.TLSKey || !reflect.DeepEqual(cfg.Fetch, d.cfg.Fetch) ||
		cfg.Retention != d.cfg.Retention || cfg.WebSub != d.cfg.WebSub {
		d.log.Warn("reload: changes to db, listen, control_socket, tls_cert, tls_key, fetch, retention or websub take effect after a restart")
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
	h := pub.Handler()
	d.handler.Store(&h)
	d.pub.Store(pub)
	d.hub.watch(pub)
	d.fetcher.SetSourceOptions(cfg.sourceOptions())
	d.fetcher.Reschedule()
	d.log.Info("reloaded config", "sources", len(cfg.Sources), "channels", len(cfg.Channels))
}

// stop drains HTTP requests, stops the scheduler after the fetches in
// flight are recorded, and closes the store (committing what is queued).
func (d *daemon) stop() error {
	d.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	errHTTP := d.httpSrv.Shutdown(sctx)
	errCtl := d.ctlSrv.Shutdown(sctx)
	d.hub.stop()
	d.cancel()
	d.wg.Wait()
	os.Remove(d.sock.Path)
	errStore := d.store.Close()
	return errors.Join(errHTTP, errCtl, errStore)
}
