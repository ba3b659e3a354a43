package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/feedmill/feedmill/storage"
	"github.com/jackc/pgx/v5"
)

// Export calls fn with every record from one snapshot of the database:
// sources by ID, then items by ID (with Key, Story, Lead and RawHash),
// tombstones, subscriptions. It stops at fn's first error.
func (s *Store) Export(ctx context.Context, fn func(storage.Record) error) error {
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		srcs, err := s.querySources(ctx, tx, `SELECT `+sourceColumns+` FROM sources ORDER BY id`)
		if err != nil {
			return err
		}
		for i := range srcs {
			srcs[i].Lease = 0
			if err := fn(storage.Record{Source: &srcs[i]}); err != nil {
				return err
			}
		}
		if err := exportItems(ctx, tx, fn); err != nil {
			return err
		}
		if err := exportTombstones(ctx, tx, fn); err != nil {
			return err
		}
		return exportSubscriptions(ctx, tx, fn)
	})
	if err != nil {
		return fmt.Errorf("export %s: %w", s.name, err)
	}
	return nil
}

// exportItems yields every item, in chunks by ID.
func exportItems(ctx context.Context, tx pgx.Tx, fn func(storage.Record) error) error {
	var last int64
	for {
		rows, err := tx.Query(ctx, `SELECT `+itemColumns+`, lead, raw_hash FROM items WHERE id > $1 ORDER BY id LIMIT 1000`, last)
		if err != nil {
			return err
		}
		var chunk []storage.Item
		for rows.Next() {
			var lead []int32
			var raw int64
			it, err := scanItem(rows, &lead, &raw)
			if err != nil {
				rows.Close()
				return err
			}
			it.Lead, it.RawHash = leadFrom(nil, lead), uint64(raw)
			chunk = append(chunk, it)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range chunk {
			if err := fn(storage.Record{Item: &chunk[i]}); err != nil {
				return err
			}
		}
		if len(chunk) < 1000 {
			return nil
		}
		last = int64(chunk[len(chunk)-1].ID)
	}
}

func exportTombstones(ctx context.Context, tx pgx.Tx, fn func(storage.Record) error) error {
	rows, err := tx.Query(ctx, `SELECT source_id, key, at_ns FROM tombstones ORDER BY source_id, key`)
	if err != nil {
		return err
	}
	var src, at int64
	var key string
	_, err = pgx.ForEachRow(rows, []any{&src, &key, &at}, func() error {
		return fn(storage.Record{Tombstone: &storage.Tombstone{SourceID: uint64(src), Key: key, At: fromNanos(at)}})
	})
	return err
}

func exportSubscriptions(ctx context.Context, tx pgx.Tx, fn func(storage.Record) error) error {
	return eachSubscription(ctx, tx, func(sub storage.Subscription) error {
		return fn(storage.Record{Subscription: &sub})
	})
}

// importBatch is how many rows Import sends per round trip.
const importBatch = 500

// Import writes the records next yields into the store, which must hold
// no source, in one transaction, keeping every ID; items are indexed as
// they come (with the Story they have). The identity sequences then
// continue past the largest IDs imported.
func (s *Store) Import(ctx context.Context, next func() (storage.Record, bool, error)) error {
	tried := false
	err := s.write(ctx, func(tx pgx.Tx) error {
		if tried {
			return errors.New("the transaction failed and next cannot be replayed: import again")
		}
		tried = true
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM sources`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return refusedError{fmt.Errorf("the store is not empty (%d sources): import needs an empty one", n)}
		}
		if err := importRecords(ctx, tx, next); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('sources', 'id'), COALESCE((SELECT max(id) FROM sources), 0) + 1, false);
			SELECT setval(pg_get_serial_sequence('items', 'id'), COALESCE((SELECT max(id) FROM items), 0) + 1, false)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("import into %s: %w", s.name, err)
	}
	s.ver.Bump()
	return nil
}

// importRecords writes the records in batches, refusing one it cannot
// place (checked ahead: a batch's errors would not name the record).
func importRecords(ctx context.Context, tx pgx.Tx, next func() (storage.Record, bool, error)) error {
	batch := &pgx.Batch{}
	flush := func() error {
		if batch.Len() == 0 {
			return nil
		}
		err := tx.SendBatch(ctx, batch).Close()
		batch = &pgx.Batch{}
		return err
	}
	seen := importSeen{sources: map[uint64]bool{}, items: map[uint64]bool{}}
	for n := 1; ; n++ {
		r, ok, err := next()
		if err != nil {
			return err
		}
		if !ok {
			return flush()
		}
		if err := seen.check(r); err != nil {
			return refusedError{fmt.Errorf("record %d: %w", n, err)}
		}
		if err := queueRecord(batch, r); err != nil {
			return fmt.Errorf("record %d: %w", n, err)
		}
		if batch.Len() >= importBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
}

// importSeen is what Import has taken so far.
type importSeen struct {
	sources, items map[uint64]bool
}

// check refuses a record with not exactly one part, a second source or
// item with one ID, and anything of a source not imported before it.
func (seen importSeen) check(r storage.Record) error {
	parts := 0
	for _, set := range []bool{r.Source != nil, r.Item != nil, r.Tombstone != nil, r.Subscription != nil} {
		if set {
			parts++
		}
	}
	switch {
	case parts != 1:
		return fmt.Errorf("%d parts, want one", parts)
	case r.Source != nil && seen.sources[r.Source.ID]:
		return fmt.Errorf("source %d imported twice", r.Source.ID)
	case r.Source != nil:
		seen.sources[r.Source.ID] = true
	case r.Item != nil && !seen.sources[r.Item.SourceID]:
		return fmt.Errorf("item %d of source %d, which was not imported", r.Item.ID, r.Item.SourceID)
	case r.Item != nil && seen.items[r.Item.ID]:
		return fmt.Errorf("item %d imported twice", r.Item.ID)
	case r.Item != nil:
		seen.items[r.Item.ID] = true
	case r.Tombstone != nil && !seen.sources[r.Tombstone.SourceID]:
		return fmt.Errorf("tombstone %s of source %d, which was not imported", r.Tombstone.Key, r.Tombstone.SourceID)
	case r.Subscription != nil && !seen.sources[r.Subscription.SourceID]:
		return fmt.Errorf("subscription of source %d, which was not imported", r.Subscription.SourceID)
	}
	return nil
}

// queueRecord queues the rows of one (checked) record.
func queueRecord(batch *pgx.Batch, r storage.Record) error {
	switch {
	case r.Source != nil:
		return queueSource(batch, r.Source)
	case r.Item != nil:
		it := *r.Item
		if it.Hash == 0 {
			it.Hash = it.BodyHash()
		}
		return queueInsert(batch, &it)
	case r.Tombstone != nil:
		t := r.Tombstone
		batch.Queue(`INSERT INTO tombstones (source_id, key, at_ns) VALUES ($1, $2, $3)`, int64(t.SourceID), t.Key, pubNanos(t.At))
	case r.Subscription != nil:
		doc, err := encodeSubscription(*r.Subscription)
		if err != nil {
			return err
		}
		batch.Queue(`INSERT INTO subscriptions (source_id, doc) VALUES ($1, $2)`, int64(r.Subscription.SourceID), doc)
	}
	return nil
}

// queueSource queues a source's rows with its ID, State and Stats.
func queueSource(batch *pgx.Batch, src *storage.Source) error {
	conf, err := confOf(src)
	if err != nil {
		return err
	}
	state, err := json.Marshal(src.State)
	if err != nil {
		return err
	}
	sub := src.Subscribed
	if sub == "" {
		sub = src.URL
	}
	due := dueAt(src.State)
	next := due
	if src.Paused {
		next = nil
	}
	batch.Queue(`INSERT INTO sources (id, url, subscribed, shard, conf, state, paused, due_at, next_due, added_ns, items, changed_ns)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		int64(src.ID), src.URL, sub, shardOf(src.URL), conf, state, src.Paused, due, next,
		pubNanos(src.Added), src.Stats.Items, pubNanos(src.Stats.ChangedAt))
	batch.Queue(`INSERT INTO source_urls (url, source_id) VALUES ($1, $2), ($3, $2) ON CONFLICT (url) DO NOTHING`,
		src.URL, int64(src.ID), sub)
	return nil
}
