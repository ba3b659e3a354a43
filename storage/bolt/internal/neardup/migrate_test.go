package neardup

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The index of schemas 2 and 3 (bucket dedup), as that code wrote and
// read it, kept here to build v3 stores and to check that the grouped
// index finds what the old one found:
//
//	'S' band(1) value(2) day(4) itemID(8)   -> source(8) fingerprint(8)
//	'L' seed(1) minhash(4) day(4) itemID(8) -> source(8)
//	'R' itemID(8) -> source(8) published(8) story(8) fingerprint(8) lead(4 each)

func v3Prefixes(r *dedupRecord) [][]byte {
	var out [][]byte
	if r.fp != 0 {
		for b := range dedupBands {
			out = append(out, binary.BigEndian.AppendUint16([]byte{'S', byte(b)}, uint16(r.fp>>(16*b))))
		}
	}
	if lead := r.lead[:min(len(r.lead), leadIndexShingles)]; len(lead) >= minLeadShingles {
		for i, m := range minHashes(lead) {
			out = append(out, binary.BigEndian.AppendUint32([]byte{'L', byte(i)}, m))
		}
	}
	return out
}

func v3Day(pub uint64) uint32 { return uint32(pub / uint64(24*time.Hour)) }

// v3Put indexes a record the way schema 3 did.
func v3Put(b *bolt.Bucket, r *dedupRecord) error {
	if r.fp == 0 && len(r.lead) < minLeadShingles {
		return nil
	}
	if err := b.Put(recordKey(r.id), r.encode()); err != nil {
		return err
	}
	for _, p := range v3Prefixes(r) {
		k := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32(p, v3Day(r.pub)), r.id)
		v := binary.BigEndian.AppendUint64(nil, r.source)
		if p[0] == 'S' {
			v = binary.BigEndian.AppendUint64(v, r.fp)
		}
		if err := b.Put(k, v); err != nil {
			return err
		}
	}
	return nil
}

// v3FindStory is schema 3's lookup: the story found and whether one was.
func v3FindStory(b *bolt.Bucket, d *Doc) (uint64, bool) {
	r := recordOf(d)
	day := v3Day(r.pub)
	from, to := day-min(day, 3), day+3
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
	for _, p := range v3Prefixes(&r) {
		taken := 0
		for k, v := c.Seek(binary.BigEndian.AppendUint32(bytes.Clone(p), from)); k != nil && bytes.HasPrefix(k, p) && taken < maxCandidatesPerKey; k, v = c.Next() {
			if binary.BigEndian.Uint32(k[len(p):]) > to {
				break
			}
			if binary.BigEndian.Uint64(v) == r.source {
				continue
			}
			if p[0] == 'S' && bits.OnesCount64(r.fp^binary.BigEndian.Uint64(v[8:])) > maxSimDistance {
				continue
			}
			if id := binary.BigEndian.Uint64(k[len(p)+4:]); id != r.id {
				add(id, p[0] == 'L')
				taken++
			}
		}
	}
	var best dedupRecord
	bestScore, found := 0.0, false
	for _, cd := range cands {
		rec, err := decodeRecord(cd.id, b.Get(recordKey(cd.id)))
		if err != nil || rec.source == r.source || absDiff(rec.pub, r.pub) > uint64(storyWindow) {
			continue
		}
		score := -1.0
		if d := bits.OnesCount64(r.fp ^ rec.fp); cd.bySim && r.fp != 0 && rec.fp != 0 && d <= maxSimDistance {
			score = 1 - float64(d)/64
		}
		if cd.byL && len(rec.lead) >= minLeadShingles && len(r.lead) > 0 {
			if ct := containment(r.lead, rec.lead); ct >= minLeadContainment {
				score = max(score, ct)
			}
		}
		if score >= 0 && (!found || score > bestScore || score == bestScore && cd.id < best.id) {
			best, bestScore, found = rec, score, true
		}
	}
	return best.storyID(), found
}

// storyCorpus makes items of a few stories: copies with a few fingerprint
// bits changed, teasers (a lead's opening), a lead with a line put in
// front, and unrelated items; over ten days, from sources 1..nsrc.
type storyCorpus struct {
	r     *rand.Rand
	t0    time.Time
	fps   []uint64
	leads [][]uint32
}

func newStoryCorpus(seed uint64, stories int) *storyCorpus {
	c := &storyCorpus{r: rand.New(rand.NewPCG(seed, 1)), t0: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}
	for range stories {
		c.fps = append(c.fps, c.r.Uint64()|1)
		lead := make([]uint32, 40)
		for j := range lead {
			lead[j] = c.r.Uint32()
		}
		c.leads = append(c.leads, lead)
	}
	return c
}

func (c *storyCorpus) item() Doc {
	s := c.r.IntN(len(c.fps))
	it := Doc{Published: pubNanos(c.t0.Add(time.Duration(c.r.Int64N(int64(10 * 24 * time.Hour)))))}
	switch c.r.IntN(5) {
	case 0: // a copy: a few bits off, same lead
		it.Fingerprint = c.fps[s] ^ (1 << c.r.IntN(64)) ^ (1 << c.r.IntN(64))
		it.Lead = c.leads[s]
	case 1: // a teaser: its own fingerprint, the lead's opening
		it.Fingerprint = c.r.Uint64() | 1
		it.Lead = c.leads[s][:8+c.r.IntN(12)]
	case 2: // a line put in front of the lead
		it.Lead = append([]uint32{c.r.Uint32(), c.r.Uint32()}, c.leads[s]...)
	case 3: // 4 bits off: another story by SimHash alone
		it.Fingerprint = c.fps[s] ^ 0b1111<<c.r.IntN(60)
	default: // unrelated
		it.Fingerprint = c.r.Uint64() | 1
		for range 30 {
			it.Lead = append(it.Lead, c.r.Uint32())
		}
	}
	return it
}

// TestMigrateV3ToV5: a store whose index schema 3 wrote (one key per item
// and band) opens at schema 5, through schema 4's grouped index, with the
// sharded index, which finds for every probe the story schema 3's lookup
// found, and keeps assigning stories to new items.
func TestMigrateV3ToV5(t *testing.T) {
	const nsrc = 6
	s := openTest(t)
	corpus := newStoryCorpus(11, 40)
	for i := range 60 {
		var batch []Doc
		for range 10 {
			batch = append(batch, corpus.item())
		}
		record(t, s, uint64(1+i%nsrc), batch...)
	}

	// Rewrite it as schema 3 left it: the old bucket with the old keys.
	records, entries := 0, 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		old, err := tx.CreateBucket([]byte(bucketDedupV2))
		if err != nil {
			return err
		}
		nb := tx.Bucket([]byte(Bucket))
		c := nb.Cursor()
		for k, v := c.Seek([]byte{'R'}); k != nil && k[0] == 'R'; k, v = c.Next() {
			r, err := decodeRecord(binary.BigEndian.Uint64(k[1:]), v)
			if err != nil {
				return err
			}
			if err := v3Put(old, &r); err != nil {
				return err
			}
			records++
			entries += 1 + len(v3Prefixes(&r))
		}
		return tx.DeleteBucket([]byte(Bucket))
	})
	if err != nil {
		t.Fatal(err)
	}
	// What schema 3 finds for probes from the sources and from a new one.
	probes := make([]Doc, 400)
	want := make([][2]uint64, len(probes))
	matched := 0
	err = s.db.View(func(tx *bolt.Tx) error {
		old := tx.Bucket([]byte(bucketDedupV2))
		for i := range probes {
			probes[i] = corpus.item()
			probes[i].ID, probes[i].Source = uint64(100_000+i), uint64(1+i%(nsrc+1))
			story, ok := v3FindStory(old, &probes[i])
			if ok {
				want[i] = [2]uint64{1, story}
				matched++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if records < 500 || matched < 100 || matched > 350 {
		t.Fatalf("corpus: %d records, %d of %d probes matched: not a useful test", records, matched, len(probes))
	}

	t.Logf("%d records, %d of %d probes found a story", records, matched, len(probes))
	// The store runs schema 4's and 5's migrations, each in its own
	// transaction.
	for _, m := range []func(*bolt.Tx) error{MigrateV4, MigrateV5} {
		if err := s.db.Update(m); err != nil {
			t.Fatal(err)
		}
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte(bucketDedupV2)) != nil {
			return fmt.Errorf("bucket %s is still there", bucketDedupV2)
		}
		b := tx.Bucket([]byte(Bucket))
		for i := range probes {
			m, ok, err := findStory(b, &probes[i])
			if err != nil {
				return err
			}
			got := [2]uint64{}
			if ok {
				got = [2]uint64{1, m.story}
			}
			if got != want[i] {
				t.Errorf("probe %d (source %d, fp %x, lead %d): found %v, schema 3 found %v", i, probes[i].Source, probes[i].Fingerprint, len(probes[i].Lead), got, want[i])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := dedupKeys(t, s); n != entries {
		t.Errorf("%d index entries after the migration, want %d", n, entries)
	}
	// New items still join their story, and the index checks out.
	for i := range 50 {
		record(t, s, uint64(1+i%nsrc), corpus.item())
	}
	mustCheck(t, s)
}
