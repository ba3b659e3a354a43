package main

import (
	"net/url"
	"strings"
	"time"

	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/bolt"
	"github.com/feedmill/feedmill/storage/postgres"
)

// isPostgresDSN tells whether a `db` value names a PostgreSQL database
// (a postgres:// or postgresql:// URL) rather than a bbolt file.
func isPostgresDSN(db string) bool {
	l := strings.ToLower(db)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// displayDB is a `db` value fit for logs and output: a URL's password is
// replaced by "xxxxx".
func displayDB(db string) string {
	if !isPostgresDSN(db) {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	return u.Redacted()
}

// openBackend opens the store db names: a PostgreSQL database for a
// postgres:// URL (with pg's cluster settings; zero = the defaults), else
// the bbolt file at that path.
func openBackend(db string, opts storage.Options, pg postgres.Options) (storage.Store, error) {
	if isPostgresDSN(db) {
		pg.Options = opts
		st, err := postgres.OpenWith(db, pg)
		if err != nil {
			return nil, err
		}
		return st, nil
	}
	st, err := bolt.Open(db, opts)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// clusterOptions are the replicas' settings for a PostgreSQL store: a
// claimed source stays leased for two fetch timeouts and 10 s; a replica
// stops claiming from a host shard a fetch timeout and 5 s before its
// hold would run out, so its fetches end before another replica takes
// the shard over.
func (c *Config) clusterOptions() postgres.Options {
	timeout := c.Fetch.Timeout.D()
	return postgres.Options{
		ShardTTL:    c.hostLease(),
		ShardMargin: timeout + 5*time.Second,
		ClaimLease:  2*timeout + 10*time.Second,
	}
}
