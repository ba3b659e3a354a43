package main

import (
	"net/url"
	"strings"

	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/bolt"
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
// postgres:// URL, else the bbolt file at that path.
func openBackend(db string, opts storage.Options) (storage.Store, error) {
	st, err := bolt.Open(db, opts)
	if err != nil {
		return nil, err
	}
	return st, nil
}
