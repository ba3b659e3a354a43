// Package bolt is feedmill's embedded store: one bbolt file holding the
// sources, their items, the indexes channels read (by source and time, by
// publication time), the identity index that keeps an item from being
// stored twice, fetch state, the schema version, retention and backup. It
// implements storage.Store (and storage.Backuper, storage.Checker,
// storage.Exporter, storage.Importer) for one process; the file's lock
// keeps a second one out.
//
// Where things are: store.go opens and closes the file (read-write or
// read-only) and keeps Version; health.go says whether the store can do its
// job (Health, WriteErrors, Size); writer.go is the one goroutine every
// write goes through (group commit); migrate.go the schema versions;
// sources.go and items.go the operations (KnownRaw: which items the
// fetcher need not clean again; fulltext.go: an item's story from its
// article page, recorded in place); dedup.go the store's side of the
// near-duplicate index (internal/neardup), which puts copies of one story
// from several sources into one story (Item.Story); retention.go what is
// removed when; backup.go Backup and Check; copy.go Export and Import
// (the whole store out, and into an empty one with every ID kept, for
// `feedmill store copy`); codec.go how values and keys
// are encoded (codec_item.go the items' values); websub.go the WebSub
// subscriptions of sources (a bucket created by the first one).
//
// It must not know HTTP, feed formats or channels; the identity and
// domain rules it applies are storage's.
package bolt
