package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
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
// Storage indexes both so a lookup costs a few seeks, whatever the store's
// size (bucket dedup, keys below), and confirms every candidate with
// data stored beside the index (the 'R' record), never a scan.
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
//     one topic never merge), published within storyWindow (3 days).
//
// A new item that matches joins the best match's story: Story = that
// story's ID (the ID of its first item). An item keeps its story on an
// update.
//
// Keys of bucket dedup (day = days since 1970 of Published, big-endian):
//
//	'S' band(1) value(2) day(4) itemID(8)   one per SimHash band -> source(8) fingerprint(8)
//	'L' seed(1) minhash(4) day(4) itemID(8) one per lead MinHash -> source(8)
//	'R' itemID(8) -> source(8) published(8) story(8) fingerprint(8) lead(4 each)
const bucketDedup = "dedup"

const (
	maxSimDistance     = 3
	minLeadContainment = 0.8
	minLeadShingles    = 8
	leadIndexShingles  = 18
	dedupBands         = 4
	dedupMinHashes     = 6
	storyWindow        = 72 * time.Hour
	// storyWindowDays is storyWindow rounded up to whole days: the index
	// is searched by day, the exact window checked on the record.
	storyWindowDays = 3
	// maxCandidatesPerKey bounds the entries one index key contributes
	// (the oldest in the window): a text that many items share (a stock
	// paragraph, a feed that repeats one body) would otherwise make every
	// lookup read them all. Any one of them gives the story.
	maxCandidatesPerKey = 16
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

func (r *dedupRecord) day() uint32 { return uint32(r.pub / uint64(24*time.Hour)) }

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

// bandPrefixes are the index key prefixes of r (without day and ID): its
// SimHash bands and its lead MinHashes.
func (r *dedupRecord) bandPrefixes() [][]byte {
	var out [][]byte
	if r.fp != 0 {
		for b := range dedupBands {
			v := uint16(r.fp >> (16 * b))
			out = append(out, binary.BigEndian.AppendUint16([]byte{'S', byte(b)}, v))
		}
	}
	if lead := r.lead[:min(len(r.lead), leadIndexShingles)]; len(lead) >= minLeadShingles {
		for i, m := range minHashes(lead) {
			out = append(out, binary.BigEndian.AppendUint32([]byte{'L', byte(i)}, m))
		}
	}
	return out
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

// indexKeys are r's full index keys.
func (r *dedupRecord) indexKeys() [][]byte {
	ps := r.bandPrefixes()
	for i, p := range ps {
		p = binary.BigEndian.AppendUint32(p, r.day())
		ps[i] = binary.BigEndian.AppendUint64(p, r.id)
	}
	return ps
}

// putDedup indexes an item (a no-op for a nil bucket: a store opened
// before version 2 was never written by this code).
func putDedup(b *bolt.Bucket, it *Item) error {
	r := recordOf(it)
	if r.fp == 0 && len(r.lead) < minLeadShingles {
		return nil // nothing to match on
	}
	if err := b.Put(recordKey(r.id), r.encode()); err != nil {
		return err
	}
	// Values let a lookup skip candidates without reading their record:
	// the source for every key, the fingerprint for band keys.
	srcOnly := u64key(r.source)
	srcFP := binary.BigEndian.AppendUint64(u64key(r.source), r.fp)
	for _, k := range r.indexKeys() {
		v := srcOnly
		if k[0] == 'S' {
			v = srcFP
		}
		if err := b.Put(k, v); err != nil {
			return err
		}
	}
	return nil
}

// deleteDedup removes an item's record and index keys, if any.
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
	for _, k := range r.indexKeys() {
		if err := b.Delete(k); err != nil {
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
	rec   dedupRecord
	score float64
}

// findStory looks up the story an item (not yet indexed) belongs to. A
// candidate found through a SimHash band is confirmed by its distance, one
// found through a lead MinHash by lead containment (reading only the
// record's fixed part for the former).
func findStory(b *bolt.Bucket, it *Item) (storyMatch, bool, error) {
	r := recordOf(it)
	day := r.day()
	from := day - min(day, storyWindowDays)
	to := day + storyWindowDays
	type cand struct {
		id         uint64
		bySim, byL bool
	}
	var cands []cand
	add := func(id uint64, lead bool) {
		for i := range cands {
			if cands[i].id == id {
				cands[i].byL = cands[i].byL || lead
				cands[i].bySim = cands[i].bySim || !lead
				return
			}
		}
		cands = append(cands, cand{id: id, bySim: !lead, byL: lead})
	}
	c := b.Cursor()
	var seek [32]byte
	for _, p := range r.bandPrefixes() {
		start := binary.BigEndian.AppendUint32(append(seek[:0], p...), from)
		taken := 0
		for k, v := c.Seek(start); k != nil && bytes.HasPrefix(k, p) && taken < maxCandidatesPerKey; k, v = c.Next() {
			if len(k) != len(p)+12 {
				return storyMatch{}, false, fmt.Errorf("%s %x: %w", bucketDedup, k, errBadKey)
			}
			if binary.BigEndian.Uint32(k[len(p):]) > to {
				break
			}
			if len(v) < 8 || binary.BigEndian.Uint64(v) == r.source {
				continue // an outlet's own posts never merge
			}
			if p[0] == 'S' && (len(v) != 16 || bits.OnesCount64(r.fp^binary.BigEndian.Uint64(v[8:])) > maxSimDistance) {
				continue
			}
			if id := binary.BigEndian.Uint64(k[len(p)+4:]); id != r.id {
				add(id, p[0] == 'L')
				taken++
			}
		}
	}
	var best storyMatch
	found := false
	mine := sortedSet(nil, r.lead)
	var theirs []uint32
	for _, cd := range cands {
		v := b.Get(recordKey(cd.id))
		if len(v) < 32 || (len(v)-32)%4 != 0 {
			continue // a dangling or malformed entry is no match
		}
		source, pub := binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(v[8:])
		if source == r.source || absDiff(pub, r.pub) > uint64(storyWindow) {
			continue
		}
		score := -1.0
		if fp := binary.BigEndian.Uint64(v[24:]); cd.bySim && r.fp != 0 && fp != 0 {
			if d := bits.OnesCount64(r.fp ^ fp); d <= maxSimDistance {
				score = 1 - float64(d)/64
			}
		}
		if n := (len(v) - 32) / 4; cd.byL && n >= minLeadShingles && len(mine) > 0 {
			theirs = theirs[:0]
			for i := range n {
				theirs = append(theirs, binary.BigEndian.Uint32(v[32+4*i:]))
			}
			theirs = sortedSet(theirs, nil)
			if ct := sharedRatio(mine, theirs); ct >= minLeadContainment {
				score = max(score, ct)
			}
		}
		if score < 0 {
			continue
		}
		if !found || score > best.score || score == best.score && cd.id < best.rec.id {
			rec, err := decodeRecord(cd.id, v)
			if err != nil {
				return best, false, err
			}
			best, found = storyMatch{rec: rec, score: score}, true
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
	if it.Story == 0 {
		m, ok, err := findStory(ix.dedup, it)
		if err != nil {
			return err
		}
		if ok {
			it.Story = m.rec.storyID()
		}
	}
	return putDedup(ix.dedup, it)
}

// migrateV2 adds the near-duplicate index (bucket dedup) and indexes the
// items stored so far that carry a fingerprint.
func migrateV2(tx *bolt.Tx) error {
	b, err := tx.CreateBucketIfNotExists([]byte(bucketDedup))
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketDedup, err)
	}
	return tx.Bucket([]byte(bucketItems)).ForEach(func(k, v []byte) error {
		it, err := decodeItem(k, v)
		if err != nil {
			return err
		}
		return putDedup(b, &it)
	})
}
