package normalize

import (
	"unicode"
	"unicode/utf8"

	"github.com/feedmill/feedmill/fetcher/boilerplate"
)

// lineText collects the text of one line for the boilerplate rules,
// white space collapsed as it is written: the same text as
// strings.Join(strings.Fields(all), " "), which is what internal/htmlblock
// gives the rules, in one reused buffer. It stops growing once it is
// longer than any line a rule removes (boilerplate.MaxLine characters).
//
// Most lines are story text that no rule can match, and the rules'
// prefix filter (anyRuleMayStart) tells so from the line's first
// bytes: then the line is marked notCruft and the rest of its text is not
// collected at all.
type lineText struct {
	b     []byte
	runes int  // characters in b
	space bool // white space seen since the last word
	// notCruft: the text starts with boilerplate.PrefixLen bytes no rule can start
	// with (b holds at least those bytes).
	notCruft bool
}

// done reports whether the rest of the line's text does not matter.
func (w *lineText) done() bool { return w.notCruft || w.runes > boilerplate.MaxLine }

func (w *lineText) reset() { w.b, w.runes, w.space, w.notCruft = w.b[:0], 0, false, false }

// asciiSpace marks the ASCII bytes unicode.IsSpace reports true for.
var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

func (w *lineText) write(s []byte) {
	for i := 0; i < len(s) && !w.done(); {
		c := s[i]
		if c < utf8.RuneSelf {
			if asciiSpace[c] {
				w.space = true
				i++
				continue
			}
			j := i + 1
			for j < len(s) && s[j] < utf8.RuneSelf && !asciiSpace[s[j]] {
				j++
			}
			w.word(s[i:j], j-i)
			i = j
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if unicode.IsSpace(r) {
			w.space = true
		} else {
			w.word(s[i:i+size], 1)
		}
		i += size
	}
}

func (w *lineText) word(s []byte, runes int) {
	first := len(w.b) < boilerplate.PrefixLen
	if w.space && len(w.b) > 0 {
		w.b = append(w.b, ' ')
		w.runes++
	}
	w.runes += runes
	w.space = false
	w.b = append(w.b, s...)
	if first && len(w.b) >= boilerplate.PrefixLen && !boilerplate.MayStart(w.b[:boilerplate.PrefixLen]) {
		w.notCruft = true
	}
}

// appendEscaped appends s to dst escaped as x/net/html escapes text and
// attribute values (& ' < > " and carriage return). The runs between those bytes are copied whole: this is the pass's hottest
// loop.
func appendEscaped(dst, s []byte) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		esc := escapes[s[i]]
		if esc == "" {
			continue
		}
		dst = append(dst, s[last:i]...)
		dst = append(dst, esc...)
		last = i + 1
	}
	return append(dst, s[last:]...)
}

// escapes maps the bytes appendEscaped escapes to their references.
var escapes = [256]string{
	'&': "&amp;", '\'': "&#39;", '<': "&lt;", '>': "&gt;", '"': "&#34;", '\r': "&#13;",
}
