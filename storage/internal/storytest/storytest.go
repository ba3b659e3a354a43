package storytest

import (
	"hash/fnv"
	"strings"
)

// Three unrelated stories, long enough to have a full lead.
const (
	A = `the regional council voted on tuesday to close three rural schools next year citing falling enrolment and a budget gap of four million euros while parents protested outside the council building before the vote and several councillors said they would appeal the decision to the education ministry`
	B = `a storm forced the harbour authority to close the port on wednesday as waves of six metres hit the breakwater and ferries to the islands were cancelled until further notice according to the coast guard which urged residents to stay away from the seafront until the wind drops`
	C = `in other news the city library will extend its opening hours on weekends from next month after a survey found that most visitors would like to come on sunday afternoons`
)

// Lead hashes the word 3-shingles of text, at most 62 of them, the way
// the fetcher's Lead does in spirit: any stable 32-bit hash will do for
// storage's tests.
func Lead(text string) []uint32 {
	w := strings.Fields(strings.ToLower(text))
	var out []uint32
	for i := 0; i+2 < len(w) && len(out) < 62; i++ {
		h := fnv.New32a()
		h.Write([]byte(w[i] + " " + w[i+1] + " " + w[i+2]))
		out = append(out, h.Sum32())
	}
	return out
}
