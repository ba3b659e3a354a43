package normalize

import (
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// testBase is the base URL of the bodies FuzzTruncate cleans.
var testBase, _ = url.Parse("https://news.example/2024/story")

// nextItem stands for what a reader shows after an item's body on the same
// page.
const nextItem = `<p id="feedmill-next">next</p>`

// FuzzTruncate: every body as it is stored (cleaned, sanitized, then
// truncated to MaxItemBytes) is at most that long, has balanced tags,
// and parses to the same tree whatever follows it: the content after it
// (nextItem) is never taken into an element it left open.
//
//	go test -run '^$' -fuzz '^FuzzTruncate$' -fuzztime 60s ./fetcher/normalize/
func FuzzTruncate(f *testing.F) {
	for _, s := range []string{
		`<p>see <a href="/x14">the list</a> and more text here</p><p>second</p>`,
		`<div><p>Long <b>bold <i>both</i></b> text &amp; more</p><ul><li>one<li>two</ul></div>`,
		`<table><tr><td>a<td>b</tr></table><p>after`,
		`<p>a<br>b<img src="https://ok.example/i.png" alt="x">c</p>`,
		`<blockquote><p>quoted &eacute;t&eacute; €€€</p></blockquote>`,
		`<b><p>misnested</b></p><i>open`,
		`<pre>  code &lt;x&gt;  </pre><figure><img src="/a.png"><figcaption>cap</figcaption></figure>`,
		`plain text with a < b and & c`,
	} {
		for _, n := range []int{1, 8, 20, 33, 60, 1000} {
			f.Add(s, n)
		}
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max <= 0 || max > 1<<16 {
			return
		}
		var rules []string
		stored := truncateHTML(cleanedBody(s, testBase, &rules), max)
		if len(stored) > max {
			t.Fatalf("%d bytes, max %d: %q", len(stored), max, stored)
		}
		checkBalanced(t, stored)
		alone, followed := fragmentHTML(t, stored), fragmentHTML(t, stored+nextItem)
		if !strings.HasSuffix(followed, nextItem) || strings.TrimSuffix(followed, nextItem) != alone {
			t.Fatalf("what follows %q is taken in:\nalone:    %q\nfollowed: %q", stored, alone, followed)
		}
	})
}

// checkBalanced fails unless every element of s but the void ones is
// closed, innermost first.
func checkBalanced(t *testing.T, s string) {
	t.Helper()
	var open []string
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			if len(open) > 0 {
				t.Fatalf("%q leaves %v open", s, open)
			}
			return
		case html.StartTagToken:
			name, _ := z.TagName()
			if !voidElements[atom.Lookup(name)] {
				open = append(open, string(name))
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if len(open) == 0 || open[len(open)-1] != string(name) {
				t.Fatalf("%q: </%s> closes %v", s, name, open)
			}
			open = open[:len(open)-1]
		}
	}
}

// fragmentHTML parses s as the content of a <div> and writes the tree
// back.
func fragmentHTML(t *testing.T, s string) string {
	t.Helper()
	ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(s), ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, n := range nodes {
		if err := html.Render(&b, n); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}
