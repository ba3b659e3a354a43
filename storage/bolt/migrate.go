package bolt

import (
	"fmt"
	"log/slog"

	"github.com/feedmill/feedmill/storage"

	"github.com/feedmill/feedmill/storage/bolt/internal/neardup"
	"go.etcd.io/bbolt"
)

// metaSchema is the key in the meta bucket holding the schema version
// (uint64 big-endian). A store without it is empty: version 0.
var metaSchema = []byte("schema")

// Keys in the meta bucket holding the last ID handed out (uint64 BE).
var (
	metaSeqSource = []byte("seq.source")
	metaSeqItem   = []byte("seq.item")
)

// migrations bring a store from version i to version i+1 (migrations[i]).
// Append new ones; never edit or reorder a released one. Each runs in its
// own transaction together with the version bump, at Open.
var migrations = []func(tx *bbolt.Tx) error{
	migrateV1,
	migrateV2,         // dedup.go: the near-duplicate index
	migrateV3,         // retention.go: the tombstone watermark
	neardup.MigrateV4, // the near-duplicate index, grouped by band value
	neardup.MigrateV5, // the near-duplicate index in shards
}

// schemaVersion is the layout this code reads and writes.
func schemaVersion() uint64 { return uint64(len(migrations)) }

// migrateV1 creates layout version 1: the buckets listed in store.go.
func migrateV1(tx *bbolt.Tx) error {
	for _, name := range []string{
		bucketMeta, bucketSources, bucketSourceURLs, bucketItems,
		bucketItemKeys, bucketBySource, bucketByTime,
	} {
		if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

// readSchema returns the store's schema version (0 for a new file).
func readSchema(tx *bbolt.Tx) (uint64, error) {
	meta := tx.Bucket([]byte(bucketMeta))
	if meta == nil {
		return 0, nil
	}
	v := meta.Get(metaSchema)
	if v == nil {
		return 0, nil
	}
	n, ok := u64(v)
	if !ok {
		return 0, fmt.Errorf("schema version: malformed value %x", v)
	}
	return n, nil
}

// storedSchema is the schema version db's store was written with.
func storedSchema(db *bbolt.DB) (uint64, error) {
	var have uint64
	err := db.View(func(tx *bbolt.Tx) error {
		var err error
		have, err = readSchema(tx)
		return err
	})
	return have, err
}

// errNewerSchema refuses a store of schema have, written by a newer
// feedmill than this one (schema want).
func errNewerSchema(have, want uint64) error {
	return fmt.Errorf("schema version %d is newer than this feedmill understands (%d): upgrade feedmill", have, want)
}

// checkSchema is migrate for a store opened read-only: it accepts only a
// store already at this code's schema.
func checkSchema(db *bbolt.DB) error {
	have, err := storedSchema(db)
	if err != nil {
		return err
	}
	if want := schemaVersion(); have != want {
		if have > want {
			return errNewerSchema(have, want)
		}
		return fmt.Errorf("schema version %d, this feedmill writes %d: %w", have, want, storage.ErrNeedsMigration)
	}
	return nil
}

// migrate runs the migrations the store lacks. It refuses a store written by
// a newer feedmill: this code would not understand its layout.
func migrate(db *bbolt.DB, log *slog.Logger) error {
	have, err := storedSchema(db)
	if err != nil {
		return err
	}
	want := schemaVersion()
	if have > want {
		return errNewerSchema(have, want)
	}
	for v := have; v < want; v++ {
		err := db.Update(func(tx *bbolt.Tx) error {
			if err := migrations[v](tx); err != nil {
				return err
			}
			meta, err := tx.CreateBucketIfNotExists([]byte(bucketMeta))
			if err != nil {
				return err
			}
			return meta.Put(metaSchema, u64key(v+1))
		})
		if err != nil {
			return fmt.Errorf("migrate schema %d to %d: %w", v, v+1, err)
		}
		if have > 0 {
			log.Info("store schema migrated", "from", v, "to", v+1)
		}
	}
	if have == 0 && want > 0 {
		log.Info("store created", "schema", want)
	}
	return nil
}

// nextSeq hands out the next ID of a sequence in the meta bucket. It is
// part of the write transaction, so a rolled-back request hands nothing out.
func nextSeq(tx *bbolt.Tx, name []byte) (uint64, error) {
	meta := tx.Bucket([]byte(bucketMeta))
	var n uint64
	if v := meta.Get(name); v != nil {
		var ok bool
		if n, ok = u64(v); !ok {
			return 0, fmt.Errorf("sequence %s: malformed value %x", name, v)
		}
	}
	n++
	if err := meta.Put(name, u64key(n)); err != nil {
		return 0, err
	}
	return n, nil
}
