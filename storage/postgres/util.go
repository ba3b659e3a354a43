package postgres

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/feedmill/feedmill/storage"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// describeDSN names the database at dsn for messages: database, user and
// host, never the password.
func describeDSN(dsn string) string {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		if u, uerr := url.Parse(dsn); uerr == nil && u.Scheme != "" {
			u.User = nil
			u.RawQuery = ""
			return u.Redacted()
		}
		return "postgres (unparsable DSN)"
	}
	return "postgres database " + cfg.Database + " as " + cfg.User + " on " + cfg.Host
}

// redact drops a DSN parse error's text, which may quote the password.
func redact(err error) error {
	if strings.Contains(err.Error(), "password") || strings.Contains(err.Error(), "@") {
		return errors.New("malformed DSN")
	}
	return err
}

// refusedError is an error a write returns by the caller's doing (a URL
// taken, a store not empty): not a failure of the store.
type refusedError struct{ error }

func (e refusedError) Unwrap() error { return e.error }

// retryable reports whether a transaction failed in a way that running it
// again can fix: a serialization failure or a deadlock.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// isConstraint reports whether err is the caller's doing rather than the
// database's: a constraint violation or a refusal.
func isConstraint(err error) bool {
	var pe *pgconn.PgError
	var re refusedError
	return errors.As(err, &re) || errors.As(err, &pe) && strings.HasPrefix(pe.Code, "23")
}

// pubNanos is t as stored and compared (storage.Nanos).
func pubNanos(t time.Time) int64 { return storage.Nanos(t) }

// fromNanos is the time of a stored nanosecond count; 0 is the zero time.
func fromNanos(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// ids converts uint64 IDs to the int64s PostgreSQL stores.
func ids(in []uint64) []int64 {
	out := make([]int64, len(in))
	for i, v := range in {
		out[i] = int64(v)
	}
	return out
}
