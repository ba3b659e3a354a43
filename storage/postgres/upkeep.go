package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// partitionSpan is the range of published times of one partition of
// neardup: a week (from Monday, UTC). A lookup's window (±72 h) touches
// one or two, where daily partitions made it probe seven indexes per key
// (and take twice as long).
const partitionSpan = 7 * 24 * time.Hour

// partitionAhead is how far past now upkeep keeps partitions ready.
const partitionAhead = 3 * 24 * time.Hour

// upkeepLock is the advisory lock one process's upkeep holds at a time.
const upkeepLock = migrationLock + 1

// upkeep runs hourly (and at Open): it creates the weekly partitions of
// neardup from MaxAge (else a week) ago to partitionAhead ahead, drops
// those wholly older than MaxAge and a day (retention removed their
// items), and forgets old removals and replicas. A week whose rows went
// to the DEFAULT partition meanwhile (items dated far ahead) keeps them
// there: lookups still find them.
func (s *Store) upkeep(ctx context.Context) error {
	back := s.ret.MaxAge
	if back <= 0 {
		back = partitionSpan
	}
	now := s.now().UTC()
	first := now.Add(-back).Truncate(partitionSpan)
	last := now.Add(partitionAhead).Truncate(partitionSpan)
	for week := first; !week.After(last); week = week.Add(partitionSpan) {
		if err := s.createPartition(ctx, week); err != nil {
			s.log.Debug("near-duplicate partition not created", "week", week.Format(time.DateOnly), "err", err)
		}
	}
	if s.ret.MaxAge > 0 {
		if err := s.dropPartitions(ctx, now.Add(-s.ret.MaxAge-24*time.Hour)); err != nil {
			return err
		}
	}
	_, err := s.pool.Exec(ctx, `DELETE FROM source_removals WHERE at < now() - interval '1 hour';
		DELETE FROM replicas WHERE seen_at < now() - interval '1 hour'`)
	return err
}

// partitionName is the neardup partition of the week from start.
func partitionName(start time.Time) string { return "neardup_" + start.Format("20060102") }

// createPartition creates the partition of the week from start unless it
// exists.
func (s *Store) createPartition(ctx context.Context, start time.Time) error {
	name := partitionName(start)
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, upkeepLock); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&exists); err != nil || exists {
			return err
		}
		_, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TABLE %s PARTITION OF neardup FOR VALUES FROM (%d) TO (%d)`,
			name, start.UnixNano(), start.Add(partitionSpan).UnixNano()))
		return err
	})
}

// dropPartitions drops the partitions of weeks that ended before before.
func (s *Store) dropPartitions(ctx context.Context, before time.Time) error {
	rows, err := s.pool.Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'neardup'::regclass AND c.relname LIKE 'neardup\_%' AND c.relname <> 'neardup_default'`)
	if err != nil {
		return err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, name := range names {
		start, err := time.Parse("20060102", strings.TrimPrefix(name, "neardup_"))
		if err != nil || !start.Add(partitionSpan).Before(before) {
			continue
		}
		if _, err := s.pool.Exec(ctx, `DROP TABLE IF EXISTS `+name); err != nil {
			return fmt.Errorf("drop partition %s: %w", name, err)
		}
	}
	return nil
}
