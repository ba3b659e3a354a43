package normalize

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
			got := cleanedBody(tt.in, base, &rules)
			if got != tt.want {
				t.Errorf("cleanedBody(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if !slices.Equal(rules, tt.rules) {
				t.Errorf("rules %v, want %v", rules, tt.rules)
			}
			checkSanitized(t, tt.in, got)
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
		out := cleanedBody(`<p>a</p><iframe src="`+tt.src+`"></iframe>`, nil, &rules)
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
		out := cleanedBody(`<p>story text</p>`+tt.img, nil, &rules)
		if kept := strings.Contains(out, "<img"); kept != tt.kept {
			t.Errorf("%s: kept = %v, want %v (%s)", tt.img, kept, tt.kept, out)
		}
	}
}

// plainURLCases: URLs fastURL must judge as cleanURL does.
var plainURLCases = []string{
	"https://www.theguardian.com/world/2024/jan/31/a-story",
	"http://example.com", "https://example.com/", "https://example.com//x//",
	"https://EXAMPLE.com/x", "HTTPS://example.com/x", "https://example.com:443/x",
	"https://example.com:8080/x", "https://user@example.com/x", "https://example.com/x?utm_source=rss",
	"https://example.com/x#frag", "https://example.com/a%20b", "https://example.com/a%2", "https://example.com/a%zz",
	"https://example.com/a%2Fb%2fc%00%7E", "https://example.com/a b", "https://example.com/(x)*!'$&+,;=:@~",
	"https://example.com/x/../y", "https://example.com/.", "https://./x", "https://-/x", "https://x..y/",
	"https://example.com/ä", "https://example.com/a\\b", "https://example.com/a|b", "https://example.com/{x}",
	"https://example.com/[x]", "https://example.com/x\x7f", "https:///x", "http://", "https://",
	"https://example.com/*", "https://1.2.3.4/x", "https://example.com/%25", "https://example.com/x?",
	"https://xn--bcher-kva.example/", "https://example.com/\"x\"", "https://example.com/<x>",
	"https://example.com?a=1", "https://example.com/x?a=1&utm_source=rss&b=2", "https://example.com/x?utm_source=rss",
	"https://example.com/x?&&", "https://example.com/x?a?b", "https://example.com/x?a=%zz", "https://example.com/x?a=1#f",
	"https://example.com/x?a=<\">", "https://example.com/x?a= b", "https://example.com/x?fbclid=1",
	"/", "/world?utm_source=rss", "/world", "//host/x", "/a//b", "/a/./b", "/a/../b", "/a/.", "/.well-known/x",
	"/a?", "/a?&", "/a?x=1&utm_medium=feed", "/a:b", "/a%2e%2E/b", "/a?x#y", "x/y", "x", "?q=1", "#frag", "",
	"mailto:x@example.com", "javascript:alert(1)", "/a b", "/ä",
}

var plainURLBases = []string{
	"https://www.theguardian.com/world/2024/story", "http://news.example", "https://News.Example/x",
	"https://news.example:8443/x", "https://u@news.example/x", "ftp://news.example/x", "/relative", "https://news.example./x",
}

func checkFastURL(t *testing.T, v string, base *url.URL) {
	t.Helper()
	for _, link := range []bool{true, false} {
		c := &cleaner{base: base}
		u, ok, known := c.fastURL([]byte(v), link)
		if !known {
			continue
		}
		want, wantOK := cleanURL(v, base, link)
		if ok != wantOK || ok && string(u) != want {
			t.Errorf("fastURL(%q, base %v, link=%v) = %q, %v; cleanURL: %q, %v", v, base, link, u, ok, want, wantOK)
		}
	}
}

func TestFastURL(t *testing.T) {
	known := 0
	for _, b := range append(plainURLBases, "") {
		base, _ := url.Parse(b)
		if b == "" {
			base = nil
		}
		for _, v := range plainURLCases {
			checkFastURL(t, v, base)
			if _, _, k := (&cleaner{base: base}).fastURL([]byte(v), true); k {
				known++
			}
		}
	}
	if known < 50 {
		t.Errorf("fastURL knows only %d cases", known)
	}
}

// FuzzFastURL: whatever fastURL answers, cleanURL answers too.
//
//	go test -run '^$' -fuzz '^FuzzFastURL$' -fuzztime 60s ./fetcher/
func FuzzFastURL(f *testing.F) {
	for _, v := range plainURLCases {
		f.Add(v, plainURLBases[0])
	}
	for _, b := range plainURLBases {
		f.Add("/world?utm_source=rss", b)
	}
	f.Fuzz(func(t *testing.T, v, b string) {
		base, err := url.Parse(b)
		if err != nil {
			return
		}
		checkFastURL(t, v, base)
		checkFastURL(t, v, nil)
		checkFastURL(t, "https://example.com/"+v, base)
		checkFastURL(t, "/"+v, base)
	})
}
