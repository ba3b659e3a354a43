package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/internal/versions"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Options tunes OpenWith. Zero values take the defaults named.
type Options struct {
	storage.Options
	// Replica names this process in the replicas and leases tables;
	// "" = hostname, process ID and a random number.
	Replica string
	// ShardTTL is how long a host shard lease lasts unless renewed
	// (0 = 30 s). Leases are renewed every ShardTTL/3.
	ShardTTL time.Duration
	// ShardMargin is how long before its lease would run out (counted
	// from the renewal's sending) this process stops claiming sources of
	// a shard, so that its fetches end before another takes the shard
	// over: it should exceed the fetch timeout (0, or not under
	// ShardTTL, = ShardTTL/2; the latter is logged as a warning).
	ShardMargin time.Duration
	// ClaimLease is how long a claimed source stays leased to its
	// claimer: ClaimDue pushes its due time that far, so a source whose
	// claimer died comes due again then (0 = 2 min; the daemon should use
	// 2 × fetch timeout + 10 s).
	ClaimLease time.Duration
	// FeedPeriod is how often the change feed polls (0 = 1 s).
	FeedPeriod time.Duration
}

// Store is a feedmill store in a PostgreSQL database. It is safe for
// concurrent use, by several processes too.
type Store struct {
	pool *pgxpool.Pool
	name string // the database, for errors (no password)
	opts Options
	ret  storage.Retention
	log  *slog.Logger
	now  func() time.Time

	ver    versions.Counter
	feed   *changeFeed
	claim  *claimer
	health writeHealth

	bgCtx     context.Context // ends at Close
	stop      context.CancelFunc
	bgMu      sync.Mutex // orders goLoop's Add before Close's Wait
	bg        sync.WaitGroup
	closed    atomic.Bool
	closeOnce sync.Once
}

// Open opens the store in the database at dsn with the default Options
// beyond opts, migrating its schema.
func Open(dsn string, opts storage.Options) (*Store, error) {
	return OpenWith(dsn, Options{Options: opts})
}

// OpenWith opens the store in the database at dsn, migrating its schema,
// and starts its change feed. With ReadOnly it migrates nothing (an older
// schema is ErrNeedsMigration), its sessions are read-only, and every
// write returns ErrReadOnly. Every error names the database (never its
// password).
func OpenWith(dsn string, opts Options) (*Store, error) {
	name := describeDSN(dsn)
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", name, redact(err))
	}
	if opts.ReadOnly {
		cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", name, err)
	}
	s := newStore(pool, name, opts)
	var version int
	if opts.ReadOnly {
		version, err = checkSchema(ctx, pool)
	} else {
		version, err = migrate(ctx, pool)
	}
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open store %s: %w", name, err)
	}
	s.log.Debug("store opened", "db", name, "schema", version)
	if err := s.start(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open store %s: %w", name, err)
	}
	return s, nil
}

// newStore fills a Store's fields and defaults.
func newStore(pool *pgxpool.Pool, name string, opts Options) *Store {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.HealthGrace <= 0 {
		opts.HealthGrace = 10 * time.Second
	}
	if opts.ShardTTL <= 0 {
		opts.ShardTTL = 30 * time.Second
	}
	if opts.ShardMargin >= opts.ShardTTL {
		opts.Logger.Warn("shard margin not under the shard lease: claiming stops half a lease before it runs out, and a fetch may outlast it",
			"shard_ttl", opts.ShardTTL, "margin", opts.ShardMargin)
		opts.ShardMargin = 0
	}
	if opts.ShardMargin <= 0 {
		opts.ShardMargin = opts.ShardTTL / 2
	}
	if opts.ClaimLease <= 0 {
		opts.ClaimLease = 2 * time.Minute
	}
	if opts.FeedPeriod <= 0 {
		opts.FeedPeriod = time.Second
	}
	if opts.Replica == "" {
		host, _ := os.Hostname()
		opts.Replica = host + "-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano()%1e6, 10)
	}
	s := &Store{pool: pool, name: name, opts: opts, ret: opts.Retention, log: opts.Logger, now: opts.Now}
	s.ver.Init()
	s.bgCtx, s.stop = context.WithCancel(context.Background())
	s.claim = newClaimer(s)
	s.health.grace = opts.HealthGrace
	s.health.now = opts.Now
	return s
}

// start reads the change feed's first watermark, makes sure today's
// near-duplicate partitions exist, and starts the background loops.
func (s *Store) start(ctx context.Context) error {
	feed, err := newChangeFeed(ctx, s)
	if err != nil {
		return fmt.Errorf("change feed: %w", err)
	}
	s.feed = feed
	s.goLoop(s.bgCtx, s.opts.FeedPeriod, s.feed.poll)
	if s.opts.ReadOnly {
		return nil
	}
	if err := s.upkeep(ctx); err != nil {
		s.log.Warn("store upkeep", "db", s.name, "err", err)
	}
	s.goLoop(s.bgCtx, time.Hour, s.upkeep)
	return nil
}

// goLoop runs fn every period until ctx ends.
func (s *Store) goLoop(ctx context.Context, period time.Duration, fn func(context.Context) error) {
	s.bgMu.Lock()
	defer s.bgMu.Unlock()
	if s.closed.Load() {
		return
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := fn(ctx); err != nil && ctx.Err() == nil {
					s.log.Debug("store background work failed", "db", s.name, "err", err)
				}
			}
		}
	}()
}

// Close stops the background loops (releasing this process's shard
// leases) and closes the connections. Writes after Close fail with
// ErrClosed. Close is idempotent.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.bgMu.Lock()
		s.closed.Store(true)
		s.bgMu.Unlock()
		s.stop()
		s.bg.Wait()
		s.claim.release()
		s.pool.Close()
	})
	return nil
}

// write runs fn in one transaction, retried on a serialization failure
// or deadlock, and records its outcome for Health.
func (s *Store) write(ctx context.Context, fn func(pgx.Tx) error) error {
	if s.closed.Load() {
		return storage.ErrClosed
	}
	if s.opts.ReadOnly {
		return storage.ErrReadOnly
	}
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = pgx.BeginFunc(ctx, s.pool, fn)
		if !retryable(err) {
			break
		}
	}
	s.health.record(err)
	return err
}

// Ping checks that the database answers.
func (s *Store) Ping() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("store %s: %w", s.name, err)
	}
	return nil
}

// Health reports, wrapping ErrUnhealthy, when the database does not
// answer or writes have failed for longer than HealthGrace.
func (s *Store) Health() error {
	if err := s.Ping(); err != nil {
		return fmt.Errorf("%w: %w", storage.ErrUnhealthy, err)
	}
	if err := s.health.check(); err != nil {
		return fmt.Errorf("%w: store %s: %w", storage.ErrUnhealthy, s.name, err)
	}
	return nil
}

// WriteErrors counts failed write transactions since Open.
func (s *Store) WriteErrors() uint64 { return s.health.total.Load() }

// Size is the database's size in bytes.
func (s *Store) Size() (int64, error) {
	var n int64
	err := s.pool.QueryRow(context.Background(), `SELECT pg_database_size(current_database())`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("size of store %s: %w", s.name, err)
	}
	return n, nil
}

// Version is a number that grows whenever one of the given sources, or an
// item of one of them, changes (nil = any source), in this process or in
// another sharing the database (seen by the change feed within about a
// FeedPeriod).
func (s *Store) Version(sourceIDs []uint64) uint64 { return s.ver.Get(sourceIDs) }

// writeHealth records whether writes succeed.
type writeHealth struct {
	grace time.Duration
	now   func() time.Time
	total atomic.Uint64
	mu    sync.Mutex
	since time.Time // first failure of the current run; zero when writes succeed
	last  error
}

func (h *writeHealth) record(err error) {
	if err != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrLeaseLost) || isConstraint(err)) {
		return // the caller's doing, not the store's
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil {
		h.since, h.last = time.Time{}, nil
		return
	}
	h.total.Add(1)
	if h.since.IsZero() {
		h.since = h.now()
	}
	h.last = err
}

func (h *writeHealth) check() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.since.IsZero() && h.now().Sub(h.since) >= h.grace {
		return fmt.Errorf("writes failing since %s: %w", h.since.UTC().Format(time.RFC3339), h.last)
	}
	return nil
}
