package postgres

import (
	"context"
	"sync"

	"github.com/jackc/pgx/v5"
)

// changeFeed moves Version when another process commits a change: every
// FeedPeriod it reads, in one snapshot, the watermark (the oldest
// transaction still running) and the sources written by transactions at
// or after the previous poll's watermark, and bumps those whose vis
// moved. A transaction that started before one poll and committed after
// it is at or after that poll's watermark, so the next poll sees it.
type changeFeed struct {
	s    *Store
	mu   sync.Mutex
	wm   int64           // the previous poll's watermark
	vis  map[int64]int64 // source ID -> the vis last seen
	gone map[int64]bool  // removals seen
	wake int64           // signals 'wake' last seen
}

func newChangeFeed(ctx context.Context, s *Store) (*changeFeed, error) {
	f := &changeFeed{s: s, vis: map[int64]int64{}, gone: map[int64]bool{}}
	err := s.pool.QueryRow(ctx, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint,
		(SELECT n FROM signals WHERE name = 'wake')`).Scan(&f.wm, &f.wake)
	return f, err
}

// saw records a vis this process committed, so that the poll does not
// bump it again.
func (f *changeFeed) saw(id uint64, vis int64) {
	f.mu.Lock()
	if vis > f.vis[int64(id)] {
		f.vis[int64(id)] = vis
	}
	f.mu.Unlock()
}

// poll reads the changes since the previous poll and bumps Version for
// them; it signals Wake when the wake signal moved.
func (f *changeFeed) poll(ctx context.Context) error {
	var (
		wm, wake int64
		changes  [][2]int64
		removed  []int64
	)
	err := pgx.BeginTxFunc(ctx, f.s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint,
			(SELECT n FROM signals WHERE name = 'wake')`).Scan(&wm, &wake); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id, vis FROM sources WHERE txid >= $1::bigint::text::xid8`, f.wm)
		if err != nil {
			return err
		}
		for rows.Next() {
			var c [2]int64
			if err := rows.Scan(&c[0], &c[1]); err != nil {
				rows.Close()
				return err
			}
			changes = append(changes, c)
		}
		rows.Close()
		rows, err = tx.Query(ctx, `SELECT id FROM source_removals WHERE txid >= $1::bigint::text::xid8`, f.wm)
		if err != nil {
			return err
		}
		removed, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		return err
	})
	if err != nil {
		return err
	}
	f.apply(wm, wake, changes, removed)
	return nil
}

// apply bumps Version for what a poll found new.
func (f *changeFeed) apply(wm, wake int64, changes [][2]int64, removed []int64) {
	var bump []uint64
	f.mu.Lock()
	for _, c := range changes {
		if c[1] != f.vis[c[0]] {
			f.vis[c[0]] = c[1]
			bump = append(bump, uint64(c[0]))
		}
	}
	for _, id := range removed {
		if !f.gone[id] {
			f.gone[id] = true
			bump = append(bump, uint64(id))
		}
	}
	woke := wake != f.wake
	f.wm, f.wake = wm, wake
	f.mu.Unlock()
	if len(bump) > 0 {
		f.s.ver.Bump(bump...)
	}
	if woke {
		f.s.claim.signal()
	}
}
