package fetcher

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// FuzzTagAtom: the cleaning pass reads tag names from the raw token as
// x/net/html's TagName does.
func FuzzTagAtom(f *testing.F) {
	f.Add("<IMG src=x><p/><br/ ></DIV \n><a\thref=1><blockquote\f><x-y><ïmg>")
	f.Fuzz(func(t *testing.T, s string) {
		c := &cleaner{z: html.NewTokenizer(strings.NewReader(s))}
		z := html.NewTokenizer(strings.NewReader(s))
		for {
			tt := c.z.Next()
			z.Next()
			switch tt {
			case html.ErrorToken:
				return
			case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
				name, _ := z.TagName()
				if got, want := c.tagAtom(), atom.Lookup(name); got != want {
					t.Fatalf("%q: tagAtom %v, TagName %q", c.z.Raw(), got, name)
				}
			}
		}
	})
}

// TestCleanLines: lines and blocks are removed as htmlblock's
// RemoveLines removes them, in the structures the single pass must
// follow by hand.
func TestCleanLines(t *testing.T) {
	base, _ := url.Parse("https://news.example/2025/story.html")
	tests := []struct {
		name, in, want string
		rules          []string
	}{
		{"nested emptied blocks", `<div><section><p>Related: x</p></section></div><p>Body.</p>`, `<p>Body.</p>`, []string{"related"}},
		{"block kept for its image", `<div><img src="/a.jpg"><br>Read more: x</div>`, `<div><img src="https://news.example/a.jpg"/><br/></div>`, []string{"read-more"}},
		{"an image in a cruft line goes with it", `<p>Read more:<img src="/a.jpg"></p>`, ``, []string{"read-more"}},
		{"line of inline elements", `<p><em>Read</em> <strong>more:</strong> <a href="/x">x</a></p><p>Kept.</p>`, `<p>Kept.</p>`, []string{"read-more"}},
		{"br inside an inline element is part of the line", `<p><span>Story<br>Read more: x</span></p>`, `<p><span>Story<br/>Read more: x</span></p>`, nil},
		{"line after the last br", `Story text.<br>Share on Facebook`, `Story text.<br/>`, []string{"share-buttons"}},
		{"unclosed inline in a removed line", `<p>Related: <b>x</p><p>Kept</p>`, `<p>Kept</p>`, []string{"related"}},
		{"long line never cruft", `<p>Read more: ` + strings.Repeat("word ", 80) + `</p>`, `<p>Read more: ` + strings.Repeat("word ", 80) + `</p>`, nil},
		{"whitespace between blocks stays", "<p>A</p>\n<p>B</p>", "<p>A</p>\n<p>B</p>", nil},
		{"text in a dropped element joins the line", `<p><font>Don't miss:</font> the quiz</p><p>x</p>`, `<p>x</p>`, []string{"dont-miss"}},
		{"script text is not line text", `<p><script>var a;</script>Related: x</p><p>y</p>`, `<p>y</p>`, []string{"related"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rules []string
			got := cleanBody(tt.in, base, &rules)
			if got != tt.want {
				t.Errorf("cleanBody(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if !slices.Equal(rules, tt.rules) {
				t.Errorf("rules %v, want %v", rules, tt.rules)
			}
			checkOracle(t, tt.in, got)
		})
	}
}

// An embed is kept only when its path stays in the player's folder once a
// browser resolves it.
func TestEmbedPathStaysInPlayer(t *testing.T) {
	for _, tt := range []struct {
		src  string
		kept bool
	}{
		{"https://www.youtube.com/embed/abc123", true},
		{"https://player.vimeo.com/video/42/", true},
		{"https://www.youtube.com/embed/x/../../watch", false},
		{"https://www.youtube.com/embed/./x", false},
		{"https://www.youtube.com/embed/x/%2e%2e/%2e%2e/evil", false},
		{"https://www.youtube.com/embed/x%2F..%2Fevil", false},
	} {
		var rules []string
		out := cleanBody(`<p>a</p><iframe src="`+tt.src+`"></iframe>`, nil, &rules)
		if kept := strings.Contains(out, "<iframe"); kept != tt.kept {
			t.Errorf("%s: kept = %v, want %v (%s)", tt.src, kept, tt.kept, out)
		}
	}
}

// The pixel test judges the image as written: a size the writer drops
// counts as unknown, and a host is matched without its trailing dot.
func TestPixelsAsWritten(t *testing.T) {
	for _, tt := range []struct {
		img  string
		kept bool
	}{
		{`<img src="https://example.org/a.jpg" width="600" height="400">`, true},
		{`<img src="https://example.org/p.gif" width="x" height="1">`, false},
		{`<img src="https://example.org/p.gif" width="1" height="1">`, false},
		{`<img src="https://example.org/p.gif" width="1px" height="1px">`, false},
		{`<img src="https://example.org/p.gif" width="100%" height="1">`, true},
		{`<img src="https://PIXEL.wp.com./g.gif">`, false},
	} {
		var rules []string
		out := cleanBody(`<p>story text</p>`+tt.img, nil, &rules)
		if kept := strings.Contains(out, "<img"); kept != tt.kept {
			t.Errorf("%s: kept = %v, want %v (%s)", tt.img, kept, tt.kept, out)
		}
	}
}
