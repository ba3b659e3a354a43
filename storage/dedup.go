package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Near-duplicate index (issue 4): the same story carried by several
// sources becomes one story. The fetcher computes two things from each
// item's cleaned text (see fetcher/fingerprint.go):
//
//   - Item.Fingerprint, a 64-bit SimHash over word 3-shingles of title and
//     body: copies with small edits differ in few bits;
//   - Item.Lead, 32-bit hashes of the word 3-shingles of the body's first
//     64 words, in text order: the opening survives syndication (new
//     headline, cut last paragraph, inserted "READ MORE" lines), and a
//     teaser feed carries exactly that opening.
//
// Storage indexes both so a lookup costs ten seeks, whatever the store's
// size (bucket neardup, keys below), and confirms every candidate with
// data stored in the index itself, never a scan.
//
// Thresholds and why:
//
//   - SimHash: the same story when at most maxSimDistance (3) of 64 bits
//     differ (Manku, Jain, Das Sarma 2007 use 3 for 64-bit web-page
//     SimHashes). Four 16-bit bands are indexed, so by pigeonhole every
//     pair within 3 bits shares a band. Texts under minSimShingles give no
//     fingerprint: SimHashes of a few words are noise.
//   - Lead containment: shared lead shingles / the shorter lead's shingles
//     at least minLeadContainment (0.8), both leads having at least
//     minLeadShingles (8, about a 10-word sentence). A teaser's lead is
//     contained in the full copy's (1.0); a byline or "Related:" line the
//     cleaner missed, put in front, shifts a few shingles (~0.9). On the
//     labelled set (fetcher/dedup_quality_test.go) copies scored at least
//     0.91 and different stories at most 0.74 — two Guardian pieces on one
//     event whose standfirsts paraphrase each other; 0.5 merged them.
//     Candidates come from dedupMinHashes (6) MinHashes over the first
//     leadIndexShingles (18) lead shingles, one key each: a 10-word teaser
//     against the full copy (Jaccard ~0.55) shares at least one with
//     probability 1-0.45^6 > 99%.
//   - Only items of OTHER sources are candidates (an outlet's own posts on
//     one topic never merge), published within storyWindow (72 hours).
//
// A new item that matches joins the best match's story: Story = that
// story's ID (the ID of its first item). An item keeps its story on an
// update.
//
// Keys of bucket neardup (schema 4; published = pubNanos, all big-endian):
//
//	'S' band(1) value(2)  one group per SimHash band value, entries of
//	                      published(8) fingerprint(8) itemID(8) source(8) story(8)
//	'L' seed(1) low16(2)  one group per low 16 bits of a lead MinHash, entries of
//	                      published(8) minhash(4) itemID(8) source(8)
//	'R' itemID(8)         -> source(8) published(8) story(8) fingerprint(8) lead(4 each)
//
// A group's value holds its n entries sorted by (published, itemID), by
// column: the n published times, then the n fingerprints (or MinHashes),
// and so on. A lookup binary-searches the times for its window and tests
// the window's fingerprints, which are adjacent: it reads two or three
// cache lines of a group, and the IDs, sources and stories only of the
// entries that match.
//
// Why groups (schema 4; schemas 2-3 had one key per item and band or
// MinHash, see migrateV4). Measured on the issue-4 benchmark, a lookup
// in that layout did the same work at 10k and at 1M items: 10.5 seeks
// (10 keys, half a record read), 5 vs 21 index entries read, all next to
// where each seek landed. What grew was where the seeks land: 110k keys
// in 8 MB (depth 3, cached) against 11M keys in 807 MB (depth 4, ~55 keys
// a leaf), so each descent ends in a leaf page that is neither in the CPU
// cache nor in the TLB, and its binary search (6-7 dependent probes, a
// cache miss each) plus bbolt's page check took 63 % of the lookup's
// CPU (pprof: Cursor.searchPage, cmpbody, Page.FastCheck). One key per
// group bounds the keys (at most 10 × 65,536 groups beside the records;
// 1.6M keys at 1M items, ~9 a leaf, so 3-4 probes), the entries of a
// window are adjacent in one value, and a lookup reads no record unless
// it must: entries carry published (the exact 72-hour window is checked
// in the entry) and band entries the fingerprint and the story, so a
// candidate the SimHash confirms needs its record only when its lead
// must break a tie between several candidates. Fewer keys also make
// writes cheaper (~35 % less time to look up and index an item).
const bucketDedup = "neardup"

// bucketDedupV2 is the index of schemas 2 and 3: one key per item and
// band or MinHash ('S' band value day itemID, 'L' seed minhash day itemID)
// beside the same 'R' records. migrateV4 rebuilds it as bucketDedup.
const bucketDedupV2 = "dedup"

const (
	maxSimDistance     = 3
	minLeadContainment = 0.8
	minLeadShingles    = 8
	leadIndexShingles  = 18
	dedupBands         = 4
	dedupMinHashes     = 6
	storyWindow        = 72 * time.Hour
	// maxCandidatesPerKey bounds the entries one band value or MinHash
	// contributes (the oldest in the window): a text that many items
	// share (a stock paragraph, a feed that repeats one body) would
	// otherwise make every lookup read them all. Any one of them gives the
	// story.
	maxCandidatesPerKey = 16
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

func recordOf(it *Item) dedupRecord {
	return dedupRecord{id: it.ID, source: it.SourceID, story: it.Story, pub: pubNanos(it.Published), fp: it.Fingerprint, lead: it.Lead}
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

// minHashes are the dedupMinHashes MinHashes of a set of 32-bit hashes.
func minHashes(set []uint32) [dedupMinHashes]uint32 {
	var out [dedupMinHashes]uint32
	for i := range out {
		out[i] = ^uint32(0)
	}
	for _, h := range set {
		for i := range out {
			if m := mix32(h, uint32(i)); m < out[i] {
				out[i] = m
			}
		}
	}
	return out
}

// mix32 is a seeded 32-bit mixer (murmur3's finalizer over h^seed').
func mix32(h, seed uint32) uint32 {
	h ^= seed*0x9e3779b9 + 0x7f4a7c15
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// group is a view of a group's value (see the key layout above).
type group struct {
	v    []byte
	cnt  int
	cols []int // column widths
	off  [5]int
}

// groupOf checks a group's value: whole entries of the given columns.
func groupOf(k, v []byte, cols []int) (group, error) {
	size := 0
	for _, w := range cols {
		size += w
	}
	if len(v)%size != 0 {
		return group{}, fmt.Errorf("%s %x: malformed group of %d bytes", bucketDedup, k, len(v))
	}
	g := group{v: v, cnt: len(v) / size, cols: cols}
	for c := 1; c < len(cols); c++ {
		g.off[c] = g.off[c-1] + cols[c-1]*g.cnt
	}
	return g, nil
}

// field is column c of entry j.
func (g *group) field(c, j int) []byte {
	o := g.off[c] + g.cols[c]*j
	return g.v[o : o+g.cols[c]]
}

func (g *group) u64(c, j int) uint64 { return binary.BigEndian.Uint64(g.field(c, j)) }

// column is all of column c.
func (g *group) column(c int) []byte { return g.v[g.off[c] : g.off[c]+g.cols[c]*g.cnt] }

// with is a new value: the group without its first drop entries, with
// entry e (its fields in column order) inserted at index pos.
func (g *group) with(e []byte, pos, drop int) []byte {
	return g.appendWith(make([]byte, 0, len(g.v)+len(e)), e, pos, drop)
}

// appendWith appends the value with to v.
func (g *group) appendWith(v, e []byte, pos, drop int) []byte {
	for c, w := range g.cols {
		col := g.column(c)
		v = append(v, col[w*drop:w*pos]...)
		v = append(v, e[:w]...)
		v = append(v, col[w*pos:]...)
		e = e[w:]
	}
	return v
}

// without is a new value: the group without entry j.
func (g *group) without(j int) []byte {
	v := make([]byte, 0, len(g.v))
	for c, w := range g.cols {
		col := g.column(c)
		v = append(v, col[:w*j]...)
		v = append(v, col[w*(j+1):]...)
	}
	return v
}

// insertEntry is the group's value with entry e in (published, itemID)
// order. A full group drops its oldest entry (maxGroupEntries); ok is
// false when e itself would be that one.
//
// A malformed group (its length is not a whole number of entries) is
// replaced by one holding e alone: the index is derived data, and a group
// that could never be read again would otherwise fail every batch that
// touches it. Check reports such groups.
func insertEntry(k, old, e []byte, cols []int) (v []byte, ok bool, err error) {
	g, pos, drop, ok := insertAt(k, old, e, cols)
	if !ok {
		return nil, false, nil
	}
	return g.with(e, pos, drop), true, nil
}

// insertAt is where insertEntry puts e: the group old as read (empty when
// malformed), the index, and how many of its oldest entries to drop.
func insertAt(k, old, e []byte, cols []int) (g group, pos, drop int, ok bool) {
	g, err := groupOf(k, old, cols)
	if err != nil {
		g, _ = groupOf(k, nil, cols)
	}
	pub, id := binary.BigEndian.Uint64(e), binary.BigEndian.Uint64(e[cols[colPub]+cols[colMatch]:])
	pos = sort.Search(g.cnt, func(j int) bool {
		p := g.u64(colPub, j)
		return p > pub || p == pub && g.u64(colID, j) > id
	})
	if g.cnt >= maxGroupEntries {
		if pos == 0 {
			return g, 0, 0, false
		}
		drop = 1
	}
	return g, pos, drop, true
}

// removeEntry removes the entry of item id from the group k, if there.
func removeEntry(b *bolt.Bucket, k []byte, id uint64, cols []int) error {
	g, err := groupOf(k, b.Get(k), cols)
	if err != nil {
		return b.Delete(k) // malformed: see insertEntry
	}
	for j := range g.cnt {
		if g.u64(colID, j) != id {
			continue
		}
		if g.cnt == 1 {
			return b.Delete(k)
		}
		return b.Put(k, g.without(j))
	}
	return nil
}

// putDedup indexes an item (a no-op for a nil bucket: a store opened
// before version 2 was never written by this code).
func putDedup(b *bolt.Bucket, it *Item) error {
	r := recordOf(it)
	return putRecord(b, &r)
}

func putRecord(b *bolt.Bucket, r *dedupRecord) error {
	var gr groupsRead
	gr.read(b, r)
	return gr.put(b, r)
}

// groupsRead are the values of one item's groups (nil where there is
// none), read once: findStory looks them up, and put inserts the item's
// entries into them without reading them again.
//
// The values stay valid while the item's own entries are put: a Put to
// one key of the bucket leaves the values of the others where they are
// (a node's inodes keep pointing to the same bytes; the file is remapped
// only at the commit).
type groupsRead struct {
	keys []dedupKey // in key order
	vals [dedupBands + dedupMinHashes][]byte
	kbuf [dedupBands + dedupMinHashes]dedupKey
}

// read reads the groups of r's keys with one cursor, keys in ascending
// order: each descent starts from the root, but the upper pages the
// previous one read are still cached. It returns the cursor.
func (gr *groupsRead) read(b *bolt.Bucket, r *dedupRecord) *bolt.Cursor {
	gr.keys = r.dedupKeys(gr.kbuf[:0])
	slices.SortFunc(gr.keys, func(a, b dedupKey) int { return bytes.Compare(a.key[:], b.key[:]) })
	c := b.Cursor()
	for i := range gr.keys {
		k := gr.keys[i].key[:]
		gk, v := c.Seek(k)
		if bytes.Equal(gk, k) {
			gr.vals[i] = v
		} else {
			gr.vals[i] = nil
		}
	}
	return c
}

// put stores r's record and inserts its entries into the groups read
// (r's keys: the same fingerprint and lead as the item read for). The
// new values share one allocation, each slice capped at its own end;
// bbolt keeps them until the commit.
func (gr *groupsRead) put(b *bolt.Bucket, r *dedupRecord) error {
	if r.fp == 0 && len(r.lead) < minLeadShingles {
		return nil // nothing to match on
	}
	if err := b.Put(recordKey(r.id), r.encode()); err != nil {
		return err
	}
	type insert struct {
		g         group
		e         []byte
		pos, drop int
		ok        bool
	}
	var ins [len(gr.vals)]insert
	var ebuf [len(gr.vals)][40]byte
	size := 0
	for i := range gr.keys {
		k, in := &gr.keys[i], &ins[i]
		in.e = r.appendEntry(ebuf[i][:0], k)
		in.g, in.pos, in.drop, in.ok = insertAt(k.key[:], gr.vals[i], in.e, k.columns())
		if in.ok {
			size += len(in.g.v) + len(in.e)
		}
	}
	all := make([]byte, 0, size)
	for i := range gr.keys {
		in := &ins[i]
		if !in.ok {
			continue
		}
		start := len(all)
		all = in.g.appendWith(all, in.e, in.pos, in.drop)
		if err := b.Put(gr.keys[i].key[:], all[start:len(all):len(all)]); err != nil {
			return err
		}
	}
	return nil
}

// deleteDedup removes an item's record and index entries, if any.
func deleteDedup(b *bolt.Bucket, id uint64) error {
	rk := recordKey(id)
	v := b.Get(rk)
	if v == nil {
		return nil
	}
	r, err := decodeRecord(id, v)
	if err != nil {
		return b.Delete(rk)
	}
	var buf [dedupBands + dedupMinHashes]dedupKey
	for _, k := range r.dedupKeys(buf[:0]) {
		if err := removeEntry(b, k.key[:], id, k.columns()); err != nil {
			return err
		}
	}
	return b.Delete(rk)
}

// deleteDedupTx removes the index entries of the item with the 8-byte ID
// key idKey, in a store that has the index.
func deleteDedupTx(tx *bolt.Tx, idKey []byte) error {
	b := tx.Bucket([]byte(bucketDedup))
	id, ok := u64(idKey)
	if b == nil || !ok {
		return nil
	}
	return deleteDedup(b, id)
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
func (gr *groupsRead) findStory(b *bolt.Bucket, it *Item) (storyMatch, bool, error) {
	r := recordOf(it)
	lo := r.pub - min(r.pub, uint64(storyWindow))
	hi := r.pub + uint64(storyWindow)
	if hi < r.pub {
		hi = ^uint64(0)
	}
	type cand struct {
		id, story  uint64
		dist       int
		bySim, byL bool
	}
	var cbuf [16]cand
	cands := cbuf[:0]
	add := func(c cand) {
		for i := range cands {
			if cands[i].id == c.id {
				cands[i].byL = cands[i].byL || c.byL
				if c.bySim {
					cands[i].bySim, cands[i].dist, cands[i].story = true, c.dist, c.story
				}
				return
			}
		}
		cands = append(cands, c)
	}
	c := gr.read(b, &r)
	for i := range gr.keys {
		k := &gr.keys[i]
		v := gr.vals[i]
		if v == nil {
			continue
		}
		g, err := groupOf(k.key[:], v, k.columns())
		if err != nil {
			continue // malformed: no candidates from it (see insertEntry)
		}
		j := sort.Search(g.cnt, func(j int) bool { return g.u64(colPub, j) >= lo })
		for taken := 0; j < g.cnt && taken < maxCandidatesPerKey && g.u64(colPub, j) <= hi; j++ {
			d := 0
			if k.sim() {
				if d = bits.OnesCount64(r.fp ^ g.u64(colMatch, j)); d > maxSimDistance {
					continue
				}
			} else if binary.BigEndian.Uint32(g.field(colMatch, j)) != k.min {
				continue
			}
			id := g.u64(colID, j)
			if g.u64(colSrc, j) == r.source || id == r.id {
				continue // an outlet's own posts never merge
			}
			if k.sim() {
				add(cand{id: id, story: g.u64(colStory, j), dist: d, bySim: true})
			} else {
				add(cand{id: id, byL: true})
			}
			taken++
		}
	}
	var best storyMatch
	found := false
	var mine, theirs []uint32
	var rk [9]byte
	rk[0] = 'R'
	for _, cd := range cands {
		score := -1.0
		if cd.bySim {
			score = 1 - float64(cd.dist)/64
		}
		if cd.byL && (!cd.bySim || len(cands) > 1) {
			binary.BigEndian.PutUint64(rk[1:], cd.id)
			k, v := c.Seek(rk[:])
			if !bytes.Equal(k, rk[:]) || len(v) < 32 || (len(v)-32)%4 != 0 {
				continue // a dangling or malformed entry is no match
			}
			if binary.BigEndian.Uint64(v) == r.source || absDiff(binary.BigEndian.Uint64(v[8:]), r.pub) > uint64(storyWindow) {
				continue
			}
			if !cd.bySim {
				cd.story = binary.BigEndian.Uint64(v[16:])
				if cd.story == 0 {
					cd.story = cd.id
				}
			}
			if n := (len(v) - 32) / 4; n >= minLeadShingles && len(r.lead) > 0 {
				if mine == nil {
					mine = sortedSet(nil, r.lead)
				}
				theirs = theirs[:0]
				for i := range n {
					theirs = append(theirs, binary.BigEndian.Uint32(v[32+4*i:]))
				}
				theirs = sortedSet(theirs, nil)
				if ct := sharedRatio(mine, theirs); ct >= minLeadContainment {
					score = max(score, ct)
				}
			}
		}
		if score < 0 {
			continue
		}
		if !found || score > best.score || score == best.score && cd.id < best.id {
			best, found = storyMatch{id: cd.id, story: cd.story, score: score}, true
		}
	}
	return best, found, nil
}

// sortedSet sorts and deduplicates dst, after appending src to it.
func sortedSet(dst, src []uint32) []uint32 {
	dst = append(dst, src...)
	slices.Sort(dst)
	return slices.Compact(dst)
}

// sharedRatio is |x∩y| / min(|x|, |y|) of two sorted sets.
func sharedRatio(x, y []uint32) float64 {
	if len(x) == 0 || len(y) == 0 {
		return 0
	}
	shared := 0
	for i, j := 0, 0; i < len(x) && j < len(y); {
		switch {
		case x[i] == y[j]:
			shared++
			i++
			j++
		case x[i] < y[j]:
			i++
		default:
			j++
		}
	}
	return float64(shared) / float64(min(len(x), len(y)))
}

func absDiff(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return b - a
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
	// latter only within maxSimDistance).
	Score float64 `json:"score"`
	// Same reports whether the index takes them for one story.
	Same bool `json:"same"`
}

func compare(a, b *dedupRecord) Similarity {
	s := Similarity{SimHashDistance: -1, LeadContainment: -1}
	if a.fp != 0 && b.fp != 0 {
		s.SimHashDistance = bits.OnesCount64(a.fp ^ b.fp)
		if s.SimHashDistance <= maxSimDistance {
			s.Same = true
			s.Score = 1 - float64(s.SimHashDistance)/64
		}
	}
	if len(a.lead) >= minLeadShingles && len(b.lead) >= minLeadShingles {
		s.LeadContainment = containment(a.lead, b.lead)
		if s.LeadContainment >= minLeadContainment {
			s.Same = true
		}
		s.Score = max(s.Score, s.LeadContainment)
	}
	return s
}

// containment is |A∩B| / min(|A|, |B|) over the distinct hashes of a and b.
func containment(a, b []uint32) float64 {
	return sharedRatio(sortedSet(nil, a), sortedSet(nil, b))
}

// Similarity compares two stored items as the near-duplicate index does.
func (s *Store) Similarity(a, b uint64) (Similarity, error) {
	var sim Similarity
	err := s.db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket([]byte(bucketDedup))
		if bk == nil {
			return fmt.Errorf("no %s bucket", bucketDedup)
		}
		var recs [2]dedupRecord
		for i, id := range []uint64{a, b} {
			v := bk.Get(recordKey(id))
			if v == nil {
				recs[i] = dedupRecord{id: id}
				continue
			}
			var err error
			if recs[i], err = decodeRecord(id, v); err != nil {
				return err
			}
		}
		sim = compare(&recs[0], &recs[1])
		return nil
	})
	return sim, err
}

// assignStory gives a new item (ID set, not yet stored) its story: the
// story of the best matching item of another source, unless it already
// has one. Then it indexes the item.
func (ix indexes) assignStory(it *Item) error {
	if ix.dedup == nil {
		return nil
	}
	var gr groupsRead
	if it.Story == 0 {
		m, ok, err := gr.findStory(ix.dedup, it)
		if err != nil {
			return err
		}
		if ok {
			it.Story = m.story
		}
	} else {
		r := recordOf(it)
		gr.read(ix.dedup, &r)
	}
	r := recordOf(it) // with the story found
	return gr.put(ix.dedup, &r)
}

// migrateV2 adds the near-duplicate index (bucket dedup) and indexes the
// items stored so far that carry a fingerprint. (Its index keys are
// rebuilt by migrateV4; only its records are read there.)
func migrateV2(tx *bolt.Tx) error {
	b, err := tx.CreateBucketIfNotExists([]byte(bucketDedupV2))
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketDedupV2, err)
	}
	return tx.Bucket([]byte(bucketItems)).ForEach(func(k, v []byte) error {
		it, err := decodeItem(k, v)
		if err != nil {
			return err
		}
		return putDedup(b, &it)
	})
}

// migrateV4 rebuilds the near-duplicate index in the grouped layout
// (bucket neardup, see bucketDedup) and drops the index of schemas 2-3
// (bucket dedup). The leads live only in the index's records, not in the
// items, so the new index is built from those records. One transaction,
// like every migration: a crash leaves the store at schema 3.
//
// bbolt splits a transaction's nodes only when it commits, so keys put in
// random order into a new bucket make one node of millions of keys that
// every insert shifts (300k items took 8 minutes that way). Keys are
// written in ascending order instead: the groups of one key family (a
// band or a MinHash seed) at a time, collected from a pass over the
// records (~40 MB at 1M items), then the records, then the band groups.
func migrateV4(tx *bolt.Tx) error {
	b, err := tx.CreateBucketIfNotExists([]byte(bucketDedup))
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketDedup, err)
	}
	old := tx.Bucket([]byte(bucketDedupV2))
	if old == nil {
		return nil
	}
	// each calls f for every record of the old index, in ID order.
	each := func(f func(k, v []byte, r *dedupRecord) error) error {
		c := old.Cursor()
		for k, v := c.Seek([]byte{'R'}); k != nil && k[0] == 'R'; k, v = c.Next() {
			// The index is derived data: a malformed record costs that
			// item its place in the index (as deleteDedup treats one),
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
	family := func(kind, n byte) error {
		groups := make(map[uint16][]byte)
		err := each(func(_, _ []byte, r *dedupRecord) error {
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
	for i := range dedupMinHashes {
		if err := family('L', byte(i)); err != nil {
			return err
		}
	}
	err = each(func(k, v []byte, _ *dedupRecord) error { return b.Put(k, v) })
	if err != nil {
		return err
	}
	for i := range dedupBands {
		if err := family('S', byte(i)); err != nil {
			return err
		}
	}
	if err := tx.DeleteBucket([]byte(bucketDedupV2)); err != nil {
		return fmt.Errorf("drop bucket %s: %w", bucketDedupV2, err)
	}
	return nil
}

// checkDedup reports near-duplicate index entries that cannot be read: a
// record or a group whose length is malformed. Writes repair a group they
// touch (insertEntry) and lookups skip it, so such damage costs recall,
// never a failed ingest; Check is where an operator hears of it.
func checkDedup(tx *bolt.Tx, report func(string, ...any)) {
	b := tx.Bucket([]byte(bucketDedup))
	if b == nil {
		return
	}
	b.ForEach(func(k, v []byte) error {
		switch {
		case len(k) == 4 && k[0] == 'S':
			if _, err := groupOf(k, v, simColumns); err != nil {
				report("%w", err)
			}
		case len(k) == 4 && k[0] == 'L':
			if _, err := groupOf(k, v, leadColumns); err != nil {
				report("%w", err)
			}
		case len(k) == 9 && k[0] == 'R':
			id, _ := u64(k[1:])
			if _, err := decodeRecord(id, v); err != nil {
				report("%w", err)
			}
		default:
			report("%s: unexpected key %x", bucketDedup, k)
		}
		return nil
	})
}
