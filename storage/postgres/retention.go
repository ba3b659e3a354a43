package postgres

import (
	"context"
	"fmt"

	"github.com/feedmill/feedmill/storage"
	"github.com/jackc/pgx/v5"
)

// retentionChunk is how many items one retention transaction removes.
const retentionChunk = 1000

// ApplyRetention removes items published before now − MaxAge, leaving
// tombstones so that feeds still carrying them do not bring them back,
// and purges tombstones older than that; it returns how many items it
// removed. It works in transactions of retentionChunk items; when ctx
// ends it returns what it removed with ctx's error. Without a MaxAge it
// does nothing.
func (s *Store) ApplyRetention(ctx context.Context) (int, error) {
	if s.ret.MaxAge <= 0 {
		return 0, nil
	}
	now := s.now()
	cutoff := pubNanos(now.Add(-s.ret.MaxAge))
	total := 0
	for {
		var (
			n       int
			touched map[int64]int64
		)
		err := s.write(ctx, func(tx pgx.Tx) error {
			var err error
			n, touched, err = removeOlder(ctx, tx, cutoff, s)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("apply retention in %s: %w", s.name, err)
		}
		for id, vis := range touched {
			s.changed(uint64(id), vis)
		}
		total += n
		if n < retentionChunk {
			break
		}
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM tombstones WHERE at_ns < $1`, cutoff); err != nil {
		return total, fmt.Errorf("apply retention in %s: purge tombstones: %w", s.name, err)
	}
	if total > 0 {
		s.log.Info("retention removed items", "items", total, "max_age", s.ret.MaxAge)
	}
	return total, nil
}

// removeOlder removes up to retentionChunk of the oldest items published
// before cutoff, locking their sources first (in ID order, as every
// writer locks a source before its items). It returns how many it removed
// and the new vis of each source touched.
func removeOlder(ctx context.Context, tx pgx.Tx, cutoff int64, s *Store) (int, map[int64]int64, error) {
	rows, err := tx.Query(ctx, `SELECT id FROM sources WHERE id IN (
			SELECT DISTINCT source_id FROM (SELECT source_id FROM items WHERE published_ns < $1
				ORDER BY published_ns, id LIMIT $2) v)
		ORDER BY id FOR UPDATE`, cutoff, retentionChunk)
	if err != nil {
		return 0, nil, err
	}
	if _, err := pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
		return 0, nil, err
	}
	rows, err = tx.Query(ctx, `SELECT id, source_id FROM items WHERE published_ns < $1
		ORDER BY published_ns, id LIMIT $2`, cutoff, retentionChunk)
	if err != nil {
		return 0, nil, err
	}
	var victims []int64
	perSource := map[int64]int{}
	for rows.Next() {
		var id, src int64
		if err := rows.Scan(&id, &src); err != nil {
			rows.Close()
			return 0, nil, err
		}
		victims = append(victims, id)
		perSource[src]++
	}
	rows.Close()
	if err := removeItems(ctx, tx, victims, s.now()); err != nil {
		return 0, nil, err
	}
	touched := make(map[int64]int64, len(perSource))
	for src, n := range perSource {
		var vis int64
		err := tx.QueryRow(ctx, `UPDATE sources SET items = GREATEST(items - $2, 0), changed_ns = $3,
				vis = vis + 1, txid = pg_current_xact_id() WHERE id = $1 RETURNING vis`,
			src, n, pubNanos(s.now())).Scan(&vis)
		if err != nil {
			return 0, nil, err
		}
		touched[src] = vis
	}
	return len(victims), touched, nil
}

// PutSubscription stores sub as the subscription of its source,
// replacing any other.
func (s *Store) PutSubscription(ctx context.Context, sub storage.Subscription) error {
	doc, err := encodeSubscription(sub)
	if err != nil {
		return fmt.Errorf("encode subscription of source %d: %w", sub.SourceID, err)
	}
	err = s.write(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO subscriptions (source_id, doc) VALUES ($1, $2)
			ON CONFLICT (source_id) DO UPDATE SET doc = excluded.doc`, int64(sub.SourceID), doc)
		return err
	})
	if err != nil {
		return fmt.Errorf("store subscription of source %d in %s: %w", sub.SourceID, s.name, err)
	}
	return nil
}

// DeleteSubscription forgets the subscription of a source (none is fine).
func (s *Store) DeleteSubscription(ctx context.Context, sourceID uint64) error {
	err := s.write(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM subscriptions WHERE source_id = $1`, int64(sourceID))
		return err
	})
	if err != nil {
		return fmt.Errorf("delete subscription of source %d in %s: %w", sourceID, s.name, err)
	}
	return nil
}

// Subscriptions returns every subscription, by source ID.
func (s *Store) Subscriptions() (map[uint64]storage.Subscription, error) {
	out := map[uint64]storage.Subscription{}
	rows, err := s.pool.Query(context.Background(), `SELECT source_id, doc FROM subscriptions`)
	if err != nil {
		return nil, fmt.Errorf("subscriptions in %s: %w", s.name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var doc []byte
		if err := rows.Scan(&id, &doc); err != nil {
			return nil, fmt.Errorf("subscriptions in %s: %w", s.name, err)
		}
		sub, err := decodeSubscription(uint64(id), doc)
		if err != nil {
			return nil, fmt.Errorf("subscriptions in %s: %w", s.name, err)
		}
		out[uint64(id)] = sub
	}
	return out, rows.Err()
}
