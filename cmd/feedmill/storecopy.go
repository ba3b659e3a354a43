package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/postgres"
)

// cmdStore runs `feedmill store copy FROM TO`: the whole contents of one
// store (a bbolt file or a postgres:// URL) copied into an empty one,
// keeping every ID, so that readers' guids (item IDs) do not change when
// a deployment moves between backends.
func cmdStore(ctx context.Context, env *cmdEnv, args []string) error {
	pos, err := parseInterspersed(env.flags, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%v", err)
	}
	if len(pos) == 0 || pos[0] != "copy" {
		return usagef("want: store copy FROM TO")
	}
	if len(pos) != 3 {
		return usagef("store copy wants FROM and TO: a bbolt file or a postgres:// URL each")
	}
	from, to := pos[1], pos[2]
	if sameStore(from, to) {
		return usagef("FROM and TO are the same store")
	}
	log := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	n, err := copyStoreAt(ctx, from, to, log)
	if err != nil {
		return fmt.Errorf("copy %s to %s: %w", displayDB(from), displayDB(to), err)
	}
	fmt.Fprintf(env.stdout, "copied %d sources, %d items, %d tombstones, %d subscriptions from %s to %s\n",
		n.sources, n.items, n.tombstones, n.subscriptions, displayDB(from), displayDB(to))
	return nil
}

// copyCounts counts the records a copy moved, by kind.
type copyCounts struct{ sources, items, tombstones, subscriptions int }

func (n *copyCounts) add(r storage.Record) {
	switch {
	case r.Source != nil:
		n.sources++
	case r.Item != nil:
		n.items++
	case r.Tombstone != nil:
		n.tombstones++
	case r.Subscription != nil:
		n.subscriptions++
	}
}

// copyStoreAt opens the store at from (read-only where it can) and the
// empty one at to, and copies the first into the second. A bbolt file
// that the copy created is removed when the copy fails.
func copyStoreAt(ctx context.Context, from, to string, log *slog.Logger) (copyCounts, error) {
	src, err := openBackend(from, storage.Options{ReadOnly: !isPostgresDSN(from), Logger: log}, postgres.Options{})
	if errors.Is(err, storage.ErrNeedsMigration) {
		src, err = openBackend(from, storage.Options{Logger: log}, postgres.Options{})
	}
	if err != nil {
		return copyCounts{}, lockHint(err)
	}
	defer src.Close()
	created := false
	if !isPostgresDSN(to) {
		_, serr := os.Stat(to)
		created = errors.Is(serr, fs.ErrNotExist)
	}
	dst, err := openBackend(to, storage.Options{Logger: log}, postgres.Options{})
	if err != nil {
		return copyCounts{}, lockHint(err)
	}
	n, err := copyInto(ctx, src, dst)
	if cerr := dst.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close %s: %w", displayDB(to), cerr)
	}
	if err != nil && created {
		os.Remove(to)
	}
	return n, err
}

// copyInto checks that dst is empty and streams src's export into dst's
// import.
func copyInto(ctx context.Context, src, dst storage.Store) (copyCounts, error) {
	ex, ok := src.(storage.Exporter)
	if !ok {
		return copyCounts{}, fmt.Errorf("the source store (%T) cannot export its contents", src)
	}
	im, ok := dst.(storage.Importer)
	if !ok {
		return copyCounts{}, fmt.Errorf("the target store (%T) cannot import", dst)
	}
	have, err := dst.Sources()
	if err != nil {
		return copyCounts{}, fmt.Errorf("read the target: %w", err)
	}
	if len(have) > 0 {
		return copyCounts{}, fmt.Errorf("the target is not empty (%d sources): copy into a new file or an empty database", len(have))
	}
	return streamCopy(ctx, ex, im)
}

// streamCopy runs ex's Export and im's Import side by side, records
// passing from one to the other through a channel.
func streamCopy(ctx context.Context, ex storage.Exporter, im storage.Importer) (copyCounts, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	recs := make(chan storage.Record, 256)
	exported := make(chan error, 1)
	go func() {
		defer close(recs)
		exported <- ex.Export(ctx, func(r storage.Record) error {
			select {
			case recs <- r:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	var (
		n         copyCounts
		exportErr error
		ended     bool
	)
	next := func() (storage.Record, bool, error) {
		r, ok := <-recs
		if !ok {
			if !ended {
				ended, exportErr = true, <-exported
			}
			return storage.Record{}, false, exportErr
		}
		n.add(r)
		return r, true, nil
	}
	err := im.Import(ctx, next)
	cancel()
	for range recs { // let the export end
	}
	if !ended {
		exportErr = <-exported
	}
	if err == nil && exportErr != nil {
		err = exportErr
	}
	return n, err
}

// sameStore tells whether a and b name one store: the same URL, or paths
// to the same file.
func sameStore(a, b string) bool {
	if isPostgresDSN(a) || isPostgresDSN(b) {
		return a == b
	}
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	return a == b || errA == nil && errB == nil && absA == absB
}

// lockHint adds what to do to an error of a store another process holds.
func lockHint(err error) error {
	if errors.Is(err, storage.ErrLocked) {
		return fmt.Errorf("%w: stop the daemon (feedmill serve) that holds it first", err)
	}
	return err
}
