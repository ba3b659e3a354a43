package neardup

import (
	"bytes"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Migrations of the near-duplicate index: its first version, then each
// new layout built from the one before. The store runs them as its schema
// versions 2, 4 and 5.

// MigrateV2 adds the first layout of the index (bucket dedup) holding the
// records of the items each gives (via yield) that carry a fingerprint or
// a lead. Only the records are written: MigrateV4 builds the index keys
// from them, reading nothing else of this bucket.
func MigrateV2(tx *bolt.Tx, each func(yield func(*Doc) error) error) error {
	b, err := tx.CreateBucketIfNotExists([]byte(bucketDedupV2))
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketDedupV2, err)
	}
	return each(func(d *Doc) error {
		r := recordOf(d)
		if r.fp == 0 && len(r.lead) < minLeadShingles {
			return nil
		}
		return b.Put(recordKey(r.id), r.encode())
	})
}

// MigrateV4 rebuilds the near-duplicate index in the grouped layout
// (bucket neardup) and drops the first layout (bucket dedup). The leads live only in the index's records, not in the
// items, so the new index is built from those records. One transaction,
// like every migration: a crash leaves the first layout in place.
//
// bbolt splits a transaction's nodes only when it commits, so keys put in
// random order into a new bucket make one node of millions of keys that
// every insert shifts. Keys are
// written in ascending order instead: the groups of one key family (a
// band or a MinHash seed) at a time, collected from a pass over the
// records, then the records, then the band groups.
func MigrateV4(tx *bolt.Tx) error {
	b, err := tx.CreateBucketIfNotExists([]byte(bucketDedup))
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketDedup, err)
	}
	old := tx.Bucket([]byte(bucketDedupV2))
	if old == nil {
		return nil
	}
	for i := range dedupMinHashes {
		if err := migrateFamilyV4(b, old, 'L', byte(i)); err != nil {
			return err
		}
	}
	err = eachRecordV2(old, func(k, v []byte, _ *dedupRecord) error { return b.Put(k, v) })
	if err != nil {
		return err
	}
	for i := range dedupBands {
		if err := migrateFamilyV4(b, old, 'S', byte(i)); err != nil {
			return err
		}
	}
	if err := tx.DeleteBucket([]byte(bucketDedupV2)); err != nil {
		return fmt.Errorf("drop bucket %s: %w", bucketDedupV2, err)
	}
	return nil
}

// eachRecordV2 calls f for every record of the old index old, in ID
// order, skipping malformed ones and those too thin to index.
func eachRecordV2(old *bolt.Bucket, f func(k, v []byte, r *dedupRecord) error) error {
	c := old.Cursor()
	for k, v := c.Seek([]byte{'R'}); k != nil && k[0] == 'R'; k, v = c.Next() {
		// The index is derived data: a malformed record costs that
		// item its place in the index (as Delete treats one),
		// not the whole store its upgrade.
		id, ok := u64(k[1:])
		if !ok {
			continue
		}
		r, err := decodeRecord(id, v)
		if err != nil {
			continue
		}
		if r.fp == 0 && len(r.lead) < minLeadShingles {
			continue
		}
		if err := f(k, v, &r); err != nil {
			return fmt.Errorf("index item %d: %w", id, err)
		}
	}
	return nil
}

// migrateFamilyV4 writes into b the groups of one key family (kind 'L'
// or 'S', number n) of every record in old, in ascending key order.
func migrateFamilyV4(b, old *bolt.Bucket, kind, n byte) error {
	groups := make(map[uint16][]byte)
	err := eachRecordV2(old, func(_, _ []byte, r *dedupRecord) error {
		var buf [dedupBands + dedupMinHashes]dedupKey
		for _, k := range r.dedupKeys(buf[:0]) {
			if k.key[0] != kind || k.key[1] != n {
				continue
			}
			g := binary.BigEndian.Uint16(k.key[2:])
			v, ok, err := insertEntry(k.key[:], groups[g], r.entry(&k), k.columns())
			if err != nil {
				return err
			}
			if ok {
				groups[g] = v
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for g := range 1 << 16 {
		if v, ok := groups[uint16(g)]; ok {
			if err := b.Put([]byte{kind, n, byte(g >> 8), byte(g)}, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// MigrateV5 moves the near-duplicate index into shards, in place (bucket
// neardup; the grouped layout keys groups 'S'/'L' band value, the
// sharded one keys shards 's'/'l', and the 'R' records stay as they are): each shard's 256
// groups, already sorted and bounded, become its base, behind a
// directory; no entry is pending. Shards are written in ascending key
// order (see MigrateV4), each right after its groups are deleted. A
// malformed group is left out (it costs that group's recall,
// as a lookup skipped it). The new bases are held in memory until the
// commit.
func MigrateV5(tx *bolt.Tx) error {
	b := tx.Bucket([]byte(bucketDedup))
	if b == nil {
		return nil
	}
	c := b.Cursor()
	var old [][]byte
	for _, fam := range []struct {
		kind byte
		n    int
	}{{'L', dedupMinHashes}, {'S', dedupBands}} {
		for n := range fam.n {
			for hi := range shardGroups {
				k := dedupKey{key: [4]byte{fam.kind, byte(n), byte(hi), 0}}
				base := make([]byte, shardDirSize)
				next := 0 // the first group whose end is not written
				end := func(to int) {
					for ; next < to; next++ {
						binary.BigEndian.PutUint32(base[4*next:], uint32(len(base)-shardDirSize))
					}
				}
				old = old[:0]
				for gk, v := c.Seek(k.key[:]); len(gk) == 4 && bytes.Equal(gk[:3], k.key[:3]); gk, v = c.Next() {
					end(int(gk[3]))
					if _, err := groupOf(gk, v, k.columns()); err == nil {
						base = append(base, v...)
					}
					old = append(old, bytes.Clone(gk))
				}
				end(shardGroups)
				for _, gk := range old {
					if err := b.Delete(gk); err != nil {
						return err
					}
				}
				if len(base) == shardDirSize {
					continue
				}
				if err := putBase(b, &k, false, base); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
