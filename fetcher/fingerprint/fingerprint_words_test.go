package fingerprint

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzWordHashes: the table-driven wordHashes gives the same words as the
// byte-by-byte version it replaced (wordHashesOld, kept here), for text
// and for markup, under a word limit.
//
//	go test -run '^$' -fuzz '^FuzzWordHashes$' -fuzztime 30s ./fetcher/
func FuzzWordHashes(f *testing.F) {
	f.Add("<p>Tom &amp; Jerry&#39;s <b>show</b> ÉTÉ 2024 — naïve café</p>", 5)
	f.Add("a&b c&#34;d &unterminated; x<y z>w", 100)
	f.Add("Ünïcödé ΣΊΣΥΦΟΣ 日本語 text", 3)
	f.Fuzz(func(t *testing.T, s string, limit int) {
		limit = max(limit%64, 0) + 1
		for _, markup := range []bool{false, true} {
			got := wordHashes(nil, s, limit, markup)
			want := wordHashesOld(nil, s, limit, markup)
			if !slices.Equal(got, want) {
				t.Errorf("wordHashes(%q, %d, %v): %d words, the old one %d", s, limit, markup, len(got), len(want))
			}
		}
	})
}

// wordHashesOld is the byte-by-byte word hasher, kept as the fuzz test's
// oracle: it computes the expected words independently of the table.
func wordHashesOld(dst []uint64, s string, limit int, markup bool) []uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h, in := uint64(offset), false
	end := func() bool {
		if in {
			if len(dst) == limit {
				return false
			}
			dst = append(dst, h)
			h, in = offset, false
		}
		return true
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			h = (h ^ uint64(c)) * prime
			in = true
			i++
			continue
		case c >= 'A' && c <= 'Z':
			h = (h ^ uint64(c+'a'-'A')) * prime
			in = true
			i++
			continue
		case markup && c == '<':
			if !end() {
				return dst
			}
			if k := strings.IndexByte(s[i:], '>'); k >= 0 {
				i += k + 1
			} else {
				i = len(s)
			}
			continue
		case markup && c == '&':
			if k := strings.IndexByte(s[i:min(i+10, len(s))], ';'); k > 0 {
				i += k + 1
			} else {
				i++
			}
			if !end() {
				return dst
			}
			continue
		case c < utf8.RuneSelf:
			if !end() {
				return dst
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			var buf [utf8.UTFMax]byte
			for _, b := range buf[:utf8.EncodeRune(buf[:], unicode.ToLower(r))] {
				h = (h ^ uint64(b)) * prime
			}
			in = true
		} else if !end() {
			return dst
		}
	}
	end()
	return dst
}
