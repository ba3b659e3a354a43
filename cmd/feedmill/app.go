package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"syscall"

	"github.com/feedmill/feedmill/fetcher"
	"github.com/feedmill/feedmill/storage"
)

// newLogger builds the one logger passed down to every room.
func newLogger(cfg *Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openStore opens the config's store for writing. A store held by another
// process gives an error wrapping storage.ErrLocked; one that cannot be
// written says what to do. openBackend's errors name the store already.
func openStore(cfg *Config, log *slog.Logger) (storage.Store, error) {
	opts := cfg.storageOptions()
	opts.Logger = log
	st, err := openBackend(cfg.DB, opts)
	if err != nil && isReadOnlyErr(err) {
		return nil, fmt.Errorf("%w; this command writes the store: make it and its folder writable or set `db:` to a writable path (sources list, export, render, backup and explain read it as it is)", err)
	}
	return st, err
}

// openReadStore opens the config's store for a command that only reads
// (sources list, export, render, backup, explain) and runs without a
// daemon. An existing store whose config sources are in place is opened
// read-only, so these commands work on a read-only file system and beside
// other readers. A store that does not exist yet, needs a schema migration
// or lacks the config's latest sources is opened writable and synced, as
// every command did before; when that fails because the file or its file
// system is read-only, the store is read as it is, with a warning. The
// caller closes the store.
func openReadStore(ctx context.Context, cfg *Config, env *cmdEnv) (storage.Store, *slog.Logger, error) {
	log := newLogger(cfg, env.stderr)
	if isPostgresDSN(cfg.DB) {
		// A database has no read-only file to fall back on.
		st, _, err := openSyncedStore(ctx, cfg, env)
		return st, log, err
	}
	opts := cfg.storageOptions()
	opts.Logger = log
	opts.ReadOnly = true
	st, err := openBackend(cfg.DB, opts)
	if err == nil && configApplied(cfg, st) {
		return st, log, nil
	}
	if err == nil {
		st.Close()
	} else if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, storage.ErrNeedsMigration) {
		return nil, nil, err
	}
	st, _, werr := openSyncedStore(ctx, cfg, env)
	if werr == nil || err != nil || !isReadOnlyErr(werr) {
		return st, log, werr
	}
	log.Warn("store is read-only: config sources not applied to it", "store", displayDB(cfg.DB), "err", werr)
	st, err = openBackend(cfg.DB, opts)
	return st, log, err
}

// isReadOnlyErr tells whether err comes from a file or file system that
// cannot be written.
func isReadOnlyErr(err error) bool {
	return errors.Is(err, syscall.EROFS) || errors.Is(err, fs.ErrPermission)
}

// configApplied tells whether syncSources would leave st unchanged: every
// config source is stored with the config's settings, and no source the
// config once added is gone from it.
func configApplied(cfg *Config, st storage.Store) bool {
	want := map[string]bool{}
	for _, src := range cfg.configSources() {
		want[src.URL] = true
		have, err := st.SourceByURL(src.URL)
		if err != nil || have.Origin != src.Origin || have.Title != src.Title || !slices.Equal(have.Tags, src.Tags) ||
			have.Every != src.Every || have.Cron != src.Cron || have.Paused != src.Paused || have.Priority != src.Priority {
			return false
		}
	}
	all, err := st.Sources()
	if err != nil {
		return false
	}
	for _, src := range all {
		if src.Origin == storage.OriginConfig && !want[src.URL] && !want[src.Subscribed] {
			return false
		}
	}
	return true
}

// syncSources makes the store's config sources match the config: each is
// added or updated (the config wins over a source of the same URL added by
// the CLI or API), and a source the config once added but no longer lists is
// removed with its items. Sources added through the CLI, the API or OPML are
// left alone.
func syncSources(ctx context.Context, cfg *Config, st storage.Store, log *slog.Logger) error {
	want := map[string]bool{}
	for _, src := range cfg.configSources() {
		want[src.URL] = true
		if _, err := st.UpsertSource(ctx, src); err != nil {
			return fmt.Errorf("source %s: %w", src.URL, err)
		}
	}
	all, err := st.Sources()
	if err != nil {
		return err
	}
	for _, src := range all {
		if src.Origin != storage.OriginConfig || want[src.URL] || want[src.Subscribed] {
			continue
		}
		log.Info("removing source no longer in the config", "url", src.URL, "items", src.Stats.Items)
		if err := st.RemoveSource(ctx, src.URL); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("remove source %s: %w", src.URL, err)
		}
	}
	return nil
}

// newFetcher wires a fetcher to the store with the config's options.
func newFetcher(cfg *Config, st storage.Store, log *slog.Logger) *fetcher.Fetcher {
	opts := cfg.fetcherOptions()
	opts.Logger = log
	return fetcher.New(st, opts)
}

// isTerminal reports whether w is a terminal (for progress output).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// openSyncedStore opens the config's store for a one-shot command that runs
// without a daemon, with the config's sources synced into it. The caller
// closes the store.
func openSyncedStore(ctx context.Context, cfg *Config, env *cmdEnv) (storage.Store, *slog.Logger, error) {
	log := newLogger(cfg, env.stderr)
	st, err := openStore(cfg, log)
	if err != nil {
		return nil, nil, err
	}
	if err := syncSources(ctx, cfg, st, log); err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, log, nil
}

// withStore runs remote against the daemon's control socket when a daemon
// holds the store, else local against the store opened (and synced) here.
func withStore(ctx context.Context, cfg *Config, env *cmdEnv, remote func(*daemonClient) error, local func(storage.Store) error) error {
	if d := dialDaemon(cfg); d != nil {
		return remote(d)
	}
	st, _, err := openSyncedStore(ctx, cfg, env)
	if err != nil {
		return err
	}
	defer st.Close()
	return local(st)
}

// withReadStore is withStore for a command that only reads: local gets the
// store opened by openReadStore.
func withReadStore(ctx context.Context, cfg *Config, env *cmdEnv, remote func(*daemonClient) error, local func(storage.Store) error) error {
	if d := dialDaemon(cfg); d != nil {
		return remote(d)
	}
	st, _, err := openReadStore(ctx, cfg, env)
	if err != nil {
		return err
	}
	defer st.Close()
	return local(st)
}
