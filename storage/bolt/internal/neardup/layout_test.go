package neardup

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// leafKeys are the keys of each leaf of bucket neardup as committed to the
// store's file, read by walking bbolt's pages (the page format of
// go.etcd.io/bbolt/internal/common: a 16-byte header, then 16-byte
// elements), with the byte size of each leaf's page run.
func leafKeys(t *testing.T, path string) (leaves [][][]byte, sizes []int, pageSize int) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	pageSize = int(le.Uint32(raw[16+8:]))
	// The meta page of the later transaction holds the root bucket.
	var root, txid uint64
	for m := range 2 {
		o := m*pageSize + 16
		if id := le.Uint64(raw[o+48:]); id >= txid {
			txid, root = id, le.Uint64(raw[o+16:])
		}
	}
	page := func(id uint64) []byte {
		o := int(id) * pageSize
		return raw[o : o+(int(le.Uint32(raw[o+12:]))+1)*pageSize]
	}
	// elements calls leaf(key, value, flags) or branch(child) per element.
	elements := func(p []byte, leaf func(k, v []byte, flags uint32), branch func(child uint64)) {
		isLeaf := le.Uint16(p[8:])&0x02 != 0
		for i := range int(le.Uint16(p[10:])) {
			e := 16 + 16*i
			if isLeaf {
				pos, ks, vs := int(le.Uint32(p[e+4:])), int(le.Uint32(p[e+8:])), int(le.Uint32(p[e+12:]))
				leaf(p[e+pos:e+pos+ks], p[e+pos+ks:e+pos+ks+vs], le.Uint32(p[e:]))
			} else {
				branch(le.Uint64(p[e+8:]))
			}
		}
	}
	var bucketRoot uint64
	var find func(id uint64)
	find = func(id uint64) {
		elements(page(id), func(k, v []byte, flags uint32) {
			if flags&1 != 0 && string(k) == Bucket {
				bucketRoot = le.Uint64(v)
			}
		}, find)
	}
	find(root)
	if bucketRoot == 0 {
		t.Fatalf("bucket %s is inline or missing", Bucket)
	}
	var walk func(id uint64)
	walk = func(id uint64) {
		p := page(id)
		var keys [][]byte
		elements(p, func(k, _ []byte, _ uint32) { keys = append(keys, bytes.Clone(k)) }, walk)
		if keys != nil {
			leaves, sizes = append(leaves, keys), append(sizes, len(p))
		}
	}
	walk(bucketRoot)
	return leaves, sizes, pageSize
}

// checkBaseLeaves fails the test when a base stored on more than one page
// shares its leaf with a key other than its own fences (fenceKeys): a
// pending value or another base, whose writes would write it again.
func checkBaseLeaves(t *testing.T, path string) {
	t.Helper()
	leaves, sizes, pageSize := leafKeys(t, path)
	big := 0
	for i, keys := range leaves {
		if sizes[i] <= pageSize {
			continue
		}
		for _, k := range keys {
			if len(k) != 4 || k[3] != partBase {
				continue
			}
			big++
			for _, o := range keys {
				if !bytes.Equal(o, k) && !(len(o) == 4 && bytes.Equal(o[:3], k[:3]) && isFence(o[3])) {
					t.Fatalf("base %x shares its %d-byte leaf with %x (leaf %x)", k, sizes[i], o, keys)
				}
			}
		}
	}
	if big < shardGroups*9 {
		t.Fatalf("only %d bases fill more than a page: the test exercises too little", big)
	}
}

// TestShardLeafLayout: in an index grown by inserts (transactions of
// 1,000, as the writer commits them) and in one that MigrateV5 converted,
// every base larger than a page sits in a leaf with nothing but its own
// fences, so inserts into pending values never write a base.
func TestShardLeafLayout(t *testing.T) {
	t0 := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	recs := randomRecords(rand.New(rand.NewPCG(3, 3)), 40_000, t0)
	t.Run("inserts", func(t *testing.T) {
		s := openTest(t)
		insertRecords(t, s, recs, 1000)
		checkBaseLeaves(t, s.db.Path())
	})
	t.Run("migrated", func(t *testing.T) {
		s := openTest(t)
		// Schema 4's groups, as MigrateV4 wrote them: ascending key order.
		sorted := slices.Clone(recs)
		slices.SortFunc(sorted, func(x, y dedupRecord) int { return cmp.Or(cmp.Compare(x.pub, y.pub), cmp.Compare(x.id, y.id)) })
		groups := map[[4]byte][]byte{}
		var kbuf [dedupBands + dedupMinHashes]dedupKey
		for i := range sorted {
			for _, k := range sorted[i].dedupKeys(kbuf[:0]) {
				v, _, err := insertEntry(k.key[:], groups[k.key], sorted[i].entry(&k), k.columns())
				if err != nil {
					t.Fatal(err)
				}
				groups[k.key] = v
			}
		}
		type kv struct{ k, v []byte }
		var kvs []kv
		for k, v := range groups {
			kvs = append(kvs, kv{bytes.Clone(k[:]), v})
		}
		for i := range recs {
			kvs = append(kvs, kv{recordKey(recs[i].id), recs[i].encode()})
		}
		// In key order: bbolt splits a transaction's nodes only at the
		// commit (see MigrateV4).
		slices.SortFunc(kvs, func(a, b kv) int { return bytes.Compare(a.k, b.k) })
		if err := s.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte(Bucket))
			for _, e := range kvs {
				if err := b.Put(e.k, e.v); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.db.Update(MigrateV5); err != nil {
			t.Fatal(err)
		}
		checkBaseLeaves(t, s.db.Path())
		mustCheck(t, s)
	})
}
