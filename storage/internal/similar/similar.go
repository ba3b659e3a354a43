package similar

import (
	"math/bits"
	"slices"
	"time"
)

// Thresholds:
//
//   - SimHash: the same story when at most MaxSimDistance of 64 bits
//     differ. Bands 16-bit bands are indexed, so by pigeonhole every pair
//     within 3 bits shares a band.
//   - Lead containment: shared lead shingles / the shorter lead's shingles
//     at least MinLeadContainment, both leads having at least
//     MinLeadShingles (about a 10-word sentence). Candidates come from
//     MinHashes MinHashes over the first LeadIndexShingles lead shingles,
//     one key each: a 10-word teaser against the full copy (Jaccard ~0.55)
//     shares at least one with probability 1-0.45^6 > 99%.
//   - Only items of other sources are candidates, published within Window.
//   - MaxCandidatesPerKey bounds the candidates one key contributes: the
//     oldest in the window.
const (
	MaxSimDistance      = 3
	MinLeadContainment  = 0.8
	MinLeadShingles     = 8
	LeadIndexShingles   = 18
	Bands               = 4
	MinHashes           = 6
	Window              = 72 * time.Hour
	MaxCandidatesPerKey = 16
)

// Text is what the rules look at of an item.
type Text struct {
	Fingerprint uint64   // SimHash; 0 = none
	Lead        []uint32 // hashes of the opening shingles, in text order
}

// Indexed reports whether t has anything to match on.
func (t Text) Indexed() bool { return t.Fingerprint != 0 || len(t.Lead) >= MinLeadShingles }

// BandValues are the fingerprint's Bands 16-bit bands, lowest first.
func BandValues(fp uint64) [Bands]uint16 {
	var out [Bands]uint16
	for b := range out {
		out[b] = uint16(fp >> (16 * b))
	}
	return out
}

// LeadMinHashes are the MinHashes of the lead's first LeadIndexShingles
// shingles; ok is false when the lead is too short to be indexed.
func LeadMinHashes(lead []uint32) (out [MinHashes]uint32, ok bool) {
	lead = lead[:min(len(lead), LeadIndexShingles)]
	if len(lead) < MinLeadShingles {
		return out, false
	}
	for i := range out {
		out[i] = ^uint32(0)
	}
	for _, h := range lead {
		for i := range out {
			if m := mix32(h, uint32(i)); m < out[i] {
				out[i] = m
			}
		}
	}
	return out, true
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

// Key is one LSH key as a single integer: band<<16|value for a SimHash
// band, (Bands+seed)<<32|minhash for a lead MinHash. Two items share a key
// exactly when they share the band value or the MinHash.
type Key int64

// Sim reports whether k is a SimHash band's key.
func (k Key) Sim() bool { return k < Bands<<32 }

// Keys are t's keys: its bands, then its lead MinHashes.
func Keys(t Text) []Key {
	var out []Key
	if t.Fingerprint != 0 {
		for b, v := range BandValues(t.Fingerprint) {
			out = append(out, Key(b)<<16|Key(v))
		}
	}
	if mh, ok := LeadMinHashes(t.Lead); ok {
		for i, m := range mh {
			out = append(out, Key(Bands+i)<<32|Key(m))
		}
	}
	return out
}

// Distance is the number of differing bits of two fingerprints.
func Distance(a, b uint64) int { return bits.OnesCount64(a ^ b) }

// SortedSet sorts and deduplicates dst, after appending src to it.
func SortedSet(dst, src []uint32) []uint32 {
	dst = append(dst, src...)
	slices.Sort(dst)
	return slices.Compact(dst)
}

// SharedRatio is |x∩y| / min(|x|, |y|) of two sorted sets.
func SharedRatio(x, y []uint32) float64 {
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

// Containment is |A∩B| / min(|A|, |B|) over the distinct hashes of a and b.
func Containment(a, b []uint32) float64 {
	return SharedRatio(SortedSet(nil, a), SortedSet(nil, b))
}

// Similarity is how alike two texts are (storage.Similarity's fields).
type Similarity struct {
	SimHashDistance int
	LeadContainment float64
	Score           float64
	Same            bool
}

// Compare compares two texts as story assignment does.
func Compare(a, b Text) Similarity {
	s := Similarity{SimHashDistance: -1, LeadContainment: -1}
	if a.Fingerprint != 0 && b.Fingerprint != 0 {
		s.SimHashDistance = Distance(a.Fingerprint, b.Fingerprint)
		if s.SimHashDistance <= MaxSimDistance {
			s.Same = true
			s.Score = 1 - float64(s.SimHashDistance)/64
		}
	}
	if len(a.Lead) >= MinLeadShingles && len(b.Lead) >= MinLeadShingles {
		s.LeadContainment = Containment(a.Lead, b.Lead)
		if s.LeadContainment >= MinLeadContainment {
			s.Same = true
		}
		s.Score = max(s.Score, s.LeadContainment)
	}
	return s
}
