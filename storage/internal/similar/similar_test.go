package similar

import (
	"math"
	"testing"
)

func lead(from, n int) []uint32 {
	out := make([]uint32, n)
	for i := range out {
		out[i] = uint32(from+i) * 2654435761
	}
	return out
}

func TestKeys(t *testing.T) {
	ks := Keys(Text{Fingerprint: 0x0004_0003_0002_0001, Lead: lead(0, 30)})
	if len(ks) != Bands+MinHashes {
		t.Fatalf("%d keys, want %d", len(ks), Bands+MinHashes)
	}
	for b := range Bands {
		if want := Key(b)<<16 | Key(b+1); ks[b] != want || !ks[b].Sim() {
			t.Errorf("band %d: key %x, want %x", b, ks[b], want)
		}
	}
	mh, _ := LeadMinHashes(lead(0, 30))
	for i, m := range mh {
		if k := ks[Bands+i]; k.Sim() || uint32(k) != m || int(k>>32) != Bands+i {
			t.Errorf("MinHash %d: key %x", i, k)
		}
	}
	if got := Keys(Text{Lead: lead(0, MinLeadShingles-1)}); len(got) != 0 {
		t.Errorf("a short lead and no fingerprint: %d keys", len(got))
	}
	// Only the first LeadIndexShingles shingles count.
	a, _ := LeadMinHashes(lead(0, LeadIndexShingles))
	b, _ := LeadMinHashes(append(lead(0, LeadIndexShingles), lead(100, 20)...))
	if a != b {
		t.Error("shingles past LeadIndexShingles changed the MinHashes")
	}
}

func TestCompare(t *testing.T) {
	s := Compare(Text{Fingerprint: 0xff}, Text{Fingerprint: 0xf8})
	if s.SimHashDistance != 3 || !s.Same || s.Score != 1-3.0/64 || s.LeadContainment != -1 {
		t.Errorf("3 bits apart: %+v", s)
	}
	if s := Compare(Text{Fingerprint: 0xff}, Text{Fingerprint: 0xf0}); s.Same || s.Score != 0 {
		t.Errorf("4 bits apart: %+v", s)
	}
	teaser, full := lead(0, 10), lead(0, 40)
	if s := Compare(Text{Lead: teaser}, Text{Lead: full}); !s.Same || s.LeadContainment != 1 || s.SimHashDistance != -1 {
		t.Errorf("teaser and full copy: %+v", s)
	}
	if s := Compare(Text{Lead: lead(0, 10)}, Text{Lead: lead(3, 10)}); s.Same || math.Abs(s.LeadContainment-0.7) > 1e-9 {
		t.Errorf("7 of 10 shared: %+v", s)
	}
}

func TestChoose(t *testing.T) {
	recs := map[uint64]Record{
		7: {Source: 2, Published: 100, Story: 3, Lead: lead(0, 20)},
		8: {Source: 1, Published: 100, Lead: lead(0, 20)}, // the new item's own source
		9: {Source: 2, Published: 100, Lead: lead(50, 20)},
	}
	record := func(id uint64, buf []uint32) (Record, bool) {
		r, ok := recs[id]
		r.Lead = append(buf, r.Lead...)
		return r, ok
	}
	mine := lead(0, 20)
	tests := []struct {
		name  string
		cands []Cand
		want  Match
		found bool
	}{
		{"band only", []Cand{{ID: 5, Story: 5, Distance: 2, BySim: true}}, Match{5, 5, 1 - 2.0/64}, true},
		{"closer band wins", []Cand{{ID: 5, Story: 5, Distance: 2, BySim: true}, {ID: 6, Story: 1, Distance: 1, BySim: true}}, Match{6, 1, 1 - 1.0/64}, true},
		{"tie goes to the lower ID", []Cand{{ID: 6, Story: 6, Distance: 1, BySim: true}, {ID: 5, Story: 5, Distance: 1, BySim: true}}, Match{5, 5, 1 - 1.0/64}, true},
		{"lead gives the record's story", []Cand{{ID: 7, ByLead: true}}, Match{7, 3, 1}, true},
		{"own source is no match", []Cand{{ID: 8, ByLead: true}}, Match{}, false},
		{"lead not contained", []Cand{{ID: 9, ByLead: true}}, Match{}, false},
		{"no record", []Cand{{ID: 10, ByLead: true}}, Match{}, false},
		{"lead raises a band's score", []Cand{{ID: 7, Story: 3, Distance: 3, BySim: true, ByLead: true}, {ID: 5, Story: 5, Distance: 1, BySim: true}}, Match{7, 3, 1}, true},
	}
	for _, tt := range tests {
		got, found := Choose(tt.cands, 1, 100, mine, record)
		if found != tt.found || found && got != tt.want {
			t.Errorf("%s: %+v, %v; want %+v, %v", tt.name, got, found, tt.want, tt.found)
		}
	}
	if cs := AddCand([]Cand{{ID: 7, ByLead: true}}, Cand{ID: 7, Story: 3, Distance: 2, BySim: true}); len(cs) != 1 || !cs[0].ByLead || !cs[0].BySim || cs[0].Story != 3 {
		t.Errorf("AddCand merged to %+v", cs)
	}
}

func TestWindowOf(t *testing.T) {
	if lo, hi := WindowOf(10); lo != 0 || hi != 10+uint64(Window) {
		t.Errorf("WindowOf(10) = %d, %d", lo, hi)
	}
	if _, hi := WindowOf(math.MaxUint64 - 5); hi != math.MaxUint64 {
		t.Errorf("WindowOf near the top: hi %d", hi)
	}
}
