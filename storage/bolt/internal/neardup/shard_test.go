package neardup

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestShardedIndexMatchesScan proves that the sharded near-duplicate index
// stays exactly what its records say through inserts, deletes and updates
// at a scale where every shard merges (most under the race detector):
// tombstones are written into pending values, then merged into the bases.
// And that a lookup (findStory), which reads bases, pending values and
// tombstones, finds what a scan of the live records finds: the same
// story, item and score, or nothing.
//
// The index is written directly (putRecord, Delete in large
// transactions); after each transaction a read transaction compares the
// index's live entries and records with the model's, probes the lookup
// against a brute-force oracle over the live records, and runs Check.
func TestShardedIndexMatchesScan(t *testing.T) {
	const (
		inserts = 3500 // per transaction
		deletes = 450  // per transaction
		updates = 450  // per transaction
		probes  = 250  // per transaction
	)
	// 12 transactions: 42,000 items, every shard merged at least once.
	// The race detector makes the writes 5 times slower: 7 transactions
	// there, most shards merged.
	rounds, minBases := 12, (dedupBands+dedupMinHashes)*shardGroups
	if raceBuild() {
		rounds, minBases = 7, minBases*3/4
	}
	s := openTest(t)
	m := newShardModel(42)
	var st shardStats
	for round := range rounds {
		ops := make([]byte, 0, inserts+deletes+updates)
		for range inserts {
			ops = append(ops, 'i')
		}
		for range deletes {
			ops = append(ops, 'd')
		}
		for range updates {
			ops = append(ops, 'u')
		}
		m.r.Shuffle(len(ops), func(i, j int) { ops[i], ops[j] = ops[j], ops[i] })
		if err := s.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte(Bucket))
			for _, op := range ops {
				if err := m.apply(b, op); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		m.verify(t, s, round, probes, &st)
	}
	t.Logf("%d items indexed, %d live; %d deletes, %d updates; %d probes, %d found a story, %d by lead containment above the SimHash score",
		m.next-1, len(m.live), m.deleted, m.updated, st.probes, st.matched, st.byLead)
	t.Logf("at the end: %d bases, %d pending values; %d tombstones seen in pending values over the rounds (max %d at once)",
		st.bases, st.pending, st.tombs, st.maxTombs)
	if st.bases < minBases {
		t.Fatalf("%d shard bases at the end, want at least %d: too few shards merged, the test exercises too little", st.bases, minBases)
	}
	if st.tombs < 1000 || st.pending < 2000 {
		t.Fatalf("%d tombstones seen and %d pending values at the end: the test exercises too little", st.tombs, st.pending)
	}
	if st.matched*5 <= st.probes || st.matched*10 >= st.probes*9 || st.byLead == 0 {
		t.Fatalf("%d of %d probes found a story (%d by lead containment): not a useful test", st.matched, st.probes, st.byLead)
	}
}

// raceBuild reports whether the test binary was built with -race (as make
// test builds it).
func raceBuild() bool {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" {
				return s.Value == "true"
			}
		}
	}
	return false
}

// shardStats is what the verifications of TestShardedIndexMatchesScan saw.
type shardStats struct {
	probes, matched, byLead int
	bases, pending          int // at the last verification
	tombs, maxTombs         int // tombstones in pending values: summed over verifications, and the most at once
}

const (
	modelSources = 40
	modelStep    = 80 * time.Second // item i is published around t0 + i*modelStep
	probeBaseID  = 1 << 40
)

// shardModel is what TestShardedIndexMatchesScan expects the index to
// hold: the live records by ID, and the versions deleted or replaced
// (copies of those are probes that must not find them).
type shardModel struct {
	r                *rand.Rand
	t0               uint64
	next             uint64 // the next item ID
	live             map[uint64]*modelRec
	order            []uint64 // the IDs indexed, oldest first (live or not)
	dead             []dedupRecord
	deleted, updated int
	probeID          uint64
}

// modelRec is a live record and its keys as dedupKeys gives them: the
// band values and the full MinHashes.
type modelRec struct {
	dedupRecord
	keys  []dedupKey
	hasFP bool
	bands [dedupBands]uint16
	hasL  bool
	mins  [dedupMinHashes]uint32
}

func newModelRec(r dedupRecord) *modelRec {
	mr := &modelRec{dedupRecord: r}
	mr.keys = r.dedupKeys(nil)
	for _, k := range mr.keys {
		if k.sim() {
			mr.hasFP, mr.bands[k.key[1]] = true, k.value16()
		} else {
			mr.hasL, mr.mins[k.key[1]] = true, k.min
		}
	}
	return mr
}

func newShardModel(seed uint64) *shardModel {
	return &shardModel{
		r:       rand.New(rand.NewPCG(seed, 7)),
		t0:      pubNanos(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)),
		next:    1,
		live:    map[uint64]*modelRec{},
		probeID: probeBaseID,
	}
}

// apply performs one operation on the bucket and the model: 'i' inserts
// a new record, 'd' deletes a live one (now and then one already gone),
// 'u' updates a live one (deleteDedup, then putRecord of the same ID with
// another fingerprint, lead or published time, as the store does on a
// changed body).
func (m *shardModel) apply(b *bolt.Bucket, op byte) error {
	switch op {
	case 'i':
		r := m.newRecord()
		if err := putRecord(b, &r); err != nil {
			return fmt.Errorf("put %d: %w", r.id, err)
		}
		m.add(r)
	case 'd':
		if m.r.IntN(20) == 0 && len(m.dead) > 0 { // gone already: a no-op
			if id := m.dead[m.r.IntN(len(m.dead))].id; m.live[id] == nil {
				return Delete(b, id)
			}
		}
		o := m.pickLive(len(m.order))
		if o == nil {
			return nil
		}
		if err := Delete(b, o.id); err != nil {
			return fmt.Errorf("delete %d: %w", o.id, err)
		}
		m.remove(o)
		m.deleted++
	case 'u':
		o := m.pickLive(len(m.order))
		if o == nil {
			return nil
		}
		r := m.changed(&o.dedupRecord)
		if err := Delete(b, o.id); err != nil {
			return fmt.Errorf("update %d: delete: %w", o.id, err)
		}
		if err := putRecord(b, &r); err != nil {
			return fmt.Errorf("update %d: put: %w", o.id, err)
		}
		m.remove(o)
		m.add(r)
		m.updated++
	}
	return nil
}

// add makes r live, if putRecord stores it.
func (m *shardModel) add(r dedupRecord) {
	if r.fp == 0 && len(r.lead) < minLeadShingles {
		return // nothing to match on: not stored
	}
	if _, ok := m.live[r.id]; !ok && (len(m.order) == 0 || m.order[len(m.order)-1] < r.id) {
		m.order = append(m.order, r.id)
	}
	m.live[r.id] = newModelRec(r)
}

func (m *shardModel) remove(o *modelRec) {
	delete(m.live, o.id)
	m.dead = append(m.dead, o.dedupRecord)
}

// pickLive is a live record among the last n indexed (nil if it finds
// none).
func (m *shardModel) pickLive(n int) *modelRec {
	n = min(n, len(m.order))
	for range 20 {
		if n == 0 {
			return nil
		}
		if o := m.live[m.order[len(m.order)-1-m.r.IntN(n)]]; o != nil {
			return o
		}
	}
	return nil
}

func (m *shardModel) randomLead(n int) []uint32 {
	lead := make([]uint32, n)
	for i := range lead {
		lead[i] = m.r.Uint32()
	}
	return lead
}

func (m *shardModel) otherSource(src uint64) uint64 {
	o := 1 + m.r.Uint64N(modelSources-1)
	if o >= src {
		o++
	}
	return o
}

// flip is fp with k distinct bits flipped.
func (m *shardModel) flip(fp uint64, k int) uint64 {
	for _, b := range m.r.Perm(64)[:k] {
		fp ^= 1 << b
	}
	return fp
}

// newRecord is the next item: 40% copies of a recent item, the rest
// unrelated (some without fingerprint, with a short lead, with repeated
// lead shingles, or with nothing to match on).
func (m *shardModel) newRecord() dedupRecord {
	id := m.next
	m.next++
	if m.r.IntN(5) < 2 {
		if o := m.pickLive(3000); o != nil {
			r := m.copyOf(&o.dedupRecord, true)
			r.id = id
			if m.r.IntN(2) == 0 {
				r.story = o.storyID()
			}
			return r
		}
	}
	r := m.fresh(m.t0 + id*uint64(modelStep))
	r.id = id
	return r
}

// fresh is an unrelated record published around pub.
func (m *shardModel) fresh(pub uint64) dedupRecord {
	r := dedupRecord{
		source: 1 + m.r.Uint64N(modelSources),
		pub:    pub - uint64(6*time.Hour) + m.r.Uint64N(uint64(12*time.Hour)),
		fp:     m.r.Uint64() | 1,
	}
	switch m.r.IntN(20) {
	case 0: // no fingerprint
		r.fp, r.lead = 0, m.randomLead(8+m.r.IntN(50))
	case 1: // no lead
	case 2: // a lead too short
		r.lead = m.randomLead(1 + m.r.IntN(minLeadShingles-1))
	case 3: // nothing to match on
		r.fp, r.lead = 0, m.randomLead(m.r.IntN(minLeadShingles))
	case 4: // repeated shingles: 12 long, 6 distinct
		l := m.randomLead(6)
		r.lead = append(l, l...)
	default:
		r.lead = m.randomLead(20 + m.r.IntN(43))
	}
	return r
}

// copyOf is a copy of o, published up to 78 hours away (now and then
// exactly 72 hours, or just past them): a few fingerprint bits flipped
// (up to 5: 4 and 5 are other stories) or another fingerprint, and the
// same lead, a teaser (its opening), a line put in front, the same
// indexed opening with another body (MinHashes shared, containment
// below the threshold), or another lead. The source differs from o's,
// but for one in seven (own source: never a match) when sameSrc is true.
func (m *shardModel) copyOf(o *dedupRecord, sameSrc bool) dedupRecord {
	r := dedupRecord{source: m.otherSource(o.source)}
	if sameSrc && m.r.IntN(7) == 0 {
		r.source = o.source
	}
	switch x := m.r.IntN(40); {
	case x == 0:
		r.pub = o.pub + uint64(storyWindow)
	case x == 1:
		r.pub = o.pub - uint64(storyWindow)
	case x == 2:
		r.pub = o.pub + uint64(storyWindow) + 1
	case x == 3:
		r.pub = o.pub - uint64(storyWindow) - 1
	default:
		r.pub = o.pub - uint64(78*time.Hour) + m.r.Uint64N(uint64(156*time.Hour))
	}
	switch x := m.r.IntN(10); {
	case o.fp == 0 || x == 0:
		r.fp = m.r.Uint64() | 1
	case x == 1:
		r.fp = 0
	case x == 2:
		r.fp = o.fp
	default:
		r.fp = m.flip(o.fp, 1+m.r.IntN(5))
	}
	switch x := m.r.IntN(6); {
	case len(o.lead) < minLeadShingles || x == 0:
		r.lead = m.randomLead(minLeadShingles + m.r.IntN(55))
	case x == 1:
		r.lead = slices.Clone(o.lead)
	case x == 2:
		r.lead = slices.Clone(o.lead[:min(len(o.lead), minLeadShingles+m.r.IntN(12))])
	case x == 3:
		r.lead = append(m.randomLead(2), o.lead...)
	case x == 4:
		r.lead = append(slices.Clone(o.lead[:min(len(o.lead), leadIndexShingles)]), m.randomLead(44)...)
	default:
		r.lead = append(slices.Clone(o.lead), m.randomLead(1+m.r.IntN(4))...)
	}
	return r
}

// changed is o after an update of its body: the same ID, source and
// story, published a little earlier or later, another fingerprint or
// lead (or both; sometimes neither is left).
func (m *shardModel) changed(o *dedupRecord) dedupRecord {
	r := *o
	r.pub = o.pub - uint64(3*time.Hour) + m.r.Uint64N(uint64(6*time.Hour))
	switch x := m.r.IntN(6); {
	case x <= 1 && o.fp != 0:
		r.fp = m.flip(o.fp, 1+m.r.IntN(4))
	case x == 2:
		r.fp = m.r.Uint64() | 1
	case x == 3:
		r.fp = 0
	}
	switch x := m.r.IntN(6); {
	case x <= 1:
		r.lead = append(slices.Clone(o.lead), m.randomLead(1+m.r.IntN(6))...)
	case x == 2:
		r.lead = m.randomLead(20 + m.r.IntN(43))
	case x == 3:
		r.lead = m.randomLead(m.r.IntN(minLeadShingles))
	default:
		r.lead = slices.Clone(o.lead)
	}
	return r
}

// probe is a lookup: a copy of a live record, of a deleted or replaced
// one (half of those by fingerprint alone: a candidate found through a
// band alone needs no record, so only the tombstone hides it), a copy of
// a live record under that record's own ID (an update's lookup, which
// must not find the item itself), or an unrelated item.
func (m *shardModel) probe() dedupRecord {
	var o *dedupRecord
	live, own := false, false
	switch x := m.r.IntN(10); {
	case x < 4:
		if lr := m.pickLive(len(m.order)); lr != nil {
			o, live = &lr.dedupRecord, true
		}
	case x < 6:
		// Two in three among the last 1,000 deleted or replaced, whose
		// tombstones are likely still pending.
		if n := len(m.dead); n > 0 {
			w := n
			if m.r.IntN(3) > 0 {
				w = min(n, 1000)
			}
			o = &m.dead[n-1-m.r.IntN(w)]
		}
	case x == 6:
		if lr := m.pickLive(len(m.order)); lr != nil {
			o, own = &lr.dedupRecord, true
		}
	}
	var r dedupRecord
	switch {
	case o == nil:
		r = m.fresh(m.t0 + m.r.Uint64N(m.next)*uint64(modelStep))
	case own:
		r = m.copyOf(o, false)
		r.id = o.id
		return r
	default:
		r = m.copyOf(o, live)
		if !live && o.fp != 0 && m.r.IntN(2) == 0 {
			r.fp, r.lead = m.flip(o.fp, m.r.IntN(maxSimDistance+1)), m.randomLead(20+m.r.IntN(43))
		}
	}
	r.id = m.probeID
	m.probeID++
	return r
}

// verify compares the index with the model (see
// TestShardedIndexMatchesScan).
func (m *shardModel) verify(t *testing.T, s *testStore, round, probes int, st *shardStats) {
	t.Helper()
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(Bucket))
		m.checkEntries(t, tx, round)
		// What the rounds exercise: shards and tombstones.
		st.bases, st.pending = 0, 0
		tombs := 0
		c := b.Cursor()
		for k, v := c.Seek([]byte{'l'}); k != nil; k, v = c.Next() {
			switch {
			case k[3] == partBase:
				st.bases++
				continue
			case k[3] != partPending || len(v) == 0:
				continue // a fence, or a pending value emptied by a merge
			}
			st.pending++
			dk := dedupKey{key: [4]byte{k[0] &^ 0x20, k[1], k[2], 0}}
			g, err := groupOf(k, v, dk.columns())
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			for j := range g.cnt {
				if g.u64(colSrc, j) == tombSource {
					tombs++
				}
			}
		}
		st.tombs += tombs
		st.maxTombs = max(st.maxTombs, tombs)
		// c. Lookups find what a scan of the live records finds.
		byPub := make([]modelRec, 0, len(m.live))
		for _, r := range m.live {
			byPub = append(byPub, *r)
		}
		slices.SortFunc(byPub, func(x, y modelRec) int { return cmp.Or(cmp.Compare(x.pub, y.pub), cmp.Compare(x.id, y.id)) })
		for range probes {
			p := newModelRec(m.probe())
			it := Doc{ID: p.id, Source: p.source, Published: p.pub, Fingerprint: p.fp, Lead: p.lead}
			gm, gok, err := findStory(b, &it)
			if err != nil {
				t.Fatalf("round %d: findStory: %v", round, err)
			}
			wm, wok := scanStory(t, byPub, p)
			if gok != wok || gok && gm != wm {
				t.Fatalf("round %d: probe %d (source %d, published %d, fp %x, lead of %d): findStory found %v %+v, the scan %v %+v",
					round, p.id, p.source, p.pub, p.fp, len(p.lead), gok, gm, wok, wm)
			}
			st.probes++
			if gok {
				st.matched++
				c := m.live[gm.id]
				if d := bits.OnesCount64(p.fp ^ c.fp); p.fp == 0 || c.fp == 0 || d > maxSimDistance || gm.score > 1-float64(d)/64 {
					st.byLead++
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("round %d: %v", round, err)
	}
	// d. Check finds nothing wrong.
	if err := s.Check(); err != nil {
		t.Fatalf("round %d: Check: %v", round, err)
	}
}

// checkEntries compares the index's live entries and its records with
// the live records of the model.
func (m *shardModel) checkEntries(t *testing.T, tx *bolt.Tx, round int) {
	t.Helper()
	// a. The live entries of each key are those of the live records.
	want := map[[4]byte][]uint64{}
	for _, r := range m.live {
		for _, k := range r.keys {
			want[k.key] = append(want[k.key], r.id)
		}
	}
	got := indexEntries(t, tx)
	for k, ids := range want {
		slices.Sort(ids)
		if !slices.Equal(got[k], ids) {
			t.Fatalf("round %d: key %q %x: index entries of items %v, live records %v", round, k[0], k[1:], got[k], ids)
		}
	}
	for k, ids := range got {
		if _, ok := want[k]; !ok {
			t.Fatalf("round %d: key %q %x: index entries of items %v, no live record has that key", round, k[0], k[1:], ids)
		}
	}
	// b. The records are the live ones.
	c := tx.Bucket([]byte(Bucket)).Cursor()
	n := 0
	for k, v := c.Seek([]byte{'R'}); k != nil && k[0] == 'R'; k, v = c.Next() {
		id := binary.BigEndian.Uint64(k[1:])
		r, err := decodeRecord(id, v)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		w, ok := m.live[id]
		if !ok {
			t.Fatalf("round %d: record of item %d, which is not live", round, id)
		}
		if r.source != w.source || r.pub != w.pub || r.story != w.story || r.fp != w.fp || !slices.Equal(r.lead, w.lead) {
			t.Fatalf("round %d: record of item %d is %+v, want %+v", round, id, r, w.dedupRecord)
		}
		n++
	}
	if n != len(m.live) {
		t.Fatalf("round %d: %d records, %d live items", round, n, len(m.live))
	}
}

// scanStory is findStory's answer computed from the live records (sorted
// by published) alone. Candidates are the records of other sources than
// p's, other items, published within storyWindow of p, that share a key
// with p: a band value with a fingerprint at most maxSimDistance bits
// away, or a lead MinHash. A band candidate scores 1 - distance/64; a
// MinHash candidate scores its lead containment when that reaches
// minLeadContainment, and one found both ways scores the larger when
// there are several candidates (findStory reads its record only then).
// The best is the highest score, then the lowest ID.
func scanStory(t *testing.T, byPub []modelRec, p *modelRec) (storyMatch, bool) {
	t.Helper()
	lo, hi := p.pub-min(p.pub, uint64(storyWindow)), p.pub+uint64(storyWindow)
	type cand struct {
		c          *modelRec
		dist       int
		bySim, byL bool
	}
	var cands []cand
	var perKey [dedupBands + dedupMinHashes]int
	i := sort.Search(len(byPub), func(i int) bool { return byPub[i].pub >= lo })
	for ; i < len(byPub) && byPub[i].pub <= hi; i++ {
		c := &byPub[i]
		if c.source == p.source || c.id == p.id {
			continue
		}
		cd := cand{c: c}
		if p.hasFP && c.hasFP {
			d := bits.OnesCount64(p.fp ^ c.fp)
			for b := range dedupBands {
				if p.bands[b] == c.bands[b] && d <= maxSimDistance {
					cd.bySim, cd.dist = true, d
					perKey[b]++
				}
			}
		}
		if p.hasL && c.hasL {
			for s := range dedupMinHashes {
				if p.mins[s] == c.mins[s] {
					cd.byL = true
					perKey[dedupBands+s]++
				}
			}
		}
		if cd.bySim || cd.byL {
			cands = append(cands, cd)
		}
	}
	for k, n := range perKey {
		if n > maxCandidatesPerKey {
			t.Fatalf("probe %d: key %d has %d candidates in the window: the data is too crowded for the scan to stand for the lookup", p.id, k, n)
		}
	}
	var best storyMatch
	found := false
	for _, cd := range cands {
		score := -1.0
		if cd.bySim {
			score = 1 - float64(cd.dist)/64
		}
		if cd.byL && (!cd.bySim || len(cands) > 1) && len(cd.c.lead) >= minLeadShingles && len(p.lead) > 0 {
			if ct := leadShare(p.lead, cd.c.lead); ct >= minLeadContainment {
				score = max(score, ct)
			}
		}
		if score < 0 {
			continue
		}
		if !found || score > best.score || score == best.score && cd.c.id < best.id {
			best, found = storyMatch{id: cd.c.id, story: cd.c.storyID(), score: score}, true
		}
	}
	return best, found
}

// leadShare is the share of the smaller set of distinct hashes of a and b
// found in the other.
func leadShare(a, b []uint32) float64 {
	sa, sb := map[uint32]bool{}, map[uint32]bool{}
	for _, h := range a {
		sa[h] = true
	}
	for _, h := range b {
		sb[h] = true
	}
	shared := 0
	for h := range sa {
		if sb[h] {
			shared++
		}
	}
	return float64(shared) / float64(min(len(sa), len(sb)))
}

// shardRec is a record and its key in the family of a shard.
type shardRec struct {
	r dedupRecord
	k dedupKey
}

// shardMember is a record of item id whose key in the family (kind, 1)
// is the group lo of shard hi (its MinHash's high bits, or its other
// bands, from mix).
func shardMember(kind byte, hi, lo byte, id, src, pub, mix uint64) shardRec {
	v := uint64(hi)<<8 | uint64(lo)
	r := dedupRecord{id: id, source: src, pub: pub, story: 1000 + id}
	k := dedupKey{key: [4]byte{kind, 1, hi, lo}}
	if kind == 'S' {
		r.fp = mix&^(0xffff<<16) | v<<16 | 1
	} else {
		k.min = uint32(mix)<<16 | uint32(v)
	}
	return shardRec{r, k}
}

// tombOf is the tombstone of e: its entry with source tombSource and
// published 0.
func tombOf(e shardRec) shardRec {
	e.r.source, e.r.pub = tombSource, 0
	return e
}

// encodeGroup is the group value of entries es, written column by column
// in (published, itemID) order, without insertEntry.
func encodeGroup(cols []int, es []shardRec) []byte {
	es = slices.Clone(es)
	slices.SortFunc(es, func(a, b shardRec) int {
		return cmp.Or(cmp.Compare(a.r.pub, b.r.pub), cmp.Compare(a.r.id, b.r.id))
	})
	var v []byte
	off := 0
	for _, w := range cols {
		for _, e := range es {
			v = append(v, e.r.entry(&e.k)[off:off+w]...)
		}
		off += w
	}
	return v
}

// encodeBase is the shard base of groups (by group lo), with its
// directory.
func encodeBase(cols []int, groups map[int][]shardRec) []byte {
	v := make([]byte, shardDirSize)
	for lo := range shardGroups {
		v = append(v, encodeGroup(cols, groups[lo])...)
		binary.BigEndian.PutUint32(v[4*lo:], uint32(len(v)-shardDirSize))
	}
	return v
}

// groupIDs are the item IDs of a group value, in order, with the
// published times and sources of its entries.
func groupIDs(t *testing.T, cols []int, v []byte) []string {
	t.Helper()
	g, err := groupOf(nil, v, cols)
	if err != nil {
		t.Fatalf("group of %d bytes: %v", len(v), err)
	}
	var out []string
	for j := range g.cnt {
		out = append(out, fmt.Sprintf("%d(pub %d, src %d)", g.u64(colID, j), g.u64(colPub, j), g.u64(colSrc, j)))
	}
	return out
}

// TestMergeShard proves that mergeShard makes the base a shard's groups
// must have: each group's base entries but those its tombstones delete,
// plus its pending entries, in (published, itemID) order, the newest
// maxGroupEntries; tombstones applied to their own group only and not
// carried over; new groups added and the directory right; nil when
// nothing is left; a malformed base or pending value counted as empty,
// and a pending entry of another shard dropped. It also pins mergeDue's
// thresholds.
func TestMergeShard(t *testing.T) {
	for _, kind := range []byte{'S', 'L'} {
		t.Run(string(kind), func(t *testing.T) {
			const hi = 0x3c
			r := rand.New(rand.NewPCG(9, uint64(kind)))
			k := dedupKey{key: [4]byte{kind, 1, hi, 0}}
			cols := k.columns()
			id := uint64(0)
			member := func(lo byte, pub uint64) shardRec {
				id++
				return shardMember(kind, hi, lo, id, 1+id%5, pub, r.Uint64())
			}
			// The base: groups 0x00, 0x10, 0x80 and 0xff.
			base := map[int][]shardRec{}
			for _, g := range []struct {
				lo   byte
				pubs []uint64
			}{
				{0x00, []uint64{100, 200, 300}},
				{0x10, []uint64{50, 150, 150, 250, 350}},
				{0x80, []uint64{10, 20}},
				{0xff, []uint64{400, 500, 600, 700}},
			} {
				for _, pub := range g.pubs {
					base[int(g.lo)] = append(base[int(g.lo)], member(g.lo, pub))
				}
			}
			baseV := encodeBase(cols, base)
			if err := checkBase(nil, baseV, cols); err != nil {
				t.Fatalf("test base: %v", err)
			}
			// The pending entries and tombstones.
			b00, b10, b80, bff := base[0x00], base[0x10], base[0x80], base[0xff]
			// upd is b00[1] updated: tombstoned, with a new entry in the
			// same group; moved is bff[2] updated, with its new entry in
			// group 0x20; ghost's tombstone deletes nothing; other is an
			// entry of another shard (damage), which the merge drops.
			upd := b00[1]
			upd.r.pub = 120
			moved := shardMember(kind, hi, 0x20, bff[2].r.id, bff[2].r.source, 610, r.Uint64())
			ghost := shardMember(kind, hi, 0x10, 999, 3, 0, r.Uint64())
			other := shardMember(kind, hi+1, 0x10, 998, 3, 160, r.Uint64())
			pend := []shardRec{
				tombOf(b00[1]), upd,
				tombOf(b10[1]), tombOf(b10[4]), tombOf(ghost),
				member(0x10, 150), member(0x10, 40), member(0x10, 400),
				tombOf(b80[0]), tombOf(b80[1]),
				member(0x20, 5), member(0x20, 900), moved,
				tombOf(bff[2]), member(0xff, 450),
			}
			pendV := encodeGroup(cols, pend)
			// A tombstone deletes the item's entry of its own group only:
			// bff[0]'s ID tombstoned in group 0x00 leaves it in 0xff.
			stray := tombOf(shardMember(kind, hi, 0x00, bff[0].r.id, 1, 0, r.Uint64()))
			pendV2 := encodeGroup(cols, append(slices.Clone(pend), stray, other))
			// The merged groups: in 0x10, the pending entry published at 150
			// (a higher ID) follows the base's, and the one at 40 leads;
			// 0x80 is emptied; 0x20 is new.
			want := map[int][]shardRec{
				0x00: {b00[0], upd, b00[2]},
				0x10: {b10[0], b10[2], b10[3], pend[5], pend[6], pend[7]},
				0x20: {pend[10], pend[11], moved},
				0xff: {bff[0], bff[1], bff[3], pend[14]},
			}
			for _, tc := range []struct {
				name       string
				base, pend []byte
				want       map[int][]shardRec
			}{
				{"merge", baseV, pendV, want},
				{"stray tombstone and another shard's entry", baseV, pendV2, want},
				{"no base", nil, pendV, map[int][]shardRec{
					0x00: {upd}, 0x10: {pend[5], pend[6], pend[7]}, 0x20: {pend[10], pend[11], moved}, 0xff: {pend[14]},
				}},
				{"short base", []byte("short"), pendV, map[int][]shardRec{
					0x00: {upd}, 0x10: {pend[5], pend[6], pend[7]}, 0x20: {pend[10], pend[11], moved}, 0xff: {pend[14]},
				}},
				{"malformed pending", baseV, pendV[:len(pendV)-1], base},
				{"no pending", baseV, nil, base},
			} {
				out := mergeShard(&k, tc.base, tc.pend)
				if err := checkBase(nil, out, cols); err != nil {
					t.Fatalf("%s: merged base: %v", tc.name, err)
				}
				size := 0
				for lo := range shardGroups {
					g, ok := baseGroup(out, lo)
					if !ok {
						t.Fatalf("%s: group %02x: directory does not fit the value", tc.name, lo)
					}
					w := encodeGroup(cols, tc.want[lo])
					if !bytes.Equal(g, w) {
						t.Fatalf("%s: group %02x holds %v, want %v", tc.name, lo, groupIDs(t, cols, g), groupIDs(t, cols, w))
					}
					if end := binary.BigEndian.Uint32(out[4*lo:]); int(end) != size+len(w) {
						t.Fatalf("%s: directory: group %02x ends at %d, want %d", tc.name, lo, end, size+len(w))
					}
					size += len(w)
				}
				if len(out) != shardDirSize+size {
					t.Fatalf("%s: merged base of %d bytes, want %d", tc.name, len(out), shardDirSize+size)
				}
			}
			// A base with a directory that does not fit counts as empty.
			bad := slices.Clone(baseV)
			binary.BigEndian.PutUint32(bad[4*0x10:], uint32(len(bad)))
			if got, want := mergeShard(&k, bad, pendV), mergeShard(&k, nil, pendV); !bytes.Equal(got, want) {
				t.Fatalf("malformed directory: merged base differs from the merge into no base")
			}
			// Everything deleted: nil.
			var all []shardRec
			for _, es := range base {
				for _, e := range es {
					all = append(all, tombOf(e))
				}
			}
			if out := mergeShard(&k, baseV, encodeGroup(cols, all)); out != nil {
				t.Fatalf("all entries tombstoned: merged base of %d bytes, want nil", len(out))
			}
			if out := mergeShard(&k, nil, encodeGroup(cols, []shardRec{tombOf(b00[0]), tombOf(ghost)})); out != nil {
				t.Fatalf("tombstones into no base: merged base of %d bytes, want nil", len(out))
			}
			// A full group keeps its newest maxGroupEntries.
			full := map[int][]shardRec{}
			for i := range maxGroupEntries - 2 {
				full[7] = append(full[7], member(7, 1000+uint64(i)))
			}
			more := []shardRec{member(7, 999), member(7, 5000), member(7, 1000), member(7, 5001), tombOf(full[7][10])}
			out := mergeShard(&k, encodeBase(cols, full), encodeGroup(cols, more))
			kept := append(slices.Clone(full[7][:10]), full[7][11:]...)
			kept = append(kept, more[:4]...)
			slices.SortFunc(kept, func(a, b shardRec) int { return cmp.Or(cmp.Compare(a.r.pub, b.r.pub), cmp.Compare(a.r.id, b.r.id)) })
			kept = kept[len(kept)-maxGroupEntries:]
			if g, _ := baseGroup(out, 7); !bytes.Equal(g, encodeGroup(cols, kept)) {
				gi, wi := groupIDs(t, cols, g), groupIDs(t, cols, encodeGroup(cols, kept))
				t.Fatalf("full group: %d entries, first %v; want %d, first %v", len(gi), gi[:3], len(wi), wi[:3])
			}
		})
	}
	for _, tc := range []struct {
		n, baseLen int
		due        bool
	}{
		{63, 0, false}, {64, 0, true},
		{63, 64*mergeBytesPerEntry + 4095, false}, {64, 64*mergeBytesPerEntry + 4095, true},
		{99, 100 * mergeBytesPerEntry, false}, {100, 100 * mergeBytesPerEntry, true},
		{100, 101*mergeBytesPerEntry - 1, true}, {100, 101 * mergeBytesPerEntry, false},
		{255, 256 * mergeBytesPerEntry, false}, {256, 256 * mergeBytesPerEntry, true},
		{255, 10_000 * mergeBytesPerEntry, false}, {256, 10_000 * mergeBytesPerEntry, true},
		{300, 10_000 * mergeBytesPerEntry, true},
	} {
		if got := mergeDue(tc.n, tc.baseLen); got != tc.due {
			t.Errorf("mergeDue(%d pending, base of %d bytes) = %v, want %v", tc.n, tc.baseLen, got, tc.due)
		}
	}
	if mergeMinPending != 64 || mergeMaxPending != 256 || mergeBytesPerEntry != 4096 {
		t.Errorf("merge thresholds %d, %d, %d bytes; the test assumes 64, 256, 4096", mergeMinPending, mergeMaxPending, mergeBytesPerEntry)
	}
}

// TestDamagedShardKeys: two states only damage or a hand-made value can
// give lose nothing. Fences left without their base do not hide the
// shard's pending value from reads (each insert would otherwise replace
// it), and Check reports them; a pending value already holding
// maxGroupEntries entries is merged before a tombstone is added to it,
// instead of dropping its entries.
func TestDamagedShardKeys(t *testing.T) {
	t0 := uint64(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	rec := func(id uint64) dedupRecord {
		return dedupRecord{id: id, source: id, pub: t0 + id, fp: 0x1111_2222_3333_4445 ^ id<<40}
	}
	band0 := func(r dedupRecord) dedupKey { return r.dedupKeys(nil)[0] } // bands come first
	entries := func(t *testing.T, s *testStore, k dedupKey) []uint64 {
		var ids []uint64
		s.db.View(func(tx *bolt.Tx) error {
			ids = indexEntries(t, tx)[k.key]
			return nil
		})
		return ids
	}

	t.Run("fences without a base", func(t *testing.T) {
		s := openTest(t)
		k := band0(rec(1))
		if err := s.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte(Bucket))
			for id := uint64(1); id <= 3; id++ {
				r := rec(id)
				if err := putRecord(b, &r); err != nil {
					return err
				}
			}
			for part := partBase - fenceKeys; part <= partBase+fenceKeys; part++ {
				if fk := k.shardKey(byte(part)); part != partBase {
					if err := b.Put(fk[:], []byte{}); err != nil {
						return err
					}
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.Check(); err == nil || !strings.Contains(err.Error(), "fence without a base") {
			t.Fatalf("Check = %v, want the fences reported", err)
		}
		if err := s.db.Update(func(tx *bolt.Tx) error {
			r := rec(4)
			return putRecord(tx.Bucket([]byte(Bucket)), &r)
		}); err != nil {
			t.Fatal(err)
		}
		if got := entries(t, s, k); !slices.Equal(got, []uint64{1, 2, 3, 4}) {
			t.Errorf("group %x holds items %v after four inserts, want 1-4", k.key, got)
		}
	})

	t.Run("full pending value", func(t *testing.T) {
		s := openTest(t)
		victim := rec(1)
		k := band0(victim)
		var want []uint64
		if err := s.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte(Bucket))
			if err := putRecord(b, &victim); err != nil {
				return err
			}
			pk := k.shardKey(partPending)
			if err := putBase(b, &k, false, mergeShard(&k, nil, b.Get(pk[:]))); err != nil {
				return err
			}
			var pend []byte
			for i := range maxGroupEntries {
				// Newer than the victim: the merge's cap (maxGroupEntries
				// of 513) drops the victim, never one of these.
				r := dedupRecord{id: uint64(100 + i), source: 2, pub: victim.pub + 1 + uint64(i), fp: victim.fp ^ uint64(i+1)<<32}
				v, _, err := insertEntry(k.key[:], pend, r.entry(&k), k.columns())
				if err != nil {
					return err
				}
				pend = v
				want = append(want, r.id)
			}
			return b.Put(pk[:], pend)
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.db.Update(func(tx *bolt.Tx) error { return Delete(tx.Bucket([]byte(Bucket)), victim.id) }); err != nil {
			t.Fatal(err)
		}
		if got := entries(t, s, k); !slices.Equal(got, want) {
			t.Errorf("group %x holds %d items after deleting item 1, want the %d others (first %v)", k.key, len(got), len(want), got[:min(len(got), 3)])
		}
	})
}
