package htmlblock

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func TestRemoveFrom(t *testing.T) {
	cruft := func(s string) bool { return strings.HasPrefix(s, "CRUFT") }
	tests := []struct {
		name, in, want string
		n              int
	}{
		{"nothing matches: bytes kept", "<p>a  <b>b</b></p>", "<p>a  <b>b</b></p>", 0},
		{"paragraph", "<p>a</p><p>CRUFT <a href=\"x\">y</a></p><p>b</p>", "<p>a</p><p>b</p>", 1},
		{"line between br", "a<br>CRUFT y<br>b", "a<br/>b", 1},
		{"last line", "a<br>CRUFT", "a<br/>", 1},
		{"nested block emptied", "<div><div><p>CRUFT</p></div></div><p>a</p>", "<p>a</p>", 1},
		{"block with image kept", "<div><p>CRUFT</p><img src=\"i.png\"></div>", "<div><img src=\"i.png\"/></div>", 1},
		{"only whole lines", "<p>text CRUFT</p>", "<p>text CRUFT</p>", 0},
		{"plain text lines", "a\nCRUFT &amp; more\nb", "a\nb", 1},
		{"list items", "<ul><li>CRUFT 1</li><li>keep</li></ul>", "<ul><li>keep</li></ul>", 1},
		{"broken markup", "<p>a<p>CRUFT<div>b", "<p>a</p><div>b</div>", 1},
	}
	for _, tt := range tests {
		got, n := RemoveFrom(tt.in, cruft)
		if got != tt.want || n != tt.n {
			t.Errorf("%s: RemoveFrom(%q) = %q, %d; want %q, %d", tt.name, tt.in, got, n, tt.want, tt.n)
		}
	}
}

func TestText(t *testing.T) {
	f, err := Parse("<p>soft<b>ware</b></p><p>two</p>x<br>y<script>no()</script>")
	if err != nil {
		t.Fatal(err)
	}
	if got := Text(f.Root); got != "software two x y" {
		t.Errorf("Text = %q", got)
	}
}

// textCases are texts whose white space Text must collapse as
// strings.Fields does (Unicode spaces, invalid UTF-8, NEL, NBSP).
var textCases = []string{
	"", " ", "a", "  a  b\t\nc ", "a\u00a0b", "a\u0085b", "a\u2003 b\u3000", "\xffa \xfe",
	"x\u200bb", "\r\n\v\fz", "ü  ö", "a\x00b",
}

func TestTextCollapsesLikeFields(t *testing.T) {
	for _, s := range textCases {
		if got, want := Text(&html.Node{Type: html.TextNode, Data: s}), strings.Join(strings.Fields(s), " "); got != want {
			t.Errorf("Text(%q) = %q, want %q", s, got, want)
		}
	}
}

// FuzzText: Text of markup equals the white-space-collapsed
// concatenation of what it writes, one pass or not.
func FuzzText(f *testing.F) {
	for _, s := range textCases {
		f.Add(s)
	}
	f.Add("<p>soft<b>ware</b></p><p>two</p>x<br>y")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Text(&html.Node{Type: html.TextNode, Data: s}), strings.Join(strings.Fields(s), " "); got != want {
			t.Errorf("Text(%q) = %q, want %q", s, got, want)
		}
		fr, err := Parse(s)
		if err != nil {
			return
		}
		got := Text(fr.Root)
		if got != strings.Join(strings.Fields(got), " ") {
			t.Errorf("Text(Parse(%q)) = %q: white space not collapsed", s, got)
		}
		_, _ = RemoveFrom(s, func(line string) bool { return strings.HasPrefix(line, "a") })
	})
}
