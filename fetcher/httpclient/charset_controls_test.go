package httpclient

import (
	"bytes"
	"testing"
)

func TestHasBadControl(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"", false},
		{"plain text", false},
		{"tabs\tnew\nlines\r\n and more text past eight bytes", false},
		{"\x00", true},
		{"seven b\x01", true},
		{"exactly eight bytes then\x1f", true},
		{"ünïcödé \u0080\u009f is not C0", false},
		{"\x7f DEL is allowed", false},
	} {
		if got := HasBadControl([]byte(tt.in)); got != tt.want {
			t.Errorf("hasBadControl(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// FuzzHasBadControl compares the word-at-a-time scan with the rune scan
// it replaced.
func FuzzHasBadControl(f *testing.F) {
	f.Add([]byte("<rss>\n\t<item>\x0b</item></rss>"))
	f.Add([]byte("ü\x1b"))
	f.Fuzz(func(t *testing.T, b []byte) {
		b = bytes.ToValidUTF8(b, []byte("\uFFFD"))
		want := bytes.IndexFunc(b, IsBadControl) >= 0
		if got := HasBadControl(b); got != want {
			t.Fatalf("hasBadControl(%q) = %v, want %v", b, got, want)
		}
	})
}
