package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/feedmill/feedmill/storage"
	"github.com/jackc/pgx/v5"
)

// RecordFetch stores the outcome of one poll in one transaction: the new
// state and URL, and the items, deduplicated by identity, with retention
// applied to the source; as storage/bolt does. It first locks the
// source's row: a fetch with a Lease other than the source's lease token
// is refused with ErrLeaseLost and writes nothing.
func (s *Store) RecordFetch(ctx context.Context, f storage.Fetch) (storage.Ingested, error) {
	now := s.now()
	incoming := storage.Incoming(f)
	if len(f.Items) == 0 && f.NewURL == "" {
		if vis, done, err := s.recordState(ctx, f); done || err != nil {
			if err != nil {
				return storage.Ingested{}, fmt.Errorf("record fetch of source %d: %w", f.SourceID, err)
			}
			if vis != 0 {
				s.changed(f.SourceID, vis)
			}
			return storage.Ingested{}, nil
		}
	}
	var (
		res storage.Ingested
		vis int64
	)
	err := s.write(ctx, func(tx pgx.Tx) error {
		// A retried transaction starts again from the incoming items:
		// an attempt sets their IDs and stories.
		var err error
		res, vis, err = s.recordFetch(ctx, tx, f, slices.Clone(incoming), now)
		return err
	})
	if err != nil {
		return storage.Ingested{}, fmt.Errorf("record fetch of source %d: %w", f.SourceID, err)
	}
	if vis != 0 {
		s.changed(f.SourceID, vis)
	}
	return res, nil
}

// lockedSource is what recordFetch reads of the source it locks.
type lockedSource struct {
	id              int64
	url, subscribed string
	state           storage.FetchState
	paused          bool
	lease           int64
	items           int
}

// lockSource locks source id's row for the transaction.
func lockSource(ctx context.Context, tx pgx.Tx, id uint64) (lockedSource, error) {
	ls := lockedSource{id: int64(id)}
	var state []byte
	err := tx.QueryRow(ctx, `SELECT url, subscribed, state, paused, lease_token, items FROM sources WHERE id = $1 FOR UPDATE`,
		int64(id)).Scan(&ls.url, &ls.subscribed, &state, &ls.paused, &ls.lease, &ls.items)
	if errors.Is(err, pgx.ErrNoRows) {
		return ls, fmt.Errorf("source %d: %w", id, storage.ErrNotFound)
	}
	if err != nil {
		return ls, err
	}
	if err := json.Unmarshal(state, &ls.state); err != nil {
		return ls, fmt.Errorf("source %d: state: %w", id, err)
	}
	return ls, nil
}

// recordFetch is RecordFetch's transaction. It returns the source's new
// vis when readers see a change (items, or URL, title, site, language),
// else 0.
func (s *Store) recordFetch(ctx context.Context, tx pgx.Tx, f storage.Fetch, incoming []storage.Item, now time.Time) (storage.Ingested, int64, error) {
	var res storage.Ingested
	src, err := lockSource(ctx, tx, f.SourceID)
	if err != nil {
		return res, 0, err
	}
	if f.Lease != 0 && uint64(src.lease) != f.Lease {
		return res, 0, storage.ErrLeaseLost
	}
	newURL := src.url
	if f.NewURL != "" && f.NewURL != src.url {
		if err := moveSource(ctx, tx, src, f.NewURL); err != nil {
			return res, 0, err
		}
		newURL = f.NewURL
	}
	if res, err = s.ingestItems(ctx, tx, f.SourceID, incoming, now); err != nil {
		return res, 0, err
	}
	items := src.items + res.Added
	if limit := s.ret.MaxItemsPerSource; limit > 0 && items > limit {
		if res.Removed, err = trimSource(ctx, tx, src.id, items-limit, now); err != nil {
			return res, 0, err
		}
		items -= res.Removed
	}
	changed := res.Added+res.Updated+res.Removed > 0
	visible := changed || newURL != src.url || f.State.FeedTitle != src.state.FeedTitle ||
		f.State.SiteURL != src.state.SiteURL || f.State.Language != src.state.Language
	vis, err := s.saveFetchState(ctx, tx, src, newURL, f.State, items, changed, visible, now)
	return res, vis, err
}

// saveFetchState writes the source's row after a fetch; it returns its
// vis when visible (which bumps it), else 0.
func (s *Store) saveFetchState(ctx context.Context, tx pgx.Tx, src lockedSource, newURL string, st storage.FetchState, items int, changed, visible bool, now time.Time) (int64, error) {
	state, err := json.Marshal(st)
	if err != nil {
		return 0, err
	}
	due := dueAt(st)
	var changedNS *int64
	if changed {
		n := pubNanos(now)
		changedNS = &n
	}
	var vis int64
	err = tx.QueryRow(ctx, `UPDATE sources SET url = $2, shard = $3, state = $4, due_at = $5::timestamptz,
			next_due = CASE WHEN paused THEN NULL ELSE $5::timestamptz END, items = $6,
			changed_ns = COALESCE($7, changed_ns),
			vis = CASE WHEN $8::boolean THEN vis + 1 ELSE vis END,
			txid = CASE WHEN $8::boolean THEN pg_current_xact_id() ELSE txid END
		WHERE id = $1 RETURNING vis`,
		src.id, newURL, shardOf(newURL), state, due, items, changedNS, visible).Scan(&vis)
	if err != nil || !visible {
		return 0, err
	}
	return vis, nil
}

// moveSource points newURL at src, refusing a URL another source has.
// The subscribed URL stays an alias; an intermediate one does not.
func moveSource(ctx context.Context, tx pgx.Tx, src lockedSource, newURL string) error {
	var other int64
	err := tx.QueryRow(ctx, `SELECT source_id FROM source_urls WHERE url = $1`, newURL).Scan(&other)
	switch {
	case err == nil && other != src.id:
		return refusedError{fmt.Errorf("move source %d from %s to %s: that URL is already source %d",
			src.id, src.url, newURL, other)}
	case err != nil && !errors.Is(err, pgx.ErrNoRows):
		return err
	}
	if src.url != src.subscribed {
		if _, err := tx.Exec(ctx, `DELETE FROM source_urls WHERE url = $1`, src.url); err != nil {
			return err
		}
	}
	_, err = tx.Exec(ctx, `INSERT INTO source_urls (url, source_id) VALUES ($1, $2) ON CONFLICT (url) DO NOTHING`, newURL, src.id)
	return err
}

// recordState is RecordFetch of a fetch that brings only a new state (a
// 304, an error): one statement, no transaction around it. done is false
// when it wrote nothing because the source is gone or its lease moved on
// (RecordFetch's transaction then says which). It returns the source's
// new vis when its title, site or language changed, else 0.
func (s *Store) recordState(ctx context.Context, f storage.Fetch) (vis int64, done bool, err error) {
	if s.closed.Load() {
		return 0, false, storage.ErrClosed
	}
	if s.opts.ReadOnly {
		return 0, false, storage.ErrReadOnly
	}
	state, err := json.Marshal(f.State)
	if err != nil {
		return 0, false, err
	}
	var changed bool
	err = s.pool.QueryRow(ctx, `WITH old AS (SELECT id, lease_token, convert_from(state, 'UTF8')::jsonb AS st
			FROM sources WHERE id = $1 FOR UPDATE),
		v AS (SELECT old.id, (COALESCE(st->>'feed_title', ''), COALESCE(st->>'site_url', ''), COALESCE(st->>'language', ''))
				IS DISTINCT FROM ($5::text, $6::text, $7::text) AS changed
			FROM old WHERE $4 = 0 OR old.lease_token = $4)
		UPDATE sources s SET state = $2, due_at = $3::timestamptz,
			next_due = CASE WHEN s.paused THEN NULL ELSE $3::timestamptz END,
			vis = CASE WHEN v.changed THEN s.vis + 1 ELSE s.vis END,
			txid = CASE WHEN v.changed THEN pg_current_xact_id() ELSE s.txid END
		FROM v WHERE s.id = v.id RETURNING v.changed, s.vis`,
		int64(f.SourceID), state, dueAt(f.State), int64(f.Lease), f.State.FeedTitle, f.State.SiteURL, f.State.Language).Scan(&changed, &vis)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	s.health.record(err)
	if err != nil || !changed {
		return 0, err == nil, err
	}
	return vis, true, nil
}
