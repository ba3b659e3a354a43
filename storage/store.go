package storage

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"
)

// Store is what feedmill keeps: sources, their items, fetch state and
// WebSub subscriptions. Two backends implement it: storage/bolt (one
// embedded file, the default) and storage/postgres (one database shared
// by several replicas). Every method is safe for concurrent use. Reads
// return ErrNotFound for an unknown source or item; writes after Close
// return an error wrapping ErrClosed.
type Store interface {
	// UpsertSource adds src, or updates the configuration fields of the
	// source with its URL (or Subscribed alias); it never writes State.
	UpsertSource(ctx context.Context, src Source) (Source, error)
	// RemoveSource removes the source with that URL and its items.
	RemoveSource(ctx context.Context, url string) error
	Source(id uint64) (Source, error)
	SourceByURL(url string) (Source, error)
	// Sources returns every source, by ID.
	Sources() ([]Source, error)

	// RecordFetch writes one poll's outcome in one transaction: the
	// source's new state and URL, and its items (new ones added, known
	// ones updated when their body changed, repeats counted).
	RecordFetch(ctx context.Context, f Fetch) (Ingested, error)
	// KnownRaw reports, per item, whether the source already has it
	// stored with the same identity and RawHash: the fetcher need not
	// clean it again.
	KnownRaw(sourceID uint64, items []Item) []bool
	// RecordFullText applies an article page's outcome to its item in
	// place; false when the item changed meanwhile.
	RecordFullText(ctx context.Context, r FullTextResult) (bool, error)

	// Items calls fn with the items q selects, newest first, until fn
	// returns false.
	Items(q Query, fn func(Item) bool) error
	Item(id uint64) (Item, error)
	// Similarity compares two stored items as the near-duplicate index
	// does.
	Similarity(a, b uint64) (Similarity, error)
	// Version is a number that changes whenever the items or settings of
	// any of the sources (nil = every source) change, in this process or,
	// for a shared store, in another.
	Version(sourceIDs []uint64) uint64

	PutSubscription(ctx context.Context, sub Subscription) error
	DeleteSubscription(ctx context.Context, sourceID uint64) error
	Subscriptions() (map[uint64]Subscription, error)

	// ApplyRetention removes what the retention bounds exclude and
	// returns how many items went.
	ApplyRetention(ctx context.Context) (int, error)
	// Ping checks that the store answers.
	Ping() error
	// Health reports (wrapping ErrUnhealthy) when the store cannot do its
	// job: writes failing, file gone, database unreachable.
	Health() error
	// WriteErrors counts failed writes since Open.
	WriteErrors() uint64
	// Size is the store's size in bytes (file or database).
	Size() (int64, error)
	Close() error
}

// Backuper is a store that can write a consistent copy of itself (bbolt).
type Backuper interface {
	Backup(w io.Writer) (int64, error)
}

// Claimer is a store shared by several processes (PostgreSQL) that hands
// out due sources so that each is fetched by one process per due period and
// all the sources of one host by one process at a time. fetcher.Run uses
// it, when the store is one, instead of its own schedule.
type Claimer interface {
	// ClaimDue leases up to limit due sources to this process: each
	// comes with Source.Lease set, and is not due again for anyone until
	// its lease runs out, unless RecordFetch with that lease sets its next
	// due time first. Only sources of hosts this process holds are
	// claimed.
	ClaimDue(ctx context.Context, limit int) ([]Source, error)
	// NextDue is the earliest due time of a source this process could
	// claim; zero when none is scheduled.
	NextDue(ctx context.Context) (time.Time, error)
	// ForceDue makes the sources (nil = every source) due now.
	ForceDue(ctx context.Context, ids []uint64) error
	// Wake signals when sources may have become due sooner than NextDue
	// said (forced, added, or handed over by another process).
	Wake() <-chan struct{}
	// Replicas counts the processes claiming now (that claimed or renewed
	// their hosts within the lease time), this one included when it
	// claims.
	Replicas(ctx context.Context) (int, error)
}

// RenderStamper is a shared store that dates channel renditions alike for
// every process serving them, so that replicas answer the same bytes with
// the same Last-Modified.
type RenderStamper interface {
	// StampRender returns the Last-Modified of the rendition key (channel,
	// format and page) whose body has this etag: the time stored with the
	// etag when it is the one stored; else t, or a second after the time
	// stored before when t is not later, which is stored with the etag.
	StampRender(ctx context.Context, key, etag string, now time.Time) (time.Time, error)
}

// Checker is a store that can verify its own indexes (bbolt).
type Checker interface {
	Check() error
}

// Similarity is how alike two items' texts are, as the near-duplicate
// index judges them.
type Similarity struct {
	// SimHashDistance is the number of differing bits of the fingerprints;
	// -1 when either item has none (text too short).
	SimHashDistance int `json:"simhash_distance"`
	// LeadContainment is the share of the shorter lead's shingles found in
	// the other lead; -1 when either lead is too short.
	LeadContainment float64 `json:"lead_containment"`
	// Score is the larger of LeadContainment and 1-distance/64 (the
	// latter only within the index's distance bound).
	Score float64 `json:"score"`
	// Same reports whether the index takes them for one story.
	Same bool `json:"same"`
}

// ErrNotFound is returned for an unknown source or item.
var ErrNotFound = errors.New("not found")

// ErrLeaseLost is returned by RecordFetch for a fetch whose lease ran out
// and went to another process: its outcome is dropped.
var ErrLeaseLost = errors.New("lease lost: the source was claimed again")

// ErrLocked is returned by Open when another process holds the store
// (bbolt locks the file exclusively, even for readers).
var ErrLocked = errors.New("store is locked by another process")

// ErrClosed is returned by writes submitted after Close.
var ErrClosed = errors.New("store is closed")

// ErrReadOnly is returned by every write to a store opened with
// Options.ReadOnly.
var ErrReadOnly = errors.New("store is opened read-only")

// ErrNeedsMigration is returned by a read-only Open of a store whose schema
// is older than this code's: it must be opened writable once to migrate.
var ErrNeedsMigration = errors.New("store schema needs a migration (open it writable once)")

// Options tunes Open.
type Options struct {
	// LockTimeout is how long Open waits for the file lock before it
	// returns ErrLocked. 0 = barely wait (about 100ms), then ErrLocked.
	LockTimeout time.Duration
	// ReadOnly opens the file read-only (it must exist): it works on a
	// read-only file system, shares the file lock with other readers,
	// and every write returns an error wrapping ErrReadOnly.
	ReadOnly bool
	// HealthGrace is how long commits may fail before Health reports
	// it (0 = 10 s).
	HealthGrace time.Duration
	Retention   Retention
	Logger      *slog.Logger     // nil = discard
	Now         func() time.Time // clock; nil = time.Now
}

// ErrUnhealthy is wrapped by every error Health returns.
var ErrUnhealthy = errors.New("unhealthy")

// FullTextResult is what the fetcher learned from an item's article page:
// its story, or why there is none.
type FullTextResult struct {
	ItemID uint64
	// Hash is the item's body hash when its page was asked for. When the
	// stored item's differs, the feed changed the item meanwhile and the
	// result is dropped.
	Hash uint64
	// The story, cleaned like every body, with its fingerprint; used only
	// when FullText.Fetched.
	Content     string
	Fingerprint uint64
	Lead        []uint32
	Cleaned     []string
	// From the page, kept only where the item has none.
	Image  string
	Author string

	FullText FullText
}

// States of a WebSub subscription.
const (
	SubRequested     = "requested"     // asked the hub, not verified yet
	SubActive        = "active"        // verified; pushes accepted until LeaseEnd
	SubDenied        = "denied"        // the hub refused (Reason says why)
	SubUnsubscribing = "unsubscribing" // the source is gone; asked the hub to stop
)

// Subscription is the WebSub subscription of one source to the hub its
// feed announces. ID (the callback path segment) and Secret never leave
// the daemon: the JSON form, shown by the admin API and `sources list`,
// has neither.
type Subscription struct {
	SourceID  uint64    `json:"-"`
	ID        string    `json:"-"`
	Secret    string    `json:"-"`
	Hub       string    `json:"hub"`
	Topic     string    `json:"topic"`
	State     string    `json:"state"`
	Reason    string    `json:"reason,omitempty"`
	Requested time.Time `json:"requested,omitzero"`
	LeaseEnd  time.Time `json:"lease_end,omitzero"`
	LastPush  time.Time `json:"last_push,omitzero"`
}
