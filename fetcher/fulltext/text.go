package fulltext

import (
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// blockTags end a line of text.
var blockTags = map[string]bool{
	"p": true, "div": true, "br": true, "li": true, "ul": true, "ol": true, "h1": true, "h2": true,
	"h3": true, "h4": true, "h5": true, "h6": true, "blockquote": true, "pre": true, "table": true,
	"tr": true, "td": true, "th": true, "section": true, "article": true, "figure": true,
	"figcaption": true, "header": true, "footer": true, "aside": true, "dd": true, "dt": true,
}

// textOf is the text under n, a newline after each block, without
// scripts and styles.
func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			b.WriteString(n.Data)
			return
		case html.ElementNode:
			switch n.Data {
			case "script", "style", "noscript", "template":
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if n.Type == html.ElementNode && blockTags[n.Data] {
			b.WriteByte('\n')
		}
	}
	walk(n)
	return b.String()
}

// HTMLText is the text of an HTML fragment (or of plain text), a newline
// after each block.
func HTMLText(s string) string {
	nodes, err := html.ParseFragment(strings.NewReader(s), bodyContext())
	if err != nil {
		return s
	}
	var b strings.Builder
	for _, n := range nodes {
		b.WriteString(textOf(n))
	}
	return b.String()
}

// bodyContext is the context fragments are parsed in.
func bodyContext() *html.Node {
	return &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
}

// Words splits text into words: runs of letters, digits, marks and
// underscores.
func Words(text string) []string {
	return strings.FieldsFunc(text, notWordRune)
}

func notWordRune(r rune) bool {
	return !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || r == '_')
}

// countWords is len(Words(text)) without the slice.
func countWords(text string) int {
	n, in := 0, false
	for _, r := range text {
		w := !notWordRune(r)
		if w && !in {
			n++
		}
		in = w
	}
	return n
}

// carriesTeaser reports whether the story's text holds at least half of
// the teaser's telling words (four letters or more, any case). A teaser of
// fewer than five such words checks nothing.
func carriesTeaser(storyText, teaser string) bool {
	want := telling(HTMLText(teaser))
	if len(want) < 5 {
		return true
	}
	have := telling(storyText)
	n := 0
	for w := range want {
		if have[w] {
			n++
		}
	}
	return 2*n >= len(want)
}

// telling is the set of the text's words of four letters or more,
// lower-cased.
func telling(text string) map[string]bool {
	m := make(map[string]bool)
	for _, w := range Words(text) {
		if len([]rune(w)) >= 4 {
			m[strings.ToLower(w)] = true
		}
	}
	return m
}
