package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/feedmill/feedmill/storage"
	"github.com/jackc/pgx/v5"
)

// LookupStories looks up the stories of items (IDs set, not stored) in a
// read-only transaction, and returns how many found one: the lookup
// RecordFetch makes for new items, for benchmarks.
func (s *Store) LookupStories(ctx context.Context, items []*storage.Item) (int, error) {
	var n int
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		m, err := findStories(ctx, tx, items)
		n = len(m)
		return err
	})
	return n, err
}

// LookupServerTime is the server's execution time of the candidate query
// for items (EXPLAIN ANALYZE).
func (s *Store) LookupServerTime(ctx context.Context, items []*storage.Item) (time.Duration, error) {
	var plan []byte
	err := s.pool.QueryRow(ctx, `EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) `+candidatesSQL, candidateArgs(items)...).Scan(&plan)
	if err != nil {
		return 0, err
	}
	var out []struct {
		ExecutionTime float64 `json:"Execution Time"`
	}
	if err := json.Unmarshal(plan, &out); err != nil || len(out) == 0 {
		return 0, err
	}
	return time.Duration(out[0].ExecutionTime * float64(time.Millisecond)), nil
}

// Exec runs a statement on the store's database (benchmark data).
func (s *Store) Exec(ctx context.Context, sql string, args ...any) error {
	_, err := s.pool.Exec(ctx, sql, args...)
	return err
}

// Upkeep runs the hourly upkeep now.
func (s *Store) Upkeep(ctx context.Context) error { return s.upkeep(ctx) }

// Partitions are the names of neardup's partitions, sorted.
func (s *Store) Partitions(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'neardup'::regclass ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
