package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/feedmill/feedmill/storage"
)

// cmdBackup writes a consistent copy of the store to FILE: through the
// daemon when one holds the store, else directly. To restore, stop the
// daemon and put the copy in place of the db file (README, "Backup").
func cmdBackup(ctx context.Context, env *cmdEnv, args []string) error {
	cfg, pos, err := env.load(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want exactly one FILE to write the backup to")
	}
	dst, err := filepath.Abs(pos[0])
	if err != nil {
		return err
	}
	var n int64
	if d := dialDaemon(cfg); d != nil {
		var out struct{ Bytes int64 }
		if err := d.callJSON(ctx, "POST", "/v1/backup", backupRequest{Path: dst}, &out); err != nil {
			return err
		}
		n = out.Bytes
	} else {
		st, _, err := openReadStore(ctx, cfg, env)
		if err != nil {
			return err
		}
		defer st.Close()
		if n, err = writeBackup(st, dst); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.stdout, "wrote %s (%d bytes)\n", dst, n)
	return nil
}

// errNoBackup is the answer of `backup` on a store that cannot copy
// itself: a PostgreSQL database is backed up with PostgreSQL's own tools.
var errNoBackup = errors.New("backup: this store is a PostgreSQL database: back it up with pg_dump, e.g. `pg_dump --format=custom --file=feedmill.dump \"$FEEDMILL_DB\"` (restore with pg_restore), or use `feedmill store copy` to copy it into a bbolt file")

// writeBackup writes the store's copy to a temporary file beside dst,
// syncs it and renames it into place, so dst is either the old file or a
// whole new copy, never a torn one.
func writeBackup(st storage.Store, dst string) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".feedmill-backup-*")
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(tmp.Name())
	b, ok := st.(storage.Backuper)
	if !ok {
		return 0, errNoBackup
	}
	n, err := b.Backup(tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o600)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		return 0, fmt.Errorf("backup to %s: %w", dst, err)
	}
	return n, nil
}
