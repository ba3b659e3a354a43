package normalize

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// FuzzAppendEscaped: appendEscaped writes what html.EscapeString does.
//
//	go test -run '^$' -fuzz '^FuzzAppendEscaped$' -fuzztime 60s ./fetcher/
func FuzzAppendEscaped(f *testing.F) {
	f.Add("a&b<c>d\"e'f\rg\x00h é")
	f.Add("Tom & Jerry's \"show\" <b> ÉTÉ 2024 — naïve café\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		want := html.EscapeString(s)
		if got := string(appendEscaped(nil, []byte(s))); got != want {
			t.Errorf("appendEscaped(%q) = %q, want %q", s, got, want)
		}
	})
}

// FuzzLineText: lineText collects the text htmlblock gives the rules,
// strings.Join(strings.Fields(s), " "), up to boilerplate.MaxLine characters, in
// chunks of any size (cut at character boundaries, as text tokens are).
func FuzzLineText(f *testing.F) {
	f.Add("  Read\tmore:\u00a0 the  story ", 3)
	f.Add(strings.Repeat("word ", 100), 7)
	f.Fuzz(func(t *testing.T, s string, chunk int) {
		chunk = max(chunk%32, 0) + 1
		var w lineText
		for i := 0; i < len(s); {
			j := min(i+chunk, len(s))
			for j < len(s) && !utf8.RuneStart(s[j]) {
				j++
			}
			w.write([]byte(s[i:j]))
			i = j
		}
		want := strings.Join(strings.Fields(s), " ")
		got := string(w.b)
		if w.done() {
			if !strings.HasPrefix(want, got) {
				t.Errorf("lineText(%q) = %q (done), not a prefix of %q", s, got, want)
			}
			return
		}
		if got != want {
			t.Errorf("lineText(%q) = %q, want %q", s, got, want)
		}
	})
}

// FuzzHasControls: the word-at-a-time hasControls answers as a plain byte
// loop does.
func FuzzHasControls(f *testing.F) {
	f.Add("plain text, long enough for a word or two\n\tand a tab")
	f.Add("0123456\u0085tail")
	f.Add("01234567\x01")
	f.Fuzz(func(t *testing.T, s string) {
		s = strings.ToValidUTF8(s, "\uFFFD")
		want := false
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0xC2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9F {
				want = true
			}
		}
		if got := hasControls(s); got != want {
			t.Errorf("hasControls(%q) = %v, want %v", s, got, want)
		}
	})
}
