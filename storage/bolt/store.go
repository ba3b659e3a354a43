package bolt

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/internal/versions"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Bucket names of layout version 1 (see migrate.go).
const (
	bucketMeta       = "meta"        // schema version, ID sequences
	bucketSources    = "sources"     // sourceID(8) -> Source
	bucketSourceURLs = "source_urls" // URL -> sourceID(8)
	bucketItems      = "items"       // itemID(8) -> Item
	bucketItemKeys   = "item_keys"   // sourceID(8)+Key -> itemID(8) | tombstone(16)
	bucketBySource   = "by_source"   // sourceID(8)+published(8)+itemID(8) -> ""
	bucketByTime     = "by_time"     // published(8)+itemID(8) -> sourceID(8)
)

// defaultLockWait is how long Open waits for the file lock when
// Options.LockTimeout is 0. bbolt itself reads 0 as "wait forever", which
// would hang a `feedmill fetch` run beside a running daemon.
const defaultLockWait = 100 * time.Millisecond

// Store is the feedmill store: one bbolt file. It is safe for concurrent
// use; all writes go through one writer goroutine that commits many
// requests per transaction.
//
// Every commit is fsynced (bbolt's NoSync stays false): a crash or power
// loss never loses a write that returned nil nor leaves a torn file. This is
// cheap here because the writer groups every request queued while the
// previous commit ran into one transaction, so concurrent fetches share one
// fsync instead of paying one each.
type Store struct {
	db   *bbolt.DB
	path string
	file *os.File // the store file, opened again for fstat (Size, Health)
	ret  storage.Retention
	log  *slog.Logger
	now  func() time.Time

	w       *writer
	ver     versions.Counter
	commits *commitHealth
	grace   time.Duration

	closeOnce sync.Once
	closeErr  error
}

// initialMapping is bbolt's first mapping of the store at path:
// initialMmapSize (mapping_linux.go) for a store of 16 MiB or more, bbolt's
// own for a smaller or a new one. bbolt grows the file to its mapping
// while the mapping is under 16 MiB (and by 16 MiB past what it needs
// after): a large first mapping would make every new store a 16 MiB file
// (sparse, but so shown by ls and Size). A store that grows past 16 MiB
// gets the large mapping when it is next opened; until then bbolt remaps
// it as it doubles.
func initialMapping(path string) int {
	if fi, err := os.Stat(path); err == nil && fi.Size() >= 16<<20 {
		return initialMmapSize
	}
	return 0
}

// Open opens (creating if needed, unless Options.ReadOnly) the store at
// path, migrating its schema. When another process (or another Open in
// this one) holds the file, it returns an error wrapping ErrLocked after
// Options.LockTimeout. Every error names path once.
func Open(path string, opts storage.Options) (*Store, error) {
	db, err := openBolt(path, opts)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := &Store{
		db:    db,
		path:  path,
		ret:   opts.Retention,
		log:   opts.Logger,
		now:   opts.Now,
		grace: opts.HealthGrace,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.grace <= 0 {
		s.grace = defaultHealthGrace
	}
	s.commits = newCommitHealth(s.log, s.now)
	if s.file, err = os.Open(path); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, unwrapPath(err, path))
	}
	if opts.ReadOnly {
		err = checkSchema(db)
	} else {
		err = migrate(db, s.log)
	}
	if err != nil {
		s.file.Close()
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s.ver.Init()
	if opts.ReadOnly {
		s.w = readOnlyWriter()
	} else {
		s.w = startWriter(db, s.commits)
	}
	return s, nil
}

// openBolt opens the bbolt file. Its errors do not name path (Open does).
func openBolt(path string, opts storage.Options) (*bbolt.DB, error) {
	wait := opts.LockTimeout
	if wait <= 0 {
		wait = defaultLockWait
	}
	bo := bbolt.Options{Timeout: wait, ReadOnly: opts.ReadOnly, InitialMmapSize: initialMapping(path)}
	db, err := bbolt.Open(path, 0o600, &bo)
	if bo.InitialMmapSize > 0 && errors.Is(err, syscall.ENOMEM) {
		// An address-space limit (ulimit -v, LimitAS=) below the large
		// mapping: map what the file needs, as bbolt does by itself.
		bo.InitialMmapSize = 0
		db, err = bbolt.Open(path, 0o600, &bo)
	}
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%w (waited %v)", storage.ErrLocked, wait)
	}
	return db, unwrapPath(err, path)
}

// unwrapPath drops the path from an *fs.PathError about path: the caller
// names it ("open PATH: " would name it a second time).
func unwrapPath(err error, path string) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		return pe.Err
	}
	return err
}

// Close waits for the writes in flight to commit, then closes the file.
// Writes submitted after Close fail with ErrClosed. Close is idempotent.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.w.close()
		s.closeErr = s.db.Close()
		s.file.Close()
	})
	return s.closeErr
}

// Path is the store's file name.
func (s *Store) Path() string { return s.path }

// Ping answers nil when the store can be read (for /healthz).
func (s *Store) Ping() error {
	return s.db.View(func(tx *bbolt.Tx) error {
		if tx.Bucket([]byte(bucketMeta)) == nil {
			return fmt.Errorf("store %s: no %s bucket", s.path, bucketMeta)
		}
		return nil
	})
}

// Version is a number that grows whenever one of the given sources, or an
// item of one of them, is added, changed or removed (nil = any source; it
// also grows when a source is added or removed). It lives in memory and
// starts above zero: readers compare it to tell whether what they rendered
// from those sources is stale. It moves only after the change committed, so
// a reader that reads Version before the data never files old data under a
// new number.
func (s *Store) Version(sourceIDs []uint64) uint64 {
	return s.ver.Get(sourceIDs)
}
