package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/feedmill/feedmill/storage"
	"github.com/jackc/pgx/v5"
)

// shards is how many host shards sources fall into (shardOf).
const shards = 256

// claimer is the Claimer side of a Store: this process's heartbeat in
// replicas and its host shard leases (rows "shard/N" of leases), renewed
// every ShardTTL/3. It holds a fair share, ceil(shards / live replicas):
// it takes free or expired shards when it has fewer and releases its
// surplus when it has more. It starts with the first ClaimDue, NextDue
// or Wake, so a process that never claims holds nothing.
type claimer struct {
	s    *Store
	once sync.Once
	err  error
	wake chan struct{}

	mu   sync.Mutex
	held map[int16]time.Time // shard -> until when this process may claim from it
}

func newClaimer(s *Store) *claimer {
	return &claimer{s: s, wake: make(chan struct{}, 1), held: map[int16]time.Time{}}
}

// signal wakes a claimer waiting on Wake.
func (c *claimer) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// start runs the first heartbeat, then the loop.
func (c *claimer) start(ctx context.Context) error {
	c.once.Do(func() {
		c.err = c.heartbeat(ctx)
		c.s.goLoop(c.s.bgCtx, c.s.opts.ShardTTL/3, c.heartbeat)
	})
	return c.err
}

// heartbeat marks this replica alive, renews its shard leases, and
// releases or takes shards towards its fair share.
func (c *claimer) heartbeat(ctx context.Context) error {
	sent := time.Now()
	ttl := c.s.opts.ShardTTL
	var took bool
	var mine []int16
	err := pgx.BeginFunc(ctx, c.s.pool, func(tx pgx.Tx) error {
		var err error
		mine, took, err = c.balance(ctx, tx, ttl)
		return err
	})
	if err != nil {
		return fmt.Errorf("shard leases in %s: %w", c.s.name, err)
	}
	until := sent.Add(ttl - c.s.opts.ShardMargin)
	c.mu.Lock()
	c.held = make(map[int16]time.Time, len(mine))
	for _, sh := range mine {
		c.held[sh] = until
	}
	c.mu.Unlock()
	if took {
		c.signal()
	}
	return nil
}

// balance is heartbeat's transaction: it returns the shards held after
// it, and whether it took any.
func (c *claimer) balance(ctx context.Context, tx pgx.Tx, ttl time.Duration) ([]int16, bool, error) {
	me := c.s.opts.Replica
	var live int
	err := tx.QueryRow(ctx, `WITH beat AS (INSERT INTO replicas (id, seen_at) VALUES ($1, now())
			ON CONFLICT (id) DO UPDATE SET seen_at = now())
		SELECT count(*) + 1 FROM replicas WHERE id <> $1 AND seen_at > now() - $2::interval`, me, ttl).Scan(&live)
	if err != nil {
		return nil, false, err
	}
	share := (shards + live - 1) / live
	rows, err := tx.Query(ctx, `UPDATE leases SET expires_at = now() + $2::interval
		WHERE owner = $1 AND name LIKE 'shard/%' RETURNING name`, me, ttl)
	if err != nil {
		return nil, false, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, false, err
	}
	slices.Sort(names)
	if len(names) > share {
		if _, err := tx.Exec(ctx, `DELETE FROM leases WHERE owner = $1 AND name = ANY($2)`, me, names[share:]); err != nil {
			return nil, false, err
		}
		names = names[:share]
	}
	took := false
	if len(names) < share {
		more, err := takeShards(ctx, tx, me, ttl, share-len(names))
		if err != nil {
			return nil, false, err
		}
		names, took = append(names, more...), len(more) > 0
	}
	return shardNumbers(names), took, nil
}

// takeShards leases up to n free or expired shards to me.
func takeShards(ctx context.Context, tx pgx.Tx, me string, ttl time.Duration, n int) ([]string, error) {
	rows, err := tx.Query(ctx, `INSERT INTO leases (name, owner, expires_at)
		SELECT 'shard/' || g, $1, now() + $2::interval FROM generate_series(0, $3 - 1) g
		WHERE NOT EXISTS (SELECT 1 FROM leases l WHERE l.name = 'shard/' || g AND l.expires_at > now())
		ORDER BY random() LIMIT $4
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
			WHERE leases.expires_at <= now()
		RETURNING name`, me, ttl, shards, n)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// shardNumbers parses "shard/N" names.
func shardNumbers(names []string) []int16 {
	out := make([]int16, 0, len(names))
	for _, n := range names {
		if v, err := strconv.Atoi(strings.TrimPrefix(n, "shard/")); err == nil {
			out = append(out, int16(v))
		}
	}
	return out
}

// usable are the shards this process may claim from now.
func (c *claimer) usable() []int16 {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]int16, 0, len(c.held))
	for sh, until := range c.held {
		if now.Before(until) {
			out = append(out, sh)
		}
	}
	return out
}

// release gives up this process's leases and heartbeat (at Close).
func (c *claimer) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	me := c.s.opts.Replica
	c.s.pool.Exec(ctx, `DELETE FROM leases WHERE owner = $1`, me)
	c.s.pool.Exec(ctx, `DELETE FROM replicas WHERE id = $1`, me)
}

// ClaimDue leases up to limit due sources of the shards this process
// holds: each is returned with Lease set, and its due time is pushed by
// ClaimLease, so that it comes due again for anyone if no RecordFetch
// with that lease sets it first. Sources locked by another claimer are
// skipped, not waited for.
func (s *Store) ClaimDue(ctx context.Context, limit int) ([]storage.Source, error) {
	if err := s.claim.start(ctx); err != nil {
		return nil, err
	}
	held := s.claim.usable()
	if len(held) == 0 || limit <= 0 {
		return nil, nil
	}
	now := s.now()
	return s.querySources(ctx, s.pool, `WITH due AS (SELECT id FROM sources
			WHERE shard = ANY($1) AND next_due <= $2 ORDER BY next_due LIMIT $3 FOR UPDATE SKIP LOCKED)
		UPDATE sources s SET next_due = $4, lease_token = nextval('lease_seq')
		FROM due WHERE s.id = due.id RETURNING `+prefixed("s", sourceColumns),
		held, now, limit, now.Add(s.opts.ClaimLease))
}

// NextDue is the earliest due time of a source of the shards this
// process holds; zero when there is none.
func (s *Store) NextDue(ctx context.Context) (time.Time, error) {
	if err := s.claim.start(ctx); err != nil {
		return time.Time{}, err
	}
	held := s.claim.usable()
	if len(held) == 0 {
		return time.Time{}, nil
	}
	var t *time.Time
	err := s.pool.QueryRow(ctx, `SELECT min(next_due) FROM sources WHERE shard = ANY($1) AND next_due IS NOT NULL`, held).Scan(&t)
	if err != nil {
		return time.Time{}, fmt.Errorf("next due in %s: %w", s.name, err)
	}
	if t == nil {
		return time.Time{}, nil
	}
	return *t, nil
}

// ForceDue makes the sources (nil = every source) that are neither
// paused nor retired due now, and wakes the claimers.
func (s *Store) ForceDue(ctx context.Context, sourceIDs []uint64) error {
	var list []int64
	if sourceIDs != nil {
		list = ids(sourceIDs)
	}
	err := s.write(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE sources SET next_due = $1
			WHERE NOT paused AND due_at IS NOT NULL AND ($2::bigint[] IS NULL OR id = ANY($2))`, s.now(), list)
		if err != nil {
			return err
		}
		return signalWake(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("force due in %s: %w", s.name, err)
	}
	s.claim.signal()
	return nil
}

// Wake signals when sources may have come due sooner than NextDue said:
// forced, added or unpaused (by any process, seen by the change feed),
// or shards taken over.
func (s *Store) Wake() <-chan struct{} {
	go s.claim.start(s.bgCtx)
	return s.claim.wake
}
