package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/feedmill/feedmill/fetcher"
	"github.com/feedmill/feedmill/storage"
)

// cmdFetch runs one pass: through the daemon when one holds the store,
// else on the store directly. Exit code 3 when any source failed; what the
// others returned is stored either way.
func cmdFetch(ctx context.Context, env *cmdEnv, args []string) error {
	all := env.flags.Bool("all", false, "fetch every source now, due or not (never a retired one, or one inside a Retry-After window)")
	cfg, urls, err := env.load(args)
	if err != nil {
		return err
	}
	log := newLogger(cfg, env.stderr)
	out := &passPrinter{w: env.stdout}
	if isTerminal(env.stderr) {
		// A progress bar on the terminal; plain lines otherwise.
		out.bar = newProgressBar(env.stderr)
	}
	req := fetchRequest{All: *all, URLs: urls}

	var rep fetcher.Report
	if d := dialDaemon(cfg); d != nil {
		log.Debug("store held by a running daemon: asking it for the pass", "socket", d.sock)
		rep, err = d.pass(ctx, req, out.start, out.result)
	} else {
		rep, err = localPass(ctx, cfg, req, out.start, out.result)
	}
	out.done()
	if err != nil {
		return err
	}
	out.summary(rep)
	if rep.Failed > 0 {
		return errSourcesFailed
	}
	return nil
}

// localPass opens the store itself (no daemon answers on the control
// socket) and runs one pass; on a store replicas share, it asks them for
// the pass when any runs (PassOptions.Cluster), else fetches itself.
func localPass(ctx context.Context, cfg *Config, req fetchRequest, onStart func(int), onResult func(fetcher.Result)) (fetcher.Report, error) {
	log := newLogger(cfg, io.Discard)
	st, err := openStore(cfg, log)
	if err != nil {
		if errors.Is(err, storage.ErrLocked) {
			return fetcher.Report{}, fmt.Errorf("%w, and no daemon answers on %s", err, socketPath(cfg).Path)
		}
		return fetcher.Report{}, err
	}
	defer st.Close()
	if err := syncSources(ctx, cfg, st, log); err != nil {
		return fetcher.Report{}, err
	}
	f := newFetcher(cfg, st, log)
	po := fetcher.PassOptions{All: req.All, URLs: req.URLs, OnStart: onStart, OnResult: onResult}
	if c, ok := st.(storage.Claimer); ok {
		// Replicas share the store: they fetch, this command waits.
		n, err := c.Replicas(ctx)
		if err != nil {
			return fetcher.Report{}, err
		}
		po.Cluster = n > 0
	}
	return f.Pass(ctx, po)
}

// passPrinter prints a line per failed source as results arrive, and a
// one-line summary at the end; on a terminal, a progress bar too.
type passPrinter struct {
	mu  sync.Mutex
	w   io.Writer
	bar *progressBar // nil = no bar
}

func (p *passPrinter) start(total int) {
	if p.bar != nil {
		p.bar.begin(total)
	}
}

// done removes the progress bar before the summary.
func (p *passPrinter) done() {
	if p.bar != nil {
		p.bar.clear()
	}
}

func (p *passPrinter) result(r fetcher.Result) {
	if p.bar != nil {
		defer p.bar.step(r.Err != "")
	}
	if r.Err == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.clear()
	}
	status := ""
	if r.Status != 0 {
		status = fmt.Sprintf(" [HTTP %d]", r.Status)
	}
	fmt.Fprintf(p.w, "FAILED %s%s: %s\n", r.URL, status, r.Err)
}

func (p *passPrinter) summary(rep fetcher.Report) {
	var added, updated, notModified int
	for _, r := range rep.Results {
		added += r.Added
		updated += r.Updated
		if r.NotModified {
			notModified++
		}
	}
	fmt.Fprintf(p.w, "fetched %d sources in %s: %d new items, %d updated, %d not modified, %d failed\n",
		len(rep.Results), rep.Duration.Round(time.Millisecond), added, updated, notModified, rep.Failed)
}
