package htmlblock

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Fragment is a parsed HTML fragment (as in a feed item's body).
type Fragment struct {
	// Root is the <body> element that holds the fragment's nodes.
	Root *html.Node
}

// Parse parses an HTML fragment in a <body> context. It never fails on
// ill-formed markup (the HTML5 algorithm repairs it).
func Parse(s string) (*Fragment, error) {
	body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(s), body)
	if err != nil {
		return nil, err
	}
	for _, n := range nodes {
		body.AppendChild(n)
	}
	return &Fragment{Root: body}, nil
}

// Render writes the fragment back as HTML.
func (f *Fragment) Render() string {
	var b strings.Builder
	for c := f.Root.FirstChild; c != nil; c = c.NextSibling {
		_ = html.Render(&b, c) // a strings.Builder does not fail
	}
	return b.String()
}

// RemoveLines removes every line whose text (white space collapsed,
// trimmed) remove reports true for, and returns how many it removed. A
// block element emptied by a removal is removed too.
func (f *Fragment) RemoveLines(remove func(text string) bool) int {
	return removeLines(f.Root, remove)
}

func removeLines(parent *html.Node, remove func(string) bool) int {
	var w textWriter
	return removeLinesWith(&w, parent, remove)
}

// removeLinesWith is removeLines with w's buffer reused for every line's
// text.
func removeLinesWith(w *textWriter, parent *html.Node, remove func(string) bool) int {
	n := 0
	var line []*html.Node
	flush := func(br *html.Node) {
		if len(line) > 0 {
			w.reset()
			for _, c := range line {
				w.node(c)
			}
			if len(w.b) > 0 && remove(string(w.b)) {
				for _, c := range line {
					parent.RemoveChild(c)
				}
				if br != nil {
					parent.RemoveChild(br)
				}
				n++
			}
		}
		line = nil
	}
	for c := parent.FirstChild; c != nil; {
		next := c.NextSibling
		switch {
		case c.Type == html.ElementNode && c.DataAtom == atom.Br:
			flush(c)
		case c.Type == html.ElementNode && IsBlock(c):
			flush(nil)
			if removed := removeLinesWith(w, c, remove); removed > 0 {
				n += removed
				if isEmpty(c) {
					parent.RemoveChild(c)
				}
			}
		default:
			line = append(line, c)
		}
		c = next
	}
	flush(nil)
	return n
}

// blocks are the elements that start a line of their own.
var blocks = map[atom.Atom]bool{
	atom.Address: true, atom.Article: true, atom.Aside: true, atom.Blockquote: true,
	atom.Dd: true, atom.Details: true, atom.Div: true, atom.Dl: true, atom.Dt: true,
	atom.Fieldset: true, atom.Figcaption: true, atom.Figure: true, atom.Footer: true,
	atom.Form: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true,
	atom.H5: true, atom.H6: true, atom.Header: true, atom.Hr: true, atom.Li: true,
	atom.Main: true, atom.Nav: true, atom.Ol: true, atom.P: true, atom.Pre: true,
	atom.Section: true, atom.Summary: true, atom.Table: true, atom.Tbody: true,
	atom.Td: true, atom.Tfoot: true, atom.Th: true, atom.Thead: true, atom.Tr: true,
	atom.Ul: true,
}

// IsBlock reports whether n is a block-level element.
func IsBlock(n *html.Node) bool { return n.Type == html.ElementNode && blocks[n.DataAtom] }

// IsBlockAtom reports whether the element a starts a line of its own:
// for a streaming reader of tokens (the fetcher's cleaning pass) that
// must cut lines where RemoveLines would.
func IsBlockAtom(a atom.Atom) bool { return blocks[a] }

// IsMediaAtom reports whether the element a keeps a block that has no
// text (an image, an embed, a rule...), as RemoveLines judges it.
func IsMediaAtom(a atom.Atom) bool { return media[a] }

// media elements keep a block that has no text.
var media = map[atom.Atom]bool{
	atom.Img: true, atom.Iframe: true, atom.Video: true, atom.Audio: true,
	atom.Picture: true, atom.Object: true, atom.Embed: true, atom.Svg: true, atom.Hr: true,
}

func isEmpty(n *html.Node) bool {
	if Text(n) != "" {
		return false
	}
	empty := true
	walk(n, func(c *html.Node) {
		if c.Type == html.ElementNode && media[c.DataAtom] {
			empty = false
		}
	})
	return empty
}

func walk(n *html.Node, fn func(*html.Node)) {
	fn(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, fn)
	}
}

// Text is the plain text of nodes: text nodes' content outside script and
// style, block elements and <br> separated by a space, white space
// collapsed, trimmed.
func Text(nodes ...*html.Node) string {
	var w textWriter
	for _, n := range nodes {
		w.node(n)
	}
	return string(w.b)
}

// node writes the text of n (see Text).
func (w *textWriter) node(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		w.writeString(n.Data)
		return
	case html.ElementNode:
		switch n.DataAtom {
		case atom.Script, atom.Style, atom.Template, atom.Noscript:
			return
		case atom.Br:
			w.space = true
			return
		}
	}
	block := IsBlock(n)
	if block {
		w.space = true
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.node(c)
	}
	if block {
		w.space = true
	}
}

// textWriter collapses white space as it writes: the same result as
// strings.Join(strings.Fields(all), " "), in one pass and one buffer.
type textWriter struct {
	b     []byte
	space bool // white space seen since the last word
}

// asciiSpace marks the ASCII bytes unicode.IsSpace reports true for.
var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

func (w *textWriter) writeString(s string) {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if asciiSpace[c] {
				w.space = true
				i++
				continue
			}
			// A run of non-space ASCII bytes.
			j := i + 1
			for j < len(s) && s[j] < utf8.RuneSelf && !asciiSpace[s[j]] {
				j++
			}
			w.word(s[i:j])
			i = j
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			w.space = true
		} else {
			w.word(s[i : i+size])
		}
		i += size
	}
}

func (w *textWriter) word(s string) {
	if w.space && len(w.b) > 0 {
		w.b = append(w.b, ' ')
	}
	w.space = false
	w.b = append(w.b, s...)
}

func (w *textWriter) reset() {
	w.b, w.space = w.b[:0], false
}

// RemoveFrom removes the matching lines from s, which may be HTML or plain
// text (no tags: its lines are the text's lines). It returns s unchanged,
// byte for byte, when nothing matched.
func RemoveFrom(s string, remove func(text string) bool) (string, int) {
	if s == "" {
		return s, 0
	}
	if !strings.Contains(s, "<") {
		lines := strings.Split(s, "\n")
		kept := lines[:0]
		n := 0
		for _, l := range lines {
			if t := strings.Join(strings.Fields(html.UnescapeString(l)), " "); t != "" && remove(t) {
				n++
				continue
			}
			kept = append(kept, l)
		}
		if n == 0 {
			return s, 0
		}
		return strings.Join(kept, "\n"), n
	}
	f, err := Parse(s)
	if err != nil {
		return s, 0
	}
	n := f.RemoveLines(remove)
	if n == 0 {
		return s, 0
	}
	return f.Render(), n
}
