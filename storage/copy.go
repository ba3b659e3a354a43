package storage

import (
	"context"
	"time"
)

// Record is one unit of a store's contents as `feedmill store copy` moves
// it between backends: exactly one field is set. Sources come before their
// items, tombstones and subscriptions.
type Record struct {
	Source       *Source // with its ID, State and Stats
	Item         *Item   // with its ID, SourceID, Key, Story, Lead and RawHash
	Tombstone    *Tombstone
	Subscription *Subscription // with ID and Secret
}

// Tombstone marks an item identity retention removed: the source's next
// fetch that still carries it does not store it again.
type Tombstone struct {
	SourceID uint64
	Key      string
	At       time.Time // when it was removed
}

// Exporter is a store whose whole contents can be read out, for `feedmill
// store copy`.
type Exporter interface {
	// Export calls fn with every record, sources first, from one
	// consistent view of the store; it stops at fn's first error.
	Export(ctx context.Context, fn func(Record) error) error
}

// Importer is a store that can take another's contents, keeping every
// ID (readers' guids are item IDs), for `feedmill store copy`.
type Importer interface {
	// Import writes the records next yields into the store, which must
	// hold no source; it fails with an error naming the record otherwise.
	// The near-duplicate index is built from the items as they come.
	Import(ctx context.Context, next func() (Record, bool, error)) error
}
