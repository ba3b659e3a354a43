package neardup

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
	"sort"

	"github.com/feedmill/feedmill/storage/internal/similar"
	bolt "go.etcd.io/bbolt"
)

// Thresholds:
//
//   - SimHash: the same story when at most maxSimDistance (3) of 64 bits
//     differ. Four 16-bit bands are indexed, so by pigeonhole every pair
//     within 3 bits shares a band.
//   - Lead containment: shared lead shingles / the shorter lead's shingles
//     at least minLeadContainment (0.8), both leads having at least
//     minLeadShingles (8, about a 10-word sentence). A teaser's lead is
//     contained in the full copy's (1.0); a byline put in front shifts a
//     few shingles. Candidates come from dedupMinHashes (6) MinHashes over
//     the first leadIndexShingles (18) lead shingles, one key each: a
//     10-word teaser against the full copy (Jaccard ~0.55) shares at least
//     one with probability 1-0.45^6 > 99%.
//   - Only items of OTHER sources are candidates (an outlet's own posts on
//     one topic never merge), published within storyWindow (72 hours).
//
// A new item that matches joins the best match's story: Story = that
// story's ID (the ID of its first item). An item keeps its story on an
// update.
//
// Keys of bucket neardup (published = ns since the epoch, all big-endian):
//
//	's' band(1) hi(1) 'B'  base of the shard of band values hi00..hiff:
//	                       a directory (256 group ends, uint32) then the
//	                       groups, entries of
//	                       published(8) fingerprint(8) itemID(8) source(8) story(8)
//	's' band(1) hi(1) 'P'  pending entries of the same shard: one group
//	'l' seed(1) hi(1) 'B'  base of the shard of lead MinHashes whose low 16
//	                       bits are hi00..hiff, entries of
//	                       published(8) minhash(4) itemID(8) source(8)
//	'l' seed(1) hi(1) 'P'  pending entries of the same shard
//	's'/'l' n hi '?'-'A', 'C'-'E'  empty fences around each base (fenceKeys)
//	'R' itemID(8)          -> source(8) published(8) story(8) fingerprint(8) lead(4 each)
//
// A key of an item (a band value, or a MinHash's low 16 bits) names a
// group: the items sharing it. A group holds its n entries sorted by
// (published, itemID), by column: the n published times, then the n
// fingerprints (or MinHashes), and so on. A lookup binary-searches the
// times for its window and tests the window's fingerprints, which are
// adjacent, and reads the IDs, sources and stories only of the entries
// that match. An item's key is in the base group or in its shard's
// pending value, which holds the entries added to any of the shard's 256
// groups since the shard's last merge, as one group; a lookup reads both.
// A deleted item whose entry is in the base leaves a tombstone in the
// pending value: its entry with source tombSource and published 0, so
// that tombstones come first. Once the pending value holds enough entries
// (mergeDue) they are merged into the base (shard.go).
//
// Shards keep the keys few (5,120), so that their pages stay cached: a
// lookup first finds all ten of its groups (seeks in those pages and the
// shards' directories), then touches each group once before reading any,
// so that the CPU overlaps the ten cache misses. Pending values keep
// writes cheap: an insert rewrites its ten shards' pending values, and a
// merge, once per mergeMinPending or more entries of a shard, rewrites
// that base.
//
// Entries carry published (the exact 72-hour window is checked in the
// entry) and band entries the fingerprint and the story, so a candidate
// the SimHash confirms needs its record only when its lead must break a
// tie between several candidates.
const bucketDedup = "neardup"

// bucketDedupV2 is the index's first layout: one key per item and band or
// MinHash ('S' band value day itemID, 'L' seed minhash day itemID) beside
// the same 'R' records. MigrateV4 rebuilds it as bucketDedup.
const bucketDedupV2 = "dedup"

const (
	maxSimDistance     = similar.MaxSimDistance
	minLeadContainment = similar.MinLeadContainment
	minLeadShingles    = similar.MinLeadShingles
	leadIndexShingles  = similar.LeadIndexShingles
	dedupBands         = similar.Bands
	dedupMinHashes     = similar.MinHashes
	storyWindow        = similar.Window
	// maxCandidatesPerKey bounds the entries one band value or MinHash
	// contributes (the oldest in the window): a text that many items
	// share (a stock paragraph, a feed that repeats one body) would
	// otherwise make every lookup read them all. Any one of them gives the
	// story.
	maxCandidatesPerKey = similar.MaxCandidatesPerKey
	// maxGroupEntries bounds a group's value (20 KB of band entries). With
	// random fingerprints a group holds items/65,536 entries (15 at 1M
	// items); only many items repeating one text fill one, and then the
	// oldest entry makes room: the newest are the ones a new item's
	// window reaches.
	maxGroupEntries = 512
)

// dedupRecord is what the index keeps of an item.
type dedupRecord struct {
	id, source, story uint64
	pub               uint64 // pubNanos
	fp                uint64
	lead              []uint32
}

func recordOf(d *Doc) dedupRecord {
	return dedupRecord{id: d.ID, source: d.Source, story: d.Story, pub: d.Published, fp: d.Fingerprint, lead: d.Lead}
}

// storyID is the story the record's item belongs to.
func (r *dedupRecord) storyID() uint64 {
	if r.story != 0 {
		return r.story
	}
	return r.id
}

func recordKey(id uint64) []byte { return binary.BigEndian.AppendUint64([]byte{'R'}, id) }

func (r *dedupRecord) encode() []byte {
	v := make([]byte, 0, 32+4*len(r.lead))
	v = binary.BigEndian.AppendUint64(v, r.source)
	v = binary.BigEndian.AppendUint64(v, r.pub)
	v = binary.BigEndian.AppendUint64(v, r.story)
	v = binary.BigEndian.AppendUint64(v, r.fp)
	for _, h := range r.lead {
		v = binary.BigEndian.AppendUint32(v, h)
	}
	return v
}

func decodeRecord(id uint64, v []byte) (dedupRecord, error) {
	if len(v) < 32 || (len(v)-32)%4 != 0 {
		return dedupRecord{}, fmt.Errorf("%s record of item %d: malformed value %x", bucketDedup, id, v)
	}
	r := dedupRecord{
		id:     id,
		source: binary.BigEndian.Uint64(v),
		pub:    binary.BigEndian.Uint64(v[8:]),
		story:  binary.BigEndian.Uint64(v[16:]),
		fp:     binary.BigEndian.Uint64(v[24:]),
	}
	if n := (len(v) - 32) / 4; n > 0 {
		r.lead = make([]uint32, n)
		for i := range r.lead {
			r.lead[i] = binary.BigEndian.Uint32(v[32+4*i:])
		}
	}
	return r, nil
}

// dedupKey is one group key of an item: a SimHash band value ('S') or
// the low 16 bits of a lead MinHash ('L', whose whole value is min).
type dedupKey struct {
	key [4]byte
	min uint32
}

func (k *dedupKey) sim() bool { return k.key[0] == 'S' }

// Column widths of a group's entries, in the order of the key layout.
var (
	simColumns  = []int{8, 8, 8, 8, 8} // published, fingerprint, itemID, source, story
	leadColumns = []int{8, 4, 8, 8}    // published, minhash, itemID, source
)

// Columns of both kinds of group.
const (
	colPub   = 0
	colMatch = 1 // fingerprint or MinHash
	colID    = 2
	colSrc   = 3
	colStory = 4 // band groups only
)

func (k *dedupKey) columns() []int {
	if k.sim() {
		return simColumns
	}
	return leadColumns
}

// dedupKeys appends r's group keys to dst: its SimHash bands and its lead
// MinHashes.
func (r *dedupRecord) dedupKeys(dst []dedupKey) []dedupKey {
	if r.fp != 0 {
		for b := range dedupBands {
			v := uint16(r.fp >> (16 * b))
			dst = append(dst, dedupKey{key: [4]byte{'S', byte(b), byte(v >> 8), byte(v)}})
		}
	}
	if lead := r.lead[:min(len(r.lead), leadIndexShingles)]; len(lead) >= minLeadShingles {
		for i, m := range minHashes(lead) {
			dst = append(dst, dedupKey{key: [4]byte{'L', byte(i), byte(m >> 8), byte(m)}, min: m})
		}
	}
	return dst
}

// entry is r's entry in the group k, its fields one after another in
// column order.
func (r *dedupRecord) entry(k *dedupKey) []byte {
	return r.appendEntry(make([]byte, 0, 40), k)
}

// appendEntry appends r's entry in the group k to e.
func (r *dedupRecord) appendEntry(e []byte, k *dedupKey) []byte {
	e = binary.BigEndian.AppendUint64(e, r.pub)
	if k.sim() {
		e = binary.BigEndian.AppendUint64(e, r.fp)
	} else {
		e = binary.BigEndian.AppendUint32(e, k.min)
	}
	e = binary.BigEndian.AppendUint64(e, r.id)
	e = binary.BigEndian.AppendUint64(e, r.source)
	if k.sim() {
		e = binary.BigEndian.AppendUint64(e, r.storyID())
	}
	return e
}

// minHashes are the dedupMinHashes MinHashes of a lead of at least
// minLeadShingles hashes (similar.LeadMinHashes).
func minHashes(set []uint32) [dedupMinHashes]uint32 {
	mh, _ := similar.LeadMinHashes(set)
	return mh
}

// Put indexes an item with the story it has (an update: Delete it first).
func Put(b *bolt.Bucket, d *Doc) error {
	r := recordOf(d)
	return putRecord(b, &r)
}

func putRecord(b *bolt.Bucket, r *dedupRecord) error {
	var gr groupsRead
	gr.read(b, r)
	return gr.put(b, r)
}

// groupsRead are the shard values of one item's keys (nil where there is
// none), read once: findStory looks them up, and put inserts the item's
// entries into them without reading them again.
//
// The values stay valid while the item's own entries are put: a Put to
// one key of the bucket leaves the values of the others where they are
// (a node's inodes keep pointing to the same bytes; the file is remapped
// only at the commit), and an item's ten keys lie in ten shards.
type groupsRead struct {
	keys  []dedupKey // in key order
	base  [dedupBands + dedupMinHashes][]byte
	pend  [dedupBands + dedupMinHashes][]byte
	kbuf  [dedupBands + dedupMinHashes]dedupKey
	touch byte // see findStory
}

// read reads the shards of r's keys with one cursor, keys in ascending
// order (a shard's pending key follows its base key). It returns the
// cursor.
func (gr *groupsRead) read(b *bolt.Bucket, r *dedupRecord) *bolt.Cursor {
	gr.keys = r.dedupKeys(gr.kbuf[:0])
	slices.SortFunc(gr.keys, func(a, b dedupKey) int { return bytes.Compare(a.key[:], b.key[:]) })
	c := b.Cursor()
	for i := range gr.keys {
		gr.base[i], gr.pend[i] = nil, nil
		bk := gr.keys[i].shardKey(partBase)
		k, v := c.Seek(bk[:])
		if bytes.Equal(k, bk[:]) {
			gr.base[i] = v
			k, v = c.Next()
		}
		for len(k) == 4 && bytes.Equal(k[:3], bk[:3]) && isFence(k[3]) {
			k, v = c.Next() // (fences without a base too: see checkDedup)
		}
		pk := gr.keys[i].shardKey(partPending)
		if bytes.Equal(k, pk[:]) {
			gr.pend[i] = v
		}
	}
	return c
}

// put stores r's record and inserts its entries into the pending values
// read (r's keys: the same fingerprint and lead as the item read for),
// merging a shard whose pending value is due.
func (gr *groupsRead) put(b *bolt.Bucket, r *dedupRecord) error {
	if r.fp == 0 && len(r.lead) < minLeadShingles {
		return nil // nothing to match on
	}
	if err := b.Put(recordKey(r.id), r.encode()); err != nil {
		return err
	}
	var ebuf [40]byte
	for i := range gr.keys {
		k := &gr.keys[i]
		base, pend, err := makeRoom(b, k, gr.base[i], gr.pend[i])
		if err != nil {
			return err
		}
		v, _, err := insertEntry(k.key[:], pend, r.appendEntry(ebuf[:0], k), k.columns())
		if err != nil {
			return err
		}
		if err := writePending(b, k, base, v); err != nil {
			return err
		}
	}
	return nil
}

// makeRoom merges k's pending value into the base first when it could not
// take another entry without dropping its oldest (maxGroupEntries), so
// that no entry and no tombstone is lost. Only a damaged or hand-written
// value is that full: writePending merges at mergeMaxPending. It returns
// the base and pending values to go on with.
func makeRoom(b *bolt.Bucket, k *dedupKey, base, pend []byte) ([]byte, []byte, error) {
	if len(pend)/entrySize(k.columns()) < maxGroupEntries {
		return base, pend, nil
	}
	nb := mergeShard(k, base, pend)
	if err := putBase(b, k, base != nil, nb); err != nil {
		return nil, nil, err
	}
	return nb, nil, nil
}

// writePending stores v as the pending value of k's shard, or, when it is
// due, merges it into the shard's base (whose value is base). A pending
// value never fills (maxGroupEntries): it is merged at mergeMaxPending.
//
// An emptied pending value is kept, empty: a delete marks its leaf for
// bbolt's rebalance at the commit, which merges a small leaf into a
// neighbour, a base's leaf among them, and so writes that base again (the
// fences, see fenceKeys, do not prevent that).
func writePending(b *bolt.Bucket, k *dedupKey, base, v []byte) error {
	pk := k.shardKey(partPending)
	n := len(v) / entrySize(k.columns())
	if n == 0 || !mergeDue(n, len(base)) {
		return b.Put(pk[:], v)
	}
	if err := putBase(b, k, base != nil, mergeShard(k, base, v)); err != nil {
		return err
	}
	return b.Put(pk[:], []byte{})
}

// putBase stores v as the base of k's shard, with its fences (see
// fenceKeys), or deletes base and fences when v is nil. had says whether
// the shard has a base already.
func putBase(b *bolt.Bucket, k *dedupKey, had bool, v []byte) error {
	bk := k.shardKey(partBase)
	if had && v != nil {
		return b.Put(bk[:], v)
	}
	for part := partBase - fenceKeys; part <= partBase+fenceKeys; part++ {
		key := k.shardKey(byte(part))
		var err error
		switch {
		case v == nil:
			err = b.Delete(key[:])
		case key == bk:
			err = b.Put(key[:], v)
		default:
			err = b.Put(key[:], []byte{})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Delete removes an item's record and index entries, if any: its
// pending entries go, and an entry in a base gets a tombstone.
func Delete(b *bolt.Bucket, id uint64) error {
	rk := recordKey(id)
	v := b.Get(rk)
	if v == nil {
		return nil
	}
	r, err := decodeRecord(id, v)
	if err != nil {
		return b.Delete(rk)
	}
	var gr groupsRead
	gr.read(b, &r)
	var ebuf [40]byte
	for i := range gr.keys {
		k := &gr.keys[i]
		cols := k.columns()
		base, pend, err := makeRoom(b, k, gr.base[i], gr.pend[i])
		if err != nil {
			return err
		}
		pg, err := groupOf(k.key[:], pend, cols)
		if err != nil {
			pg, _ = groupOf(k.key[:], nil, cols) // malformed: replaced (see insertEntry)
		}
		nv, changed, tombed := pend, pend == nil && gr.pend[i] != nil, false
		if err != nil {
			nv, changed = nil, true
		}
		for j := pg.cnt - 1; j >= 0; j-- {
			if pg.u64(colID, j) != id {
				continue
			}
			if pg.u64(colSrc, j) == tombSource {
				tombed = true
				continue
			}
			nv, changed = pg.without(j), true
			pg, _ = groupOf(k.key[:], nv, cols)
		}
		if !tombed && baseHolds(base, k, id) {
			t := r
			t.source, t.pub = tombSource, 0
			if nv, _, err = insertEntry(k.key[:], nv, t.appendEntry(ebuf[:0], k), cols); err != nil {
				return err
			}
			changed = true
		}
		if !changed {
			continue
		}
		if err := writePending(b, k, base, nv); err != nil {
			return err
		}
	}
	return b.Delete(rk)
}

// baseHolds reports whether k's group in a shard base holds an entry of
// item id.
func baseHolds(base []byte, k *dedupKey, id uint64) bool {
	bv, ok := baseGroup(base, k.lo())
	if !ok {
		return false
	}
	g, err := groupOf(k.key[:], bv, k.columns())
	if err != nil {
		return false
	}
	for j := range g.cnt {
		if g.u64(colID, j) == id {
			return true
		}
	}
	return false
}

// storyMatch is the best earlier item a new one was found to repeat.
type storyMatch struct {
	id, story uint64 // the item and its story
	score     float64
}

// findStory looks up the story an item (not yet indexed) belongs to,
// keeping the groups it read in gr (put inserts the item into them). A
// candidate found through a SimHash band is confirmed by its distance, one
// found through a lead MinHash by lead containment, which needs its
// record. Only when several candidates compete does a candidate found
// both ways need its record too: its containment can raise its score.
func (gr *groupsRead) findStory(b *bolt.Bucket, r *dedupRecord) (storyMatch, bool, error) {
	lo := r.pub - min(r.pub, uint64(storyWindow))
	hi := r.pub + uint64(storyWindow)
	if hi < r.pub {
		hi = ^uint64(0)
	}
	c := gr.read(b, r)
	var bases [len(gr.base)]group
	gr.baseGroups(&bases)
	var cbuf [16]similar.Cand
	cands := gr.candidates(cbuf[:0], &bases, r, lo, hi)
	best, found := bestCandidate(c, cands, r)
	return best, found, nil
}

// baseGroups finds the base group of each of gr's keys first (the shard
// keys' pages and the directories stay cached), then touches each once:
// ten independent loads, whose cache misses the CPU overlaps, where
// reading the groups one after another would wait for each miss in turn.
func (gr *groupsRead) baseGroups(bases *[dedupBands + dedupMinHashes]group) {
	for i := range gr.keys {
		k := &gr.keys[i]
		bv, ok := baseGroup(gr.base[i], k.lo())
		g, err := groupOf(k.key[:], bv, k.columns())
		if !ok || err != nil {
			g, _ = groupOf(k.key[:], nil, k.columns()) // malformed: no candidates from it
		}
		bases[i] = g
	}
	var t byte
	for i := range gr.keys {
		// The published and match columns: what the window search reads.
		if g := &bases[i]; g.cnt > 0 {
			end := g.off[colID]
			for o := 0; o < end; o += 64 {
				t ^= g.v[o]
			}
			t ^= g.v[end-1]
		}
	}
	gr.touch = t
}

// candidates appends to dst the entries of r's window in each key's base
// group (less its tombstones) and pending value: the oldest
// maxCandidatesPerKey of each key.
func (gr *groupsRead) candidates(dst []similar.Cand, bases *[dedupBands + dedupMinHashes]group, r *dedupRecord, lo, hi uint64) []similar.Cand {
	var abuf, pbuf [maxCandidatesPerKey]hit
	var tbuf [8]uint64
	for i := range gr.keys {
		k := &gr.keys[i]
		pg, err := groupOf(k.key[:], gr.pend[i], k.columns())
		if err != nil {
			pg, _ = groupOf(k.key[:], nil, k.columns())
		}
		tombs := tbuf[:0] // tombstones come first (published 0)
		for j := 0; bases[i].cnt > 0 && j < pg.cnt && pg.u64(colPub, j) == 0; j++ {
			if pg.u64(colSrc, j) == tombSource && memberOf(k.key[0], k.key[1], &pg, j) == k.value16() {
				tombs = append(tombs, pg.u64(colID, j))
			}
		}
		old := scanWindow(abuf[:0], &bases[i], k, r, lo, hi, tombs, false)
		pend := scanWindow(pbuf[:0], &pg, k, r, lo, hi, nil, true)
		// The oldest maxCandidatesPerKey of both, as one group would give.
		for x, y, n := 0, 0, 0; n < maxCandidatesPerKey && (x < len(old) || y < len(pend)); n++ {
			var h hit
			if y == len(pend) || x < len(old) && old[x].before(&pend[y]) {
				h, x = old[x], x+1
			} else {
				h, y = pend[y], y+1
			}
			if k.sim() {
				dst = similar.AddCand(dst, similar.Cand{ID: h.id, Story: h.story, Distance: h.dist, BySim: true})
			} else {
				dst = similar.AddCand(dst, similar.Cand{ID: h.id, ByLead: true})
			}
		}
	}
	return dst
}

// bestCandidate scores the candidates and returns the best
// (similar.Choose), reading the records it needs through c, a cursor on
// the bucket.
func bestCandidate(c *bolt.Cursor, cands []similar.Cand, r *dedupRecord) (storyMatch, bool) {
	var rk [9]byte
	rk[0] = 'R'
	record := func(id uint64, buf []uint32) (similar.Record, bool) {
		binary.BigEndian.PutUint64(rk[1:], id)
		k, v := c.Seek(rk[:])
		if !bytes.Equal(k, rk[:]) || len(v) < 32 || (len(v)-32)%4 != 0 {
			return similar.Record{}, false // a dangling or malformed entry is no match
		}
		for i := range (len(v) - 32) / 4 {
			buf = append(buf, binary.BigEndian.Uint32(v[32+4*i:]))
		}
		return similar.Record{Source: binary.BigEndian.Uint64(v), Published: binary.BigEndian.Uint64(v[8:]),
			Story: binary.BigEndian.Uint64(v[16:]), Lead: buf}, true
	}
	m, ok := similar.Choose(cands, r.source, r.pub, r.lead, record)
	return storyMatch{id: m.ID, story: m.Story, score: m.Score}, ok
}

// hit is an entry of a group that matches a lookup.
type hit struct {
	pub, id, story uint64
	dist           int
}

func (h *hit) before(o *hit) bool { return h.pub < o.pub || h.pub == o.pub && h.id < o.id }

// scanWindow appends to dst (up to maxCandidatesPerKey) the entries of g
// published in [lo, hi] that match r through its key k, oldest first:
// SimHash within maxSimDistance, or the same MinHash. It skips r's own
// source (an outlet's own posts never merge), tombstones, and the items
// in tombs. In a pending value (pending), which holds the entries of the
// shard's 256 groups, it also skips entries of other groups than k's.
func scanWindow(dst []hit, g *group, k *dedupKey, r *dedupRecord, lo, hi uint64, tombs []uint64, pending bool) []hit {
	sim, n := k.sim(), k.key[1]
	j := sort.Search(g.cnt, func(j int) bool { return g.u64(colPub, j) >= lo })
	for ; j < g.cnt && len(dst) < maxCandidatesPerKey; j++ {
		pub := g.u64(colPub, j)
		if pub > hi {
			break
		}
		d := 0
		if sim {
			fp := g.u64(colMatch, j)
			if d = bits.OnesCount64(r.fp ^ fp); d > maxSimDistance {
				continue
			}
			if pending && memberOf(k.key[0], n, g, j) != k.value16() {
				continue
			}
		} else if binary.BigEndian.Uint32(g.field(colMatch, j)) != k.min {
			continue
		}
		id, src := g.u64(colID, j), g.u64(colSrc, j)
		if src == r.source || src == tombSource || id == r.id || slices.Contains(tombs, id) {
			continue
		}
		h := hit{pub: pub, id: id, dist: d}
		if sim {
			h.story = g.u64(colStory, j)
		}
		dst = append(dst, h)
	}
	return dst
}

func absDiff(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return b - a
}

// Similarity is how alike two items' texts are, as the near-duplicate
// index judges them.
type Similarity = similar.Similarity

func compare(a, b *dedupRecord) Similarity {
	return similar.Compare(similar.Text{Fingerprint: a.fp, Lead: a.lead}, similar.Text{Fingerprint: b.fp, Lead: b.lead})
}

// containment is |A∩B| / min(|A|, |B|) over the distinct hashes of a and b.
func containment(a, b []uint32) float64 { return similar.Containment(a, b) }

// Compare compares two indexed items (by ID) as the index does; an item
// the index does not hold compares as one without text.
func Compare(b *bolt.Bucket, x, y uint64) (Similarity, error) {
	var recs [2]dedupRecord
	for i, id := range []uint64{x, y} {
		v := b.Get(recordKey(id))
		if v == nil {
			recs[i] = dedupRecord{id: id}
			continue
		}
		var err error
		if recs[i], err = decodeRecord(id, v); err != nil {
			return Similarity{}, err
		}
	}
	return compare(&recs[0], &recs[1]), nil
}

// AssignStory gives a new item its story, unless it has one: the story of
// the best matching item of another source (Doc.Story is set). Then it
// indexes the item.
func AssignStory(b *bolt.Bucket, d *Doc) error {
	var gr groupsRead
	r := recordOf(d)
	if d.Story == 0 {
		m, ok, err := gr.findStory(b, &r)
		if err != nil {
			return err
		}
		if ok {
			d.Story = m.story
			r.story = m.story
		}
	} else {
		gr.read(b, &r)
	}
	return gr.put(b, &r)
}

// Joined reports whether another item has joined the story of the
// indexed item id directly: an item of another source, published within
// the story window, that shares one of id's keys, matches it and has
// story id (or is one of its copies found that way). The store lets only
// a lone item (its own story, nothing joined) look for its story again.
func Joined(b *bolt.Bucket, id uint64) bool {
	r, err := decodeRecord(id, b.Get(recordKey(id)))
	if err != nil {
		return false // none, or malformed: Delete drops it
	}
	lo := r.pub - min(r.pub, uint64(storyWindow))
	hi := r.pub + uint64(storyWindow)
	if hi < r.pub {
		hi = ^uint64(0)
	}
	var gr groupsRead
	gr.read(b, &r)
	var bases [len(gr.base)]group
	gr.baseGroups(&bases)
	var cbuf [16]similar.Cand
	for _, cd := range gr.candidates(cbuf[:0], &bases, &r, lo, hi) {
		story := cd.Story
		if !cd.BySim {
			o := b.Get(recordKey(cd.ID))
			if len(o) < 24 {
				continue
			}
			story = binary.BigEndian.Uint64(o[16:])
		}
		if story == id {
			return true
		}
	}
	return false
}

// Check reports near-duplicate index entries that cannot be read: a
// record, a shard base or a pending value that is malformed, or an entry
// filed under another key than its own. Writes repair a pending value
// they touch (insertEntry), merges a base, and lookups skip what they
// cannot read, so such damage costs recall, never a failed ingest; Check
// is where an operator hears of it.
func Check(b *bolt.Bucket, report func(string, ...any)) {
	b.ForEach(func(k, v []byte) error {
		switch {
		case len(k) == 9 && k[0] == 'R':
			id, _ := u64(k[1:])
			if _, err := decodeRecord(id, v); err != nil {
				report("%w", err)
			}
		case len(k) == 4 && (k[0] == 's' && k[1] < dedupBands || k[0] == 'l' && k[1] < dedupMinHashes) && (k[3] == partBase || k[3] == partPending):
			if err := checkShard(k, v); err != nil {
				report("%w", err)
			}
		case len(k) == 4 && (k[0] == 's' || k[0] == 'l') && isFence(k[3]):
			if len(v) != 0 {
				report("%s %x: fence holds %d bytes", bucketDedup, k, len(v))
			}
			if b.Get([]byte{k[0], k[1], k[2], partBase}) == nil {
				report("%s %x: fence without a base", bucketDedup, k)
			}
		default:
			report("%s: unexpected key %x", bucketDedup, k)
		}
		return nil
	})
}

// checkShard checks a shard's base or pending value (key k): well formed,
// and every entry where its key puts it.
func checkShard(k, v []byte) error {
	dk := dedupKey{key: [4]byte{k[0] &^ 0x20, k[1], k[2], 0}}
	cols := dk.columns()
	if k[3] == partPending {
		g, err := groupOf(k, v, cols)
		if err != nil {
			return err
		}
		for j := range g.cnt {
			if m := memberOf(dk.key[0], dk.key[1], &g, j); byte(m>>8) != k[2] {
				return fmt.Errorf("%s %x: entry of item %d belongs to group %04x", bucketDedup, k, g.u64(colID, j), m)
			}
		}
		return nil
	}
	if err := checkBase(k, v, cols); err != nil {
		return err
	}
	for lo := range shardGroups {
		bv, _ := baseGroup(v, lo)
		g, _ := groupOf(k, bv, cols)
		for j := range g.cnt {
			if m := memberOf(dk.key[0], dk.key[1], &g, j); m != uint16(k[2])<<8|uint16(lo) {
				return fmt.Errorf("%s %x: group %02x holds an entry of item %d of group %04x", bucketDedup, k, lo, g.u64(colID, j), m)
			}
		}
	}
	return nil
}
