package storage

// API CONTRACT (skeleton). The storage helper replaces these stubs with the
// real implementation, spread over store.go, sources.go, items.go,
// writer.go, identity.go, retention.go, backup.go, migrate.go, and deletes
// this file. Signatures are the contract the other rooms code against:
// change them only together with every caller.

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"
)

// ErrNotFound is returned for an unknown source or item.
var ErrNotFound = errors.New("not found")

// ErrLocked is returned by Open when another process holds the store
// (bbolt locks the file exclusively, even for readers).
var ErrLocked = errors.New("store is locked by another process")

// Options tunes Open.
type Options struct {
	// LockTimeout is how long Open waits for the file lock before it
	// returns ErrLocked. 0 = do not wait (fail at once with ErrLocked).
	LockTimeout time.Duration
	Retention   Retention
	Logger      *slog.Logger
	Now         func() time.Time // clock; nil = time.Now
}

// Store is the feedmill store: one bbolt file. It is safe for concurrent
// use; all writes go through one writer goroutine that commits many
// requests per transaction.
type Store struct{}

// Open opens (creating if needed) the store at path, migrating its schema.
func Open(path string, opts Options) (*Store, error) { panic("TODO") }

// Close waits for the writes in flight to commit, then closes the file.
func (s *Store) Close() error { panic("TODO") }

// Path is the store's file name.
func (s *Store) Path() string { panic("TODO") }

// UpsertSource adds a source, or updates the configuration fields (Title,
// Tags, Every, Cron, Origin, Paused, Priority) of the source with the same
// URL, keeping its ID, State and Stats. It returns the stored source.
func (s *Store) UpsertSource(ctx context.Context, src Source) (Source, error) { panic("TODO") }

// RemoveSource deletes a source by URL with all its items.
func (s *Store) RemoveSource(ctx context.Context, url string) error { panic("TODO") }

// Source returns one source by ID.
func (s *Store) Source(id uint64) (Source, error) { panic("TODO") }

// SourceByURL returns one source by its URL (ErrNotFound if none).
func (s *Store) SourceByURL(url string) (Source, error) { panic("TODO") }

// Sources returns every source, ordered by ID.
func (s *Store) Sources() ([]Source, error) { panic("TODO") }

// RecordFetch stores the outcome of one poll in one transaction (through the
// writer, so it returns once committed): the new state, the new URL, and the
// items, deduplicated by identity (see identity.go), with retention applied
// to the source.
func (s *Store) RecordFetch(ctx context.Context, f Fetch) (Ingested, error) { panic("TODO") }

// Items calls fn with the items that q selects, newest Published first,
// until fn returns false. Items are copies, safe to keep.
func (s *Store) Items(q Query, fn func(Item) bool) error { panic("TODO") }

// Item returns one item by ID.
func (s *Store) Item(id uint64) (Item, error) { panic("TODO") }

// Version is a number that grows whenever one of the given sources, or an
// item of one of them, is added, changed or removed (nil = any source; it
// also grows when a source is added or removed). It lives in memory and
// starts above zero: readers compare it to tell whether what they rendered
// from those sources is stale.
func (s *Store) Version(sourceIDs []uint64) uint64 { panic("TODO") }

// ApplyRetention removes items older than the retention's MaxAge from every
// source and returns how many it removed.
func (s *Store) ApplyRetention(ctx context.Context) (int, error) { panic("TODO") }

// Backup writes a consistent copy of the store to w while it stays in use.
func (s *Store) Backup(w io.Writer) (int64, error) { panic("TODO") }

// Check runs bbolt's consistency check and the store's own (indexes agree
// with items); nil when all is well.
func (s *Store) Check() error { panic("TODO") }

// Ping answers nil when the store can be read (for /healthz).
func (s *Store) Ping() error { panic("TODO") }
