package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"go.etcd.io/bbolt"
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
		err := s.w.do(ctx, retentionChunk, func(tx *bbolt.Tx) error {
			var err error
			n, touched, err = removeOlder(tx, cutoff, now)
			return err
		}, func() {
			if len(touched) > 0 {
				s.ver.Bump(touched...)
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
	if err := s.purgeTombstones(ctx, cutoff); err != nil {
		return total, fmt.Errorf("apply retention: purge tombstones: %w", err)
	}
	if total > 0 {
		s.log.Info("retention removed items", "items", total, "max_age", s.ret.MaxAge)
	}
	return total, nil
}

// removeOlder removes up to retentionChunk of the oldest items published
// before cutoff, and updates their sources' stats.
func removeOlder(tx *bbolt.Tx, cutoff uint64, now time.Time) (int, []uint64, error) {
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

// Tombstone watermark (schema 3): purging tombstones means walking all
// of item_keys, one entry per item ever stored; on a 1M-item store that is
// ~100 MB of pages read (and mapped into the daemon) at every start. The
// meta bucket keeps a lower bound of the time of every tombstone, so a
// retention pass with nothing to purge reads one key instead.
var (
	// metaTombOldest: no tombstone is older than this (pubNanos, uint64
	// BE); math.MaxUint64 = none. Absent = unknown: the next purge walks
	// item_keys and sets it.
	metaTombOldest = []byte("tomb.oldest")
	// metaTombPass is present while a purge walk is under way: the oldest
	// tombstone written since it started (the walk may have passed its
	// key already).
	metaTombPass = []byte("tomb.pass")
)

// noteTombstone lowers the watermarks to at (pubNanos) when a tombstone is
// written. An unknown (absent) watermark stays unknown.
func noteTombstone(tx *bbolt.Tx, at uint64) error {
	meta := tx.Bucket([]byte(bucketMeta))
	for _, k := range [][]byte{metaTombOldest, metaTombPass} {
		v := meta.Get(k)
		if v == nil {
			continue
		}
		if cur, ok := u64(v); ok && cur <= at {
			continue
		}
		if err := meta.Put(k, u64key(at)); err != nil {
			return fmt.Errorf("tombstone watermark: %w", err)
		}
	}
	return nil
}

// tombWatermark reads metaTombOldest; ok is false when it is unknown.
func tombWatermark(tx *bbolt.Tx) (uint64, bool) {
	v := tx.Bucket([]byte(bucketMeta)).Get(metaTombOldest)
	if v == nil {
		return 0, false
	}
	return u64(v)
}

// purgeTombstones deletes the tombstones older than cutoff, in
// transactions that each look at up to tombstoneScan entries of item_keys,
// unless the watermark says there are none.
func (s *Store) purgeTombstones(ctx context.Context, cutoff uint64) error {
	var (
		from   []byte
		oldest = uint64(math.MaxUint64) // of the tombstones kept so far
	)
	for {
		var (
			next    []byte
			kept    uint64
			skipped bool
		)
		err := s.w.do(ctx, retentionChunk, func(tx *bbolt.Tx) error {
			meta := tx.Bucket([]byte(bucketMeta))
			next, kept, skipped = nil, math.MaxUint64, false
			if from == nil {
				if w, ok := tombWatermark(tx); ok && w >= cutoff {
					skipped = true
					return nil
				}
				if err := meta.Put(metaTombPass, u64key(math.MaxUint64)); err != nil {
					return err
				}
			}
			var err error
			next, kept, err = purgeTombstoneChunk(tx, from, cutoff)
			if err != nil || next != nil {
				return err
			}
			// The walk is complete: the watermark is the oldest tombstone
			// it kept or that was written meanwhile.
			w := min(oldest, kept)
			if v := meta.Get(metaTombPass); v != nil {
				if p, ok := u64(v); ok {
					w = min(w, p)
				} else {
					w = 0 // malformed: stay conservative
				}
			}
			if err := meta.Delete(metaTombPass); err != nil {
				return err
			}
			return meta.Put(metaTombOldest, u64key(w))
		}, nil)
		if err != nil {
			return err
		}
		if skipped || next == nil {
			return nil
		}
		oldest = min(oldest, kept)
		from = next
	}
}

// purgeTombstoneChunk deletes tombstones older than cutoff among the
// item_keys entries from key from on. It returns the key to go on from (nil
// when it reached the end) and the oldest tombstone time it kept.
func purgeTombstoneChunk(tx *bbolt.Tx, from []byte, cutoff uint64) ([]byte, uint64, error) {
	b := tx.Bucket([]byte(bucketItemKeys))
	c := b.Cursor()
	kept := uint64(math.MaxUint64)
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
		if _, at, isTomb, err := parseItemKeyValue(v); err == nil && isTomb {
			if at < cutoff {
				stale = append(stale, bytes.Clone(k))
			} else {
				kept = min(kept, at)
			}
		}
	}
	var next []byte
	if k != nil {
		next = bytes.Clone(k)
	}
	for _, k := range stale {
		if err := b.Delete(k); err != nil {
			return nil, 0, err
		}
	}
	return next, kept, nil
}

// migrateV3 sets the tombstone watermark: one walk of item_keys, once.
func migrateV3(tx *bbolt.Tx) error {
	oldest := uint64(math.MaxUint64)
	err := tx.Bucket([]byte(bucketItemKeys)).ForEach(func(_, v []byte) error {
		if _, at, isTomb, err := parseItemKeyValue(v); err == nil && isTomb {
			oldest = min(oldest, at)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("tombstone watermark: %w", err)
	}
	return tx.Bucket([]byte(bucketMeta)).Put(metaTombOldest, u64key(oldest))
}
