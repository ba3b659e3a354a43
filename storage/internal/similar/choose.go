package similar

// Cand is a candidate for a new item's story: an indexed item of another
// source within the window that shares a key with it, found through a
// band (BySim: its Distance and Story known from the index) or a lead
// MinHash (ByLead), or both.
type Cand struct {
	ID, Story     uint64
	Distance      int
	BySim, ByLead bool
}

// AddCand adds c to cands, merging it with an entry of the same item.
func AddCand(cands []Cand, c Cand) []Cand {
	for i := range cands {
		if cands[i].ID == c.ID {
			cands[i].ByLead = cands[i].ByLead || c.ByLead
			if c.BySim {
				cands[i].BySim, cands[i].Distance, cands[i].Story = true, c.Distance, c.Story
			}
			return cands
		}
	}
	return append(cands, c)
}

// Record is what Choose reads of a candidate found through its lead.
type Record struct {
	Source    uint64
	Published uint64 // nanoseconds since the epoch
	Story     uint64 // 0: its own story
	Lead      []uint32
}

// Match is the best candidate: the item and its story.
type Match struct {
	ID, Story uint64
	Score     float64
}

// NeedsRecord reports whether Choose reads c's record: c was found
// through its lead, and either not through a band or among several.
func NeedsRecord(c Cand, n int) bool { return c.ByLead && (!c.BySim || n > 1) }

// Choose scores the candidates of a new item (source, published, lead)
// and returns the best: 1-distance/64 for one found through a band, its
// lead containment (when at least MinLeadContainment) for one found
// through a MinHash, the larger of both for one found both ways; ties go
// to the lower ID. record reads a candidate's record (NeedsRecord), its
// lead appended to buf; a candidate without one is no match.
func Choose(cands []Cand, source, published uint64, lead []uint32, record func(id uint64, buf []uint32) (Record, bool)) (Match, bool) {
	var best Match
	found := false
	var mine, buf []uint32
	for _, cd := range cands {
		score := -1.0
		if cd.BySim {
			score = 1 - float64(cd.Distance)/64
		}
		if NeedsRecord(cd, len(cands)) {
			rec, ok := record(cd.ID, buf[:0])
			if !ok || rec.Source == source || absDiff(rec.Published, published) > uint64(Window) {
				continue
			}
			buf = rec.Lead
			if !cd.BySim {
				cd.Story = rec.Story
				if cd.Story == 0 {
					cd.Story = cd.ID
				}
			}
			if len(rec.Lead) >= MinLeadShingles && len(lead) > 0 {
				if mine == nil {
					mine = SortedSet(nil, lead)
				}
				buf = SortedSet(buf, nil)
				if ct := SharedRatio(mine, buf); ct >= MinLeadContainment {
					score = max(score, ct)
				}
			}
		}
		if score < 0 {
			continue
		}
		if !found || score > best.Score || score == best.Score && cd.ID < best.ID {
			best, found = Match{ID: cd.ID, Story: cd.Story, Score: score}, true
		}
	}
	return best, found
}

// WindowOf is the published range [lo, hi] of the candidates of an item
// published at pub (nanoseconds), clamped to uint64.
func WindowOf(pub uint64) (lo, hi uint64) {
	lo = pub - min(pub, uint64(Window))
	hi = pub + uint64(Window)
	if hi < pub {
		hi = ^uint64(0)
	}
	return lo, hi
}

func absDiff(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return b - a
}
