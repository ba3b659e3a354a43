package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/feedmill/feedmill/storage"
	"github.com/jackc/pgx/v5"
)

// sourceConf is what UpsertSource writes of a source (column conf).
type sourceConf struct {
	Title    string        `json:"title,omitempty"`
	Tags     []string      `json:"tags,omitempty"`
	Every    time.Duration `json:"every,omitempty"`
	Cron     string        `json:"cron,omitempty"`
	Origin   string        `json:"origin,omitempty"`
	Paused   bool          `json:"paused,omitempty"`
	Priority int           `json:"priority,omitempty"`
	Added    time.Time     `json:"added"`
}

func confOf(src *storage.Source) ([]byte, error) {
	return json.Marshal(sourceConf{Title: src.Title, Tags: src.Tags, Every: src.Every, Cron: src.Cron,
		Origin: src.Origin, Paused: src.Paused, Priority: src.Priority, Added: src.Added})
}

// sourceColumns are the columns scanSource reads, in its order.
const sourceColumns = `id, url, subscribed, conf, state, items, changed_ns, lease_token`

// scanSource reads a row of sourceColumns.
func scanSource(row pgx.Row) (storage.Source, error) {
	var (
		src                storage.Source
		id, changed, lease int64
		conf, state        []byte
		items              int
	)
	if err := row.Scan(&id, &src.URL, &src.Subscribed, &conf, &state, &items, &changed, &lease); err != nil {
		return src, err
	}
	var c sourceConf
	if err := json.Unmarshal(conf, &c); err != nil {
		return src, fmt.Errorf("source %d: conf: %w", id, err)
	}
	if err := json.Unmarshal(state, &src.State); err != nil {
		return src, fmt.Errorf("source %d: state: %w", id, err)
	}
	src.ID, src.Lease = uint64(id), uint64(lease)
	src.Title, src.Tags, src.Every, src.Cron = c.Title, c.Tags, c.Every, c.Cron
	src.Origin, src.Paused, src.Priority, src.Added = c.Origin, c.Paused, c.Priority, c.Added
	src.Stats = storage.SourceStats{Items: items, ChangedAt: fromNanos(changed)}
	return src, nil
}

// shardOf is the host shard of a source URL: fnv32a(host) % 256, the host
// as the fetcher's per-host limiter keys it.
func shardOf(raw string) int16 {
	host := raw
	if u, err := url.Parse(raw); err == nil {
		host = strings.ToLower(u.Hostname())
	}
	h := fnv.New32a()
	h.Write([]byte(host))
	return int16(h.Sum32() % 256)
}

// dueAt is when a source with state st is next due (nil = never: retired).
func dueAt(st storage.FetchState) *time.Time {
	if st.Retired {
		return nil
	}
	d := st.NextDue
	if d.Before(st.RetryUntil) {
		d = st.RetryUntil
	}
	return &d
}

// UpsertSource adds a source, or updates the configuration fields (Title,
// Tags, Every, Cron, Origin, Paused, Priority) of the source with the
// same URL or Subscribed alias, keeping its ID, URL, State and Stats. A
// new source gets the next ID and Added = now, its State as given.
func (s *Store) UpsertSource(ctx context.Context, src storage.Source) (storage.Source, error) {
	if src.URL == "" {
		return storage.Source{}, errors.New("upsert source: empty URL")
	}
	var (
		stored storage.Source
		vis    int64
	)
	err := s.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, src.URL); err != nil {
			return err
		}
		var id int64
		err := tx.QueryRow(ctx, `SELECT source_id FROM source_urls WHERE url = $1`, src.URL).Scan(&id)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			stored, vis, err = s.insertSource(ctx, tx, src)
			return err
		case err != nil:
			return err
		}
		stored, vis, err = s.updateSource(ctx, tx, id, src)
		return err
	})
	if err != nil {
		return storage.Source{}, fmt.Errorf("upsert source %s: %w", src.URL, err)
	}
	if vis != 0 {
		s.changed(stored.ID, vis)
	}
	return stored, nil
}

// insertSource adds src; it returns the stored source and its vis.
func (s *Store) insertSource(ctx context.Context, tx pgx.Tx, src storage.Source) (storage.Source, int64, error) {
	src.Subscribed = src.URL
	src.Added = s.now()
	src.Stats = storage.SourceStats{}
	src.Lease = 0
	conf, err := confOf(&src)
	if err != nil {
		return src, 0, err
	}
	state, err := json.Marshal(src.State)
	if err != nil {
		return src, 0, err
	}
	due := dueAt(src.State)
	var next *time.Time
	if !src.Paused {
		next = due
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO sources (url, subscribed, shard, conf, state, paused, due_at, next_due, added_ns)
		VALUES ($1, $1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		src.URL, shardOf(src.URL), conf, state, src.Paused, due, next, pubNanos(src.Added)).Scan(&id)
	if err != nil {
		return src, 0, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO source_urls (url, source_id) VALUES ($1, $2)`, src.URL, id); err != nil {
		return src, 0, err
	}
	if err := signalWake(ctx, tx); err != nil {
		return src, 0, err
	}
	src.ID = uint64(id)
	return src, 1, nil
}

// updateSource writes src's configuration fields into source id; it
// returns the stored source, and its vis when it changed (else 0).
func (s *Store) updateSource(ctx context.Context, tx pgx.Tx, id int64, src storage.Source) (storage.Source, int64, error) {
	old, err := scanSource(tx.QueryRow(ctx, `SELECT `+sourceColumns+` FROM sources WHERE id = $1 FOR UPDATE`, id))
	if err != nil {
		return old, 0, err
	}
	stored := old
	stored.Title, stored.Tags, stored.Every, stored.Cron = src.Title, slices.Clone(src.Tags), src.Every, src.Cron
	stored.Origin, stored.Paused, stored.Priority = src.Origin, src.Paused, src.Priority
	before, _ := confOf(&old)
	after, err := confOf(&stored)
	if err != nil || bytes.Equal(before, after) {
		return stored, 0, err
	}
	var vis int64
	err = tx.QueryRow(ctx, `UPDATE sources SET conf = $2, paused = $3::boolean,
			next_due = CASE WHEN $3::boolean THEN NULL WHEN paused THEN due_at ELSE next_due END,
			vis = vis + 1, txid = pg_current_xact_id()
		WHERE id = $1 RETURNING vis`, id, after, stored.Paused).Scan(&vis)
	if err == nil && old.Paused && !stored.Paused {
		err = signalWake(ctx, tx)
	}
	return stored, vis, err
}

// RemoveSource deletes a source by URL (or Subscribed URL) with its items,
// their index rows and its tombstones. An unknown URL is ErrNotFound.
func (s *Store) RemoveSource(ctx context.Context, u string) error {
	var id int64
	err := s.write(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT s.id FROM source_urls u JOIN sources s ON s.id = u.source_id
			WHERE u.url = $1 FOR UPDATE OF s`, u).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return storage.ErrNotFound
		}
		if err != nil {
			return err
		}
		batch := &pgx.Batch{}
		batch.Queue(`DELETE FROM neardup WHERE item_id IN (SELECT id FROM items WHERE source_id = $1)`, id)
		batch.Queue(`DELETE FROM sources WHERE id = $1`, id)
		batch.Queue(`INSERT INTO source_removals (id) VALUES ($1)`, id)
		return sendBatch(ctx, tx, batch)
	})
	if err != nil {
		return fmt.Errorf("remove source %s: %w", u, err)
	}
	s.ver.Bump(uint64(id))
	return nil
}

// Source returns one source by ID.
func (s *Store) Source(id uint64) (storage.Source, error) {
	src, err := scanSource(s.pool.QueryRow(context.Background(), `SELECT `+sourceColumns+` FROM sources WHERE id = $1`, int64(id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return src, fmt.Errorf("source %d: %w", id, storage.ErrNotFound)
	}
	if err != nil {
		return src, fmt.Errorf("source %d in %s: %w", id, s.name, err)
	}
	return src, nil
}

// SourceByURL returns one source by its URL or Subscribed alias.
func (s *Store) SourceByURL(u string) (storage.Source, error) {
	src, err := scanSource(s.pool.QueryRow(context.Background(), `SELECT `+prefixed("s", sourceColumns)+`
		FROM source_urls u JOIN sources s ON s.id = u.source_id WHERE u.url = $1`, u))
	if errors.Is(err, pgx.ErrNoRows) {
		return src, fmt.Errorf("source %s: %w", u, storage.ErrNotFound)
	}
	if err != nil {
		return src, fmt.Errorf("source %s in %s: %w", u, s.name, err)
	}
	return src, nil
}

// Sources returns every source, by ID.
func (s *Store) Sources() ([]storage.Source, error) {
	return s.querySources(context.Background(), s.pool, `SELECT `+sourceColumns+` FROM sources ORDER BY id`)
}

// querySources runs a query of sourceColumns.
func (s *Store) querySources(ctx context.Context, q querier, sql string, args ...any) ([]storage.Source, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("sources in %s: %w", s.name, err)
	}
	defer rows.Close()
	var out []storage.Source
	for rows.Next() {
		src, err := scanSource(rows)
		if err != nil {
			return nil, fmt.Errorf("sources in %s: %w", s.name, err)
		}
		out = append(out, src)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sources in %s: %w", s.name, err)
	}
	return out, nil
}

// prefixed qualifies each of a comma-separated column list with table t.
func prefixed(t, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = t + "." + parts[i]
	}
	return strings.Join(parts, ", ")
}

// changed records a committed change of source id, whose vis is now vis.
func (s *Store) changed(id uint64, vis int64) {
	s.feed.saw(id, vis)
	s.ver.Bump(id)
}

// signalWake tells claimers that sources may be due sooner.
func signalWake(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `UPDATE signals SET n = n + 1 WHERE name = 'wake'`)
	return err
}
