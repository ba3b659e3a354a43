package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// partitionDays is how many days ahead of today upkeep keeps daily
// partitions of neardup.
const partitionDays = 3

// upkeepLock is the advisory lock one process's upkeep holds at a time.
const upkeepLock = migrationLock + 1

// upkeep runs hourly (and at Open): it creates the daily partitions of
// neardup from MaxAge (else partitionDays) ago to partitionDays ahead,
// drops those wholly older than MaxAge and a day (retention removed
// their items), and forgets old removals and replicas. A day whose rows
// went to the DEFAULT partition meanwhile (items dated far ahead) keeps
// them there: lookups still find them.
func (s *Store) upkeep(ctx context.Context) error {
	back := s.ret.MaxAge
	if back <= 0 {
		back = partitionDays * 24 * time.Hour
	}
	now := s.now().UTC()
	first := now.Add(-back).Truncate(24 * time.Hour)
	last := now.Truncate(24*time.Hour).AddDate(0, 0, partitionDays)
	for day := first; !day.After(last); day = day.AddDate(0, 0, 1) {
		if err := s.createPartition(ctx, day); err != nil {
			s.log.Debug("near-duplicate partition not created", "day", day.Format(time.DateOnly), "err", err)
		}
	}
	if s.ret.MaxAge > 0 {
		if err := s.dropPartitions(ctx, first.AddDate(0, 0, -1)); err != nil {
			return err
		}
	}
	_, err := s.pool.Exec(ctx, `DELETE FROM source_removals WHERE at < now() - interval '1 hour';
		DELETE FROM replicas WHERE seen_at < now() - interval '1 hour'`)
	return err
}

// partitionName is the neardup partition of a day.
func partitionName(day time.Time) string { return "neardup_" + day.Format("20060102") }

// createPartition creates the partition of day unless it exists.
func (s *Store) createPartition(ctx context.Context, day time.Time) error {
	name := partitionName(day)
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, upkeepLock); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&exists); err != nil || exists {
			return err
		}
		_, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TABLE %s PARTITION OF neardup FOR VALUES FROM (%d) TO (%d)`,
			name, day.UnixNano(), day.AddDate(0, 0, 1).UnixNano()))
		return err
	})
}

// dropPartitions drops the daily partitions of days before before.
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
		day, err := time.Parse("20060102", strings.TrimPrefix(name, "neardup_"))
		if err != nil || !day.Before(before) {
			continue
		}
		if _, err := s.pool.Exec(ctx, `DROP TABLE IF EXISTS `+name); err != nil {
			return fmt.Errorf("drop partition %s: %w", name, err)
		}
	}
	return nil
}
