package fingerprint

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Fingerprints for near-duplicate detection across sources (storage's
// dedup.go indexes and compares them; its doc comment gives the thresholds).
// Both are computed once at ingest from the CLEANED text (boilerplate
// removed), over words: letters and digits, lower-cased; everything else
// separates words.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211

	// leadWords is how many words of the body's opening Item.Lead covers.
	leadWords = 64
	// minSimShingles is the fewest shingles that give a SimHash.
	minSimShingles = 16
	// maxFingerprintWords bounds the work on a very long body.
	maxFingerprintWords = 5000
)

// Of returns the fingerprint of a story: a 64-bit SimHash over the word
// 3-shingles of title and body (0: text too short), and the 32-bit hashes
// of the word 3-shingles of the body's first leadWords words, in order
// (Item.Fingerprint and Item.Lead). body is sanitized HTML (tags and
// character references separate words); title is plain text.
func Of(title, body string) (simhash uint64, lead []uint32) {
	buf := wordBufs.Get().(*[]uint64)
	t := wordHashes((*buf)[:0], title, maxFingerprintWords, false)
	words := wordHashes(t[len(t):], body, maxFingerprintWords, true)
	simhash = simHash(t, words)
	lead = leadHashes(words[:min(len(words), leadWords)])
	if cap(words) > cap(*buf) {
		*buf = words[:0] // grown: keep the larger one
	}
	if cap(*buf) <= 4*maxFingerprintWords {
		wordBufs.Put(buf)
	}
	return simhash, lead
}

// wordBufs holds the word-hash buffers of Of (a 20 KB body
// has some 3,000 words: 24 KB a buffer, for every item), which keeps
// nothing of them (leadHashes copies).
var wordBufs = sync.Pool{New: func() any { b := make([]uint64, 0, 1024); return &b }}

// wordHashes appends the 64-bit FNV-1a hash of each word of s (at most
// limit words) to dst. With markup set, s is sanitized HTML (fetcher/sanitize):
// tags and character references separate words and are skipped — the
// sanitizer leaves only &amp; &lt; &gt; &#39; &#34; &#13; in text, none
// of them letters. One pass, no allocation but dst: this runs on every
// item. ASCII bytes are classified by a table (wordByte), the common case
// of news text; the rest is decoded as runes.
func wordHashes(dst []uint64, s string, limit int, markup bool) []uint64 {
	h, in := uint64(fnvOffset), false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if l := wordByte[c]; l != 0 {
				// A run of ASCII word bytes, in a tight loop: FNV's
				// multiply chain is the only cost left.
				for {
					h = (h ^ uint64(l)) * fnvPrime
					if i++; i == len(s) {
						break
					}
					if l = wordByte[s[i]]; l == 0 {
						break
					}
				}
				in = true
				continue
			}
			// A separator: ends the word, if any.
			if in {
				if len(dst) == limit {
					return dst
				}
				dst = append(dst, h)
				h, in = fnvOffset, false
			}
			i++
			if markup {
				switch c {
				case '<':
					if k := strings.IndexByte(s[i:], '>'); k >= 0 {
						i += k + 1
					} else {
						i = len(s)
					}
				case '&':
					if k := strings.IndexByte(s[i:min(i+9, len(s))], ';'); k >= 0 {
						i += k + 1
					}
				}
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			var buf [utf8.UTFMax]byte
			for _, b := range buf[:utf8.EncodeRune(buf[:], unicode.ToLower(r))] {
				h = (h ^ uint64(b)) * fnvPrime
			}
			in = true
		} else if in {
			if len(dst) == limit {
				return dst
			}
			dst = append(dst, h)
			h, in = fnvOffset, false
		}
	}
	if in && len(dst) < limit {
		dst = append(dst, h)
	}
	return dst
}

// wordByte maps the ASCII bytes that belong to words (letters and digits)
// to their lower-case form, every other byte (non-ASCII ones too: they
// are decoded as runes) to 0.
var wordByte = func() (t [256]byte) {
	for c := byte('0'); c <= '9'; c++ {
		t[c] = c
	}
	for c := byte('a'); c <= 'z'; c++ {
		t[c] = c
		t[c-'a'+'A'] = c
	}
	return t
}()

// shingle combines three word hashes into the hash of the 3-shingle.
func shingle(a, b, c uint64) uint64 {
	h := a*0x9e3779b97f4a7c15 ^ (b*0xc2b2ae3d27d4eb4f+c)*0x165667b19e3779f9
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 32
	return h
}

// simHash is the SimHash over the 3-shingles of the title's words and of
// the body's words (shingles do not span the two). 0 means too few
// shingles; a SimHash that happens to be 0 becomes 1.
func simHash(title, body []uint64) uint64 {
	n := max(len(title)-2, 0) + max(len(body)-2, 0)
	if n < minSimShingles {
		return 0
	}
	// Bit-sliced counting: acc[j] holds 8 byte-wide counters, for bits j,
	// j+8, j+16, ... of the shingles added since the last flush.
	var counts [64]int
	var acc [8]uint64
	pending := 0
	const ones = 0x0101010101010101
	flush := func() {
		for j := range 8 {
			for k := range 8 {
				counts[k*8+j] += int(acc[j] >> (8 * k) & 0xff)
			}
			acc[j] = 0
		}
		pending = 0
	}
	add := func(words []uint64) {
		for i := 0; i+2 < len(words); i++ {
			h := shingle(words[i], words[i+1], words[i+2])
			for j := range 8 {
				acc[j] += h >> j & ones
			}
			if pending++; pending == 255 {
				flush()
			}
		}
	}
	add(title)
	add(body)
	flush()
	var fp uint64
	for bit, c := range counts {
		if 2*c > n {
			fp |= 1 << bit
		}
	}
	if fp == 0 {
		fp = 1
	}
	return fp
}

// leadHashes are the 32-bit hashes of the 3-shingles of words, in order.
func leadHashes(words []uint64) []uint32 {
	if len(words) < 3 {
		return nil
	}
	out := make([]uint32, 0, len(words)-2)
	for i := 0; i+2 < len(words); i++ {
		out = append(out, uint32(shingle(words[i], words[i+1], words[i+2])>>32))
	}
	return out
}
