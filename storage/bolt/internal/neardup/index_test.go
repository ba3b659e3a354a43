package neardup

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/feedmill/feedmill/storage/internal/storytest"
)

// dupItem is an item of the given text, fingerprint and time.
func dupItem(text string, fp uint64, at time.Time) Doc {
	return Doc{Published: pubNanos(at), Fingerprint: fp, Lead: storytest.Lead(text)}
}

// dedupKeys counts the entries of the near-duplicate index: records and
// live group entries (base entries no tombstone deletes, and pending
// entries).
func dedupKeys(t *testing.T, s *testStore) int {
	t.Helper()
	n := 0
	if err := s.db.View(func(tx *bolt.Tx) error {
		for _, ids := range indexEntries(t, tx) {
			n += len(ids)
		}
		return tx.Bucket([]byte(Bucket)).ForEach(func(k, _ []byte) error {
			if k[0] == 'R' {
				n++
			}
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// indexEntries are the live entries of the index: the item IDs under each
// key ('S' or 'L', family, value), sorted.
func indexEntries(t testing.TB, tx *bolt.Tx) map[[4]byte][]uint64 {
	t.Helper()
	out := map[[4]byte][]uint64{}
	b := tx.Bucket([]byte(Bucket))
	c := b.Cursor()
	for k, v := c.Seek([]byte{'l'}); k != nil; k, v = c.Next() {
		if len(k) != 4 {
			t.Fatalf("unexpected key %x", k)
		}
		if isFence(k[3]) {
			continue
		}
		dk := dedupKey{key: [4]byte{k[0] &^ 0x20, k[1], k[2], 0}}
		if k[3] == partPending {
			continue // read with its base (or alone, below)
		}
		pend := b.Get([]byte{k[0], k[1], k[2], partPending})
		addShard(t, out, &dk, v, pend)
	}
	for k, v := c.Seek([]byte{'l'}); k != nil; k, v = c.Next() {
		if k[3] == partPending && b.Get([]byte{k[0], k[1], k[2], partBase}) == nil {
			dk := dedupKey{key: [4]byte{k[0] &^ 0x20, k[1], k[2], 0}}
			addShard(t, out, &dk, nil, v)
		}
	}
	for k := range out {
		slices.Sort(out[k])
	}
	return out
}

func addShard(t testing.TB, out map[[4]byte][]uint64, dk *dedupKey, base, pend []byte) {
	cols := dk.columns()
	pg, err := groupOf(nil, pend, cols)
	if err != nil {
		t.Fatal(err)
	}
	var tombs []uint64
	for j := range pg.cnt {
		m := memberOf(dk.key[0], dk.key[1], &pg, j)
		key := [4]byte{dk.key[0], dk.key[1], byte(m >> 8), byte(m)}
		if pg.u64(colSrc, j) == tombSource {
			tombs = append(tombs, pg.u64(colID, j))
		} else {
			out[key] = append(out[key], pg.u64(colID, j))
		}
	}
	for lo := range shardGroups {
		bv, ok := baseGroup(base, lo)
		if !ok {
			t.Fatalf("shard %x: malformed base", dk.key[:3])
		}
		g, err := groupOf(nil, bv, cols)
		if err != nil {
			t.Fatal(err)
		}
		key := [4]byte{dk.key[0], dk.key[1], dk.key[2], byte(lo)}
		for j := range g.cnt {
			if id := g.u64(colID, j); !slices.Contains(tombs, id) {
				out[key] = append(out[key], id)
			}
		}
	}
}

func TestContainment(t *testing.T) {
	full := storytest.Lead(storytest.A)
	tests := []struct {
		name string
		a, b []uint32
		want float64
	}{
		{"teaser", full[:10], full, 1},
		{"same", full, full, 1},
		{"half", append(slices.Clone(full[:10]), storytest.Lead(storytest.B)[:10]...), full, 0.5},
		{"other", storytest.Lead(storytest.B), full, 0},
	}
	for _, tt := range tests {
		if got := containment(tt.a, tt.b); got != tt.want {
			t.Errorf("%s: containment %.3f, want %.3f", tt.name, got, tt.want)
		}
	}
}

// BenchmarkNearDupLookup: the story lookup for one new item (candidates
// from the SimHash bands and lead MinHashes, each confirmed) in an index
// of 10k and of 1M items spread over 30 days, probes spread uniformly
// over those days, half of them copies. The index is written directly,
// in key order, to build it fast; b.N counts lookups.
func BenchmarkNearDupLookup(b *testing.B) { benchNearDup(b, false) }

// BenchmarkNearDupLookupRecent: the same, with probes of items published
// on the index's last day, item IDs growing with time: what the daemon
// looks up (items just published). Its name keeps it out of the
// near-duplicate row of cmd/feedbench, which reads the uniform one.
func BenchmarkNearDupLookupRecent(b *testing.B) { benchNearDup(b, true) }

func benchNearDup(b *testing.B, recent bool) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			s := openTest(b)
			r := rand.New(rand.NewPCG(7, uint64(n)))
			t0 := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
			recs := randomRecords(r, n, t0)
			from := 0 // probes copy items from recs[from:]
			if recent {
				slices.SortFunc(recs, func(x, y dedupRecord) int { return cmp.Compare(x.pub, y.pub) })
				for i := range recs {
					recs[i].id = uint64(i + 1)
				}
				last := pubNanos(t0.Add(29 * 24 * time.Hour))
				from, _ = slices.BinarySearchFunc(recs, last, func(x dedupRecord, t uint64) int { return cmp.Compare(x.pub, t) })
			}
			if err := bulkIndex(s, recs); err != nil {
				b.Fatal(err)
			}
			probes := make([]Doc, 1024)
			for i := range probes {
				base := recs[from+r.IntN(n-from)]
				p := Doc{ID: uint64(n + i + 1), Source: 999999, Published: base.pub}
				if i%2 == 0 {
					p.Fingerprint = base.fp ^ 0b101 // a copy: found through a band
					p.Lead = base.lead[:20]         // and through its lead
				} else {
					p.Fingerprint = r.Uint64() | 1 // a new story
					for range 62 {
						p.Lead = append(p.Lead, r.Uint32())
					}
				}
				probes[i] = p
			}
			tx, err := s.db.Begin(false)
			if err != nil {
				b.Fatal(err)
			}
			defer tx.Rollback()
			bk := tx.Bucket([]byte(Bucket))
			found := 0
			b.ResetTimer()
			i := 0
			for b.Loop() {
				p := &probes[i%len(probes)]
				i++
				if _, ok, err := findStory(bk, p); err != nil {
					b.Fatal(err)
				} else if ok {
					found++
				}
			}
			b.StopTimer()
			if i >= 2 && found < i/2 {
				b.Fatalf("found %d of %d copies", found, i/2)
			}
		})
	}
}

// bulkIndex writes the index that inserting recs in ID order leaves (each
// shard merged whenever mergeDue said so, the entries since pending), in
// key order and large transactions, to build it fast. TestBulkIndex checks
// it against the inserts themselves.
func bulkIndex(s *testStore, recs []dedupRecord) error {
	type shard struct {
		k       dedupKey // family and hi
		entries []int    // indexes into recs, in insertion order
		merged  int      // entries[:merged] are in the base
	}
	shards := map[[4]byte]*shard{}
	order := make([]int, len(recs))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(x, y int) int { return cmp.Compare(recs[x].id, recs[y].id) })
	var kbuf [dedupBands + dedupMinHashes]dedupKey
	for _, i := range order {
		for _, k := range recs[i].dedupKeys(kbuf[:0]) {
			sk := k.shardKey(partBase)
			sh := shards[sk]
			if sh == nil {
				sh = &shard{k: k}
				shards[sk] = sh
			}
			sh.entries = append(sh.entries, i)
			baseLen := 0
			if sh.merged > 0 {
				baseLen = shardDirSize + sh.merged*entrySize(k.columns())
			}
			if mergeDue(len(sh.entries)-sh.merged, baseLen) {
				sh.merged = len(sh.entries)
			}
		}
	}
	type kv struct{ k, v []byte }
	kvs := make([]kv, 0, 2*len(shards)+len(recs))
	for sk, sh := range shards {
		keyOf := func(i int) dedupKey { // recs[i]'s key in sh's family
			for _, k := range recs[i].dedupKeys(kbuf[:0]) {
				if k.key[0] == sh.k.key[0] && k.key[1] == sh.k.key[1] {
					return k
				}
			}
			panic("no key")
		}
		cols := sh.k.columns()
		if sh.merged > 0 {
			groups := make([][]byte, shardGroups)
			for _, i := range sh.entries[:sh.merged] {
				k := keyOf(i)
				v, _, err := insertEntry(k.key[:], groups[k.lo()], recs[i].entry(&k), cols)
				if err != nil {
					return err
				}
				groups[k.lo()] = v
			}
			base := make([]byte, shardDirSize)
			for lo, g := range groups {
				base = append(base, g...)
				binary.BigEndian.PutUint32(base[4*lo:], uint32(len(base)-shardDirSize))
			}
			kvs = append(kvs, kv{bytes.Clone(sk[:]), base})
			for part := partBase - fenceKeys; part <= partBase+fenceKeys; part++ {
				if part != partBase {
					fk := sh.k.shardKey(byte(part))
					kvs = append(kvs, kv{fk[:], []byte{}})
				}
			}
		}
		{ // written at the first insert, kept when emptied
			pend := []byte{}
			for _, i := range sh.entries[sh.merged:] {
				k := keyOf(i)
				v, _, err := insertEntry(k.key[:], pend, recs[i].entry(&k), cols)
				if err != nil {
					return err
				}
				pend = v
			}
			pk := sh.k.shardKey(partPending)
			kvs = append(kvs, kv{pk[:], pend})
		}
	}
	for i := range recs {
		kvs = append(kvs, kv{recordKey(recs[i].id), recs[i].encode()})
	}
	slices.SortFunc(kvs, func(a, b kv) int { return bytes.Compare(a.k, b.k) })
	for start := 0; start < len(kvs); start += 200_000 {
		err := s.db.Update(func(tx *bolt.Tx) error {
			bk := tx.Bucket([]byte(Bucket))
			bk.FillPercent = 0.9
			for _, e := range kvs[start:min(start+200_000, len(kvs))] {
				if err := bk.Put(e.k, e.v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// randomRecords are n records of random fingerprints and leads, from 5,000
// sources, published over 30 days from t0, IDs 1..n in random order of
// publication.
func randomRecords(r *rand.Rand, n int, t0 time.Time) []dedupRecord {
	recs := make([]dedupRecord, n)
	for i := range recs {
		lead := make([]uint32, 62)
		for j := range lead {
			lead[j] = r.Uint32()
		}
		pub := t0.Add(time.Duration(r.Int64N(int64(30 * 24 * time.Hour))))
		recs[i] = dedupRecord{id: uint64(i + 1), source: uint64(i%5000 + 1), pub: pubNanos(pub), fp: r.Uint64() | 1, lead: lead}
	}
	return recs
}

// insertRecords indexes recs as the writer does (putRecord), perTx to a
// transaction.
func insertRecords(t *testing.T, s *testStore, recs []dedupRecord, perTx int) {
	t.Helper()
	for start := 0; start < len(recs); start += perTx {
		if err := s.db.Update(func(tx *bolt.Tx) error {
			bk := tx.Bucket([]byte(Bucket))
			for i := range recs[start:min(start+perTx, len(recs))] {
				if err := putRecord(bk, &recs[start+i]); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBulkIndex: the benchmark's index is the one the inserts leave,
// byte for byte (40,000 items: every shard merged at least once, pending
// entries in all of them).
func TestBulkIndex(t *testing.T) {
	recs := randomRecords(rand.New(rand.NewPCG(1, 2)), 40_000, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	bulk, real := openTest(t), openTest(t)
	if err := bulkIndex(bulk, recs); err != nil {
		t.Fatal(err)
	}
	insertRecords(t, real, recs, 10_000)
	dump := func(s *testStore) (out []string, bases, pending int) {
		s.db.View(func(tx *bolt.Tx) error {
			return tx.Bucket([]byte(Bucket)).ForEach(func(k, v []byte) error {
				out = append(out, fmt.Sprintf("%x %x", k, v))
				switch {
				case len(k) == 4 && k[3] == partBase:
					bases++
				case len(k) == 4 && k[3] == partPending:
					pending++
				}
				return nil
			})
		})
		return out, bases, pending
	}
	want, bases, pending := dump(real)
	got, _, _ := dump(bulk)
	if bases != 10*shardGroups || pending < 9*shardGroups {
		t.Fatalf("%d bases and %d pending values: the test exercises too little", bases, pending)
	}
	if len(got) != len(want) {
		t.Fatalf("bulk index: %d keys, inserts: %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("key %d: bulk index\n%.200s\ninserts\n%.200s", i, got[i], want[i])
		}
	}
	mustCheck(t, real)
}

// TestGroupEntries: a group keeps its entries in (published, ID) order,
// column by column; a full one keeps the newest maxGroupEntries; removing
// takes out exactly the item's entry.
func TestGroupEntries(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	k := dedupKey{key: [4]byte{'S', 0, 1, 2}}
	var v []byte
	var pubs []uint64
	for i := range maxGroupEntries + 100 {
		rec := dedupRecord{id: uint64(i + 1), source: 7, pub: uint64(r.IntN(1000)), fp: uint64(i) << 16, story: 3}
		nv, ok, err := insertEntry(k.key[:], v, rec.entry(&k), k.columns())
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			v = nv
		}
		pubs = append(pubs, rec.pub)
	}
	g, err := groupOf(k.key[:], v, k.columns())
	if err != nil || g.cnt != maxGroupEntries {
		t.Fatalf("group of %d entries, %v; want %d", g.cnt, err, maxGroupEntries)
	}
	slices.Sort(pubs)
	if oldest := pubs[len(pubs)-maxGroupEntries]; g.u64(colPub, 0) < oldest {
		t.Errorf("oldest kept entry published %d, want >= %d", g.u64(colPub, 0), oldest)
	}
	for j := range g.cnt {
		id := g.u64(colID, j)
		if g.u64(colMatch, j) != (id-1)<<16 || g.u64(colSrc, j) != 7 || g.u64(colStory, j) != 3 {
			t.Fatalf("entry %d: columns do not belong to item %d", j, id)
		}
		if j > 0 && cmp.Or(cmp.Compare(g.u64(colPub, j-1), g.u64(colPub, j)), cmp.Compare(g.u64(colID, j-1), id)) >= 0 {
			t.Fatalf("entries %d and %d out of order", j-1, j)
		}
	}
	id := g.u64(colID, 100)
	w := g.without(100)
	g2, err := groupOf(k.key[:], w, k.columns())
	if err != nil || g2.cnt != g.cnt-1 || g2.u64(colID, 100) == id || g2.u64(colID, 99) != g.u64(colID, 99) {
		t.Errorf("without: %d entries, %v", g2.cnt, err)
	}
}

// A damaged near-dup shard or record never fails an ingest: Check reports
// it, the next write to a damaged pending value repairs it, the next merge
// a damaged base, and the copy that the intact groups still point to is
// found.
func TestDamagedDedupIndex(t *testing.T) {
	s := openTest(t)
	const a, b, c = 1, 2, 3
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	var fpA uint64 = 0x0123456789abcdef
	first := record(t, s, a, dupItem(storytest.A, fpA, t0))[0]

	// Band 0's pending value holds a1's entry; band 1's shard gets a base
	// that is not one.
	band0 := dedupKey{key: [4]byte{'S', 0, byte(fpA >> 8), byte(fpA)}}
	band1 := dedupKey{key: [4]byte{'S', 1, byte(fpA >> 24), byte(fpA >> 16)}}
	pend0, base1 := band0.shardKey(partPending), band1.shardKey(partBase)
	if err := s.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket([]byte(Bucket))
		if bk.Get(pend0[:]) == nil {
			t.Fatalf("no pending value %x for the first item", pend0)
		}
		if err := bk.Put(pend0[:], []byte("seven b")); err != nil {
			return err
		}
		if err := bk.Put(base1[:], []byte("short")); err != nil {
			return err
		}
		return bk.Put(recordKey(999), []byte("short"))
	}); err != nil {
		t.Fatal(err)
	}
	err := s.Check()
	for _, want := range []string{"malformed group", "malformed shard", "record of item 999"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("Check = %v, want %q reported", err, want)
		}
	}

	got := record(t, s, b, dupItem(storytest.C, fpA^(1<<20), t0.Add(time.Hour)))[0] // same bands 0, 2, 3
	if got.Story != first.ID {
		t.Errorf("copy got story %d, want %d (found through the intact bands)", got.Story, first.ID)
	}
	if err := s.Check(); err == nil || strings.Contains(err.Error(), "malformed group") || !strings.Contains(err.Error(), "malformed shard") {
		t.Fatalf("Check = %v, want the pending value repaired and the base still reported", err)
	}
	// Enough items in band 1's shard merge it: the base is replaced.
	r := rand.New(rand.NewPCG(3, 4))
	var more []Doc
	for i := range mergeMinPending {
		fp := r.Uint64()&^(0xff<<24) | fpA&(0xff<<24)
		more = append(more, dupItem(fmt.Sprintf("%s %d", storytest.B, i), fp, t0))
	}
	record(t, s, c, more...)
	if err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(Bucket)).Delete(recordKey(999))
	}); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, s)
}

// findStory is groupsRead.findStory with groups of its own: a lookup
// alone, as the tests and benchmarks make it.
func findStory(b *bolt.Bucket, d *Doc) (storyMatch, bool, error) {
	var gr groupsRead
	r := recordOf(d)
	return gr.findStory(b, &r)
}
