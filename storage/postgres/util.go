package postgres

import (
	"errors"
	"math"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

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

// pubNanos is t as stored and compared: nanoseconds since the epoch, 0
// for earlier times, MaxInt64 past 2262.
func pubNanos(t time.Time) int64 {
	switch {
	case t.IsZero() || t.Before(unixEpoch):
		return 0
	case t.After(maxNanoTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

var (
	unixEpoch   = time.Unix(0, 0)
	maxNanoTime = time.Unix(0, math.MaxInt64)
)

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

// versions is the in-memory change counter behind Version.
type versions struct {
	global atomic.Uint64
	base   uint64 // the global value at Open: sources unchanged since
	mu     sync.RWMutex
	per    map[uint64]uint64 // source ID -> global value at its last change
}

func (v *versions) init() {
	v.global.Store(1)
	v.base = 1
	v.per = make(map[uint64]uint64)
}

// bump records a change of the given sources (none = a global change only).
func (v *versions) bump(ids ...uint64) {
	v.mu.Lock()
	g := v.global.Add(1)
	for _, id := range ids {
		v.per[id] = g
	}
	v.mu.Unlock()
}

func (v *versions) get(ids []uint64) uint64 {
	if ids == nil {
		return v.global.Load()
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	n := v.base
	for _, id := range ids {
		if m, ok := v.per[id]; ok && m > n {
			n = m
		}
	}
	return n
}
