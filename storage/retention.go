package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// retentionChunk is how many items (or tombstones) one retention
// transaction removes, so that retention never holds the writer long.
const retentionChunk = 1000

// tombstoneScan is how many item_keys entries one transaction looks at while
// it purges tombstones.
const tombstoneScan = 20000

// ApplyRetention removes items older than the retention's MaxAge from every
// source and returns how many it removed. It also purges the tombstones
// (identities of removed items, see RecordFetch) that are older than
// MaxAge. It works in transactions of about 1,000 removals, so fetches
// commit between them; when ctx ends it stops after the current one and
// returns what it removed with ctx's error. Without a MaxAge it does nothing.
func (s *Store) ApplyRetention(ctx context.Context) (int, error) {
	if s.ret.MaxAge <= 0 {
		return 0, nil
	}
	now := s.now()
	cutoff := pubNanos(now.Add(-s.ret.MaxAge))
	total := 0
	for {
		var (
			n       int
			touched []uint64
		)
		err := s.w.do(ctx, retentionChunk, func(tx *bolt.Tx) error {
			var err error
			n, touched, err = removeOlder(tx, cutoff, now)
			return err
		}, func() {
			if len(touched) > 0 {
				s.ver.bump(touched...)
			}
		})
		if err != nil {
			return total, fmt.Errorf("apply retention: %w", err)
		}
		total += n
		if n < retentionChunk {
			break
		}
	}
	var from []byte
	for {
		var next []byte
		err := s.w.do(ctx, retentionChunk, func(tx *bolt.Tx) error {
			var err error
			next, err = purgeTombstones(tx, from, cutoff)
			return err
		}, nil)
		if err != nil {
			return total, fmt.Errorf("apply retention: purge tombstones: %w", err)
		}
		if next == nil {
			break
		}
		from = next
	}
	if total > 0 {
		s.log.Info("retention removed items", "items", total, "max_age", s.ret.MaxAge)
	}
	return total, nil
}

// removeOlder removes up to retentionChunk of the oldest items published
// before cutoff, and updates their sources' stats.
func removeOlder(tx *bolt.Tx, cutoff uint64, now time.Time) (int, []uint64, error) {
	ix := openIndexes(tx)
	var victims [][]byte
	c := ix.byTime.Cursor()
	for k, _ := c.First(); k != nil && len(victims) < retentionChunk; k, _ = c.Next() {
		if len(k) != 16 {
			return 0, nil, fmt.Errorf("%s %x: %w", bucketByTime, k, errBadKey)
		}
		if binary.BigEndian.Uint64(k) >= cutoff {
			break
		}
		victims = append(victims, bytes.Clone(k[8:]))
	}
	perSource := make(map[uint64]int)
	for _, id := range victims {
		it, err := ix.loadItem(id)
		if err != nil {
			return 0, nil, err
		}
		if err := ix.remove(it, now); err != nil {
			return 0, nil, err
		}
		perSource[it.SourceID]++
	}
	touched := make([]uint64, 0, len(perSource))
	for id, n := range perSource {
		src, err := getSource(tx, id)
		if err != nil {
			return 0, nil, fmt.Errorf("items of missing source: %w", err)
		}
		src.Stats.Items = max(src.Stats.Items-n, 0)
		src.Stats.ChangedAt = now
		if err := putSource(tx, src); err != nil {
			return 0, nil, err
		}
		touched = append(touched, id)
	}
	return len(victims), touched, nil
}

// purgeTombstones deletes tombstones older than cutoff among the item_keys
// entries from key from on. It returns the key to go on from, or nil when
// it reached the end.
func purgeTombstones(tx *bolt.Tx, from []byte, cutoff uint64) ([]byte, error) {
	b := tx.Bucket([]byte(bucketItemKeys))
	c := b.Cursor()
	var stale [][]byte
	var k, v []byte
	if from == nil {
		k, v = c.First()
	} else {
		k, v = c.Seek(from)
	}
	for seen := 0; k != nil; k, v = c.Next() {
		if seen == tombstoneScan || len(stale) == retentionChunk {
			break
		}
		seen++
		if _, at, isTomb, err := parseItemKeyValue(v); err == nil && isTomb && at < cutoff {
			stale = append(stale, bytes.Clone(k))
		}
	}
	var next []byte
	if k != nil {
		next = bytes.Clone(k)
	}
	for _, k := range stale {
		if err := b.Delete(k); err != nil {
			return nil, err
		}
	}
	return next, nil
}
