package boilerplate

import (
	"regexp/syntax"
	"unicode"
	"unicode/utf8"
)

// A second filter in front of the boilerplate rules: the ways a match can
// begin, up to PrefixLen bytes. The first-byte filter (ruleStarts) lets
// most story paragraphs through, since the rules start with words that
// cover most of the alphabet (read, see, share, the, watch...); the first
// few bytes ("the post", "read more") stop nearly all of them, and a
// regexp run that fails costs a clear of the backtracker's state
// proportional to the line's length. Like ruleStarts it is derived from
// the patterns and errs on the side of "may match": anything it does not
// understand allows every byte from there on, and a non-ASCII byte in the
// line always may match (FuzzCruftRule and FuzzLineFilter compare with
// the unfiltered rules).

// PrefixLen is how many bytes of a line the filter looks at.
const PrefixLen = 8

// byteSet is a set of ASCII bytes.
type byteSet [2]uint64

func (s *byteSet) add(c rune) {
	// A non-ASCII character needs no bit: at a non-ASCII byte of a line
	// the filter stops and lets the line through (mayStartWith).
	if c >= 0 && c < utf8.RuneSelf {
		s[c/64] |= 1 << (c % 64)
	}
}

func (s *byteSet) has(c byte) bool { return s[c/64]&(1<<(c%64)) != 0 }

// anyByteSet holds every byte.
var anyByteSet = byteSet{^uint64(0), ^uint64(0)}

// prefix is a way a match can begin: the sets of its first bytes. open
// means the sub-pattern may end after them, so what follows it supplies
// the next bytes; a prefix that is not open says nothing of the bytes
// after its sets.
type prefix struct {
	sets []byteSet
	open bool
}

// wildcard is "anything": the answer for what is not understood.
var wildcard = []prefix{{}}

// maxPrefixes bounds the work on a pattern with many alternatives: past
// it, prefixes are merged (widen).
const maxPrefixes = 64

// rulePrefixes[i] are the prefixes of boilerplateRules[i]; nil: no filter.
var rulePrefixes = func() [][]prefix {
	out := make([][]prefix, len(boilerplateRules))
	for i, r := range boilerplateRules {
		out[i] = rulePrefixesOf(r.re.String())
	}
	return out
}()

// rulePrefixesOf returns the prefixes of an anchored pattern, or nil.
func rulePrefixesOf(expr string) []prefix {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil || !anchored(re) {
		return nil
	}
	return prefixesOf(re)
}

// mayStartWith reports whether rule i may match a line that starts with
// b (all of the line when it is shorter than PrefixLen).
func mayStartWith(i int, b []byte) bool {
	ps := rulePrefixes[i]
	if ps == nil {
		return true
	}
next:
	for _, p := range ps {
		for j, s := range p.sets {
			// A non-ASCII byte may be a character that folds to an ASCII
			// one (K, the Kelvin sign, matches k): the positions after it
			// no longer line up with the pattern's.
			if j >= len(b) || b[j] >= utf8.RuneSelf {
				break
			}
			if !s.has(b[j]) {
				continue next
			}
		}
		return true
	}
	return false
}

// MayStart reports whether some rule may match a line that starts
// with b.
func MayStart(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	for i := range boilerplateRules {
		if ruleFirst[i].mayStart(b[0]) && mayStartWith(i, b) {
			return true
		}
	}
	return false
}

// prefixesOf returns the ways a match of re can begin.
func prefixesOf(re *syntax.Regexp) []prefix {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return []prefix{{open: true}}
	case syntax.OpLiteral:
		var sets []byteSet
		for _, r := range re.Rune {
			if len(sets) == PrefixLen {
				return []prefix{{sets: sets}}
			}
			var s byteSet
			s.add(r)
			if re.Flags&syntax.FoldCase != 0 {
				for c := unicode.SimpleFold(r); c != r; c = unicode.SimpleFold(c) {
					s.add(c)
				}
			}
			sets = append(sets, s)
			if r >= utf8.RuneSelf { // several bytes: nothing known after them
				return []prefix{{sets: sets}}
			}
		}
		return []prefix{{sets: sets, open: true}}
	case syntax.OpCharClass:
		var s byteSet
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for c := re.Rune[i]; c <= min(re.Rune[i+1], utf8.RuneSelf-1); c++ {
				s.add(c)
			}
		}
		return []prefix{{sets: []byteSet{s}, open: true}}
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return []prefix{{sets: []byteSet{anyByteSet}, open: true}}
	case syntax.OpCapture:
		return prefixesOf(re.Sub[0])
	case syntax.OpAlternate:
		var out []prefix
		for _, sub := range re.Sub {
			out = append(out, prefixesOf(sub)...)
			if len(out) > maxPrefixes {
				out = widen(out)
			}
		}
		return out
	case syntax.OpConcat:
		out := []prefix{{open: true}}
		for _, sub := range re.Sub {
			out = concatPrefixes(out, prefixesOf(sub))
			if len(out) > maxPrefixes {
				out = widen(out)
			}
		}
		return out
	case syntax.OpQuest:
		return append([]prefix{{open: true}}, prefixesOf(re.Sub[0])...)
	case syntax.OpStar:
		return starPrefixes(re.Sub[0])
	case syntax.OpPlus:
		return concatPrefixes(prefixesOf(re.Sub[0]), starPrefixes(re.Sub[0]))
	case syntax.OpRepeat:
		if re.Min == 0 {
			return starPrefixes(re.Sub[0])
		}
		return concatPrefixes(prefixesOf(re.Sub[0]), starPrefixes(re.Sub[0]))
	}
	return wildcard
}

// starPrefixes are the prefixes of x*: nothing, or x once and then
// anything (more of x, or what follows: wider than the truth, never
// narrower).
func starPrefixes(x *syntax.Regexp) []prefix {
	return append([]prefix{{open: true}}, concatPrefixes(prefixesOf(x), wildcard)...)
}

// concatPrefixes returns the prefixes of a followed by b.
func concatPrefixes(a, b []prefix) []prefix {
	var out []prefix
	for _, x := range a {
		if !x.open || len(x.sets) >= PrefixLen {
			out = append(out, prefix{sets: x.sets})
			continue
		}
		for _, y := range b {
			sets := append(append(make([]byteSet, 0, len(x.sets)+len(y.sets)), x.sets...), y.sets...)
			open := y.open
			if len(sets) >= PrefixLen {
				sets, open = sets[:PrefixLen], false
			}
			out = append(out, prefix{sets: sets, open: open})
		}
	}
	return out
}

// widen merges prefixes that start with the same set into one: the
// position-wise union of their sets, as long as the shortest of them,
// saying nothing of the bytes after. Every line one of them lets through
// still gets through, only more with it.
func widen(ps []prefix) []prefix {
	var out []prefix
	index := map[byteSet]int{}
	for _, p := range ps {
		if len(p.sets) == 0 {
			out = append(out, p) // nothing (open) or anything (not open): kept as it is
			continue
		}
		i, ok := index[p.sets[0]]
		if !ok {
			index[p.sets[0]] = len(out)
			out = append(out, prefix{sets: append([]byteSet(nil), p.sets...)})
			continue
		}
		q := &out[i]
		q.sets = q.sets[:min(len(q.sets), len(p.sets))]
		for j := range q.sets {
			q.sets[j][0] |= p.sets[j][0]
			q.sets[j][1] |= p.sets[j][1]
		}
	}
	return out
}
