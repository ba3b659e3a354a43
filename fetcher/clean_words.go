package fetcher

import (
	"unicode"
	"unicode/utf8"
)

// The fingerprint's words of a cleaned HTML body (fingerprint.go), taken
// by the cleaning pass (clean.go) as it writes the body instead of by a
// second pass over what it wrote: the same FNV-1a hashes that
// wordHashes(out, maxFingerprintWords, true) gives over the finished
// output, which FuzzCleanWords checks.
//
// The pass feeds the hasher exactly what makes the output's words: the
// text it writes (the escapes it writes for & ' < > " and CR are
// separators to wordHashes, as the raw bytes are here), a separator for
// every tag it writes, and nothing for what it drops (a dropped tag
// between two pieces of text joins them into one word, as in the
// output). When it cuts output again (a boilerplate line, a block
// emptied by removals) it puts the hasher back where it was when that
// output began: removals only ever cut the output's tail.
//
// A text that is not valid UTF-8 could end a token halfway through a
// character that the output completes; the hasher then gives up (bad),
// and the words are taken from the output as before.
type wordHasher struct {
	words []uint64
	h     uint64
	in    bool // inside a word
	bad   bool // met invalid UTF-8: the words are not to be trusted
}

// wordMark is a hasher's state, to go back to.
type wordMark struct {
	n  int
	h  uint64
	in bool
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func (w *wordHasher) reset(words []uint64) {
	*w = wordHasher{words: words[:0], h: fnvOffset}
}

func (w *wordHasher) mark() wordMark { return wordMark{len(w.words), w.h, w.in} }

func (w *wordHasher) undo(m wordMark) {
	w.words, w.h, w.in = w.words[:m.n], m.h, m.in
}

// sep ends the word in progress, if any (a tag was written).
func (w *wordHasher) sep() {
	if w.in {
		if len(w.words) < maxFingerprintWords {
			w.words = append(w.words, w.h)
		}
		w.h, w.in = fnvOffset, false
	}
}

// text hashes the text s as it is written to the output, and writes it:
// appended to dst escaped as appendEscaped (clean_text.go) does, in the
// same loop: letters and digits, most of the text, never need escaping,
// so only the separators are looked up in escapes, and the runs between
// escapes are copied whole.
func (w *wordHasher) text(dst, s []byte) []byte {
	h, in := w.h, w.in
	last := 0 // s[last:] is still to be written
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if l := wordByte[c]; l != 0 {
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
			if in {
				if len(w.words) < maxFingerprintWords {
					w.words = append(w.words, h)
				}
				h, in = fnvOffset, false
			}
			if esc := escapes[c]; esc != "" {
				dst = append(dst, s[last:i]...)
				dst = append(dst, esc...)
				last = i + 1
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			w.bad = true
		}
		i += size
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			var buf [utf8.UTFMax]byte
			for _, b := range buf[:utf8.EncodeRune(buf[:], unicode.ToLower(r))] {
				h = (h ^ uint64(b)) * fnvPrime
			}
			in = true
		} else if in {
			if len(w.words) < maxFingerprintWords {
				w.words = append(w.words, h)
			}
			h, in = fnvOffset, false
		}
	}
	w.h, w.in = h, in
	return append(dst, s[last:]...)
}

// finish ends the last word and returns the words.
func (w *wordHasher) finish() []uint64 {
	w.sep()
	return w.words
}
