package normalize

import (
	"bytes"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/feedmill/feedmill/fetcher/boilerplate"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The cleaning pass: one streaming pass of x/net/html's Tokenizer over an
// item's HTML body (Summary or Content) that rewrites and removes, and
// writes the result once, for sanitize.HTML to decide on (item.go). It is
// not the security decision: it keeps what it does not know about, and
// the sanitizer drops it.
//
// What it does with each token:
//   - start tags: elements of skipContent are dropped whole (script,
//     style, noscript, template, object, foreign iframes...); raw-text
//     elements (xmp, plaintext, textarea) and unknown elements lose their
//     tags and keep their text; href, src and cite are resolved against
//     the base, made canonical (links) and checked (cleanURL); event
//     handlers and style go; FeedBurner flare, tracking pixels and
//     foreign iframes go, recorded in Item.Cleaned;
//   - text is escaped into the output and, collapsed, into the text of
//     the current line;
//   - lines are what internal/htmlblock calls lines: block elements and
//     the runs of inline content between <br>s. A line's output is
//     written as it comes, and cut off again when the line ends and a
//     boilerplate rule (package boilerplate) matches its text; a block
//     emptied by such a cut (no text, no image, iframe or rule left) is
//     cut too, as htmlblock's RemoveLines does;
//   - the output stays well-formed: an end tag closes the elements opened
//     after its own, one without a start tag is dropped, elements still
//     open at the end are closed; void elements are written <br/>.
//
// No tree is built. Where the HTML5 tree builder would repair misnested
// markup (<p> inside <b>, tables...) the pass keeps the nesting it was
// given, balanced.

// cleaner holds one pass's state; cleaners are pooled for their buffers.
type cleaner struct {
	z     *html.Tokenizer
	base  *url.URL
	rules *[]string

	out   []byte
	stack []openElem
	root  openElem   // the fragment itself, as the outermost block
	attrs []attrKV   // the current tag's attributes (the tokenizer's bytes)
	seen  [][]byte   // attribute names written for the current tag
	text  lineText   // the current line's text, collapsed
	img   bodyImage  // the first <img src>, for Item.Image (image.go)
	elems *elemCache // what the maps say of elements (clean_atoms.go)

	urlBuf      []byte // a URL fastURL made (clean_url.go)
	basePre     []byte // base's "scheme://host" for fastURL, if plain
	baseChecked bool   // basePre is worked out

	inLine    bool
	lineStart int  // len(out) where the current line starts
	lineDepth int  // len(stack) when it started
	lineMedia bool // it holds an image or an iframe

	skip      atom.Atom // dropping everything up to this element's end tag
	skipDepth int       // nested elements of the same name inside it
	foreign   int       // open <svg>/<math>: there <image> is not <img>
}

// openElem is an element whose end tag is still to come.
type openElem struct {
	a       atom.Atom
	emitted bool // its start tag is in the output (allowed)
	// context: a block opened outside any line, so lines inside it are
	// judged on their own; its start tag is at out[outStart:].
	context  bool
	outStart int
	kept     bool // some line inside kept text or media
	removed  bool // some line inside was removed
}

type attrKV struct{ key, val []byte }

var cleaners = sync.Pool{New: func() any { return new(cleaner) }}

// cleanHTML runs the cleaning pass over the HTML s (see above): base
// resolves relative URLs (nil: relative URLs stay relative), the names
// of the rules that changed something are added to rules. It returns the
// rewritten HTML, for the sanitizer, and the body's first <img src>.
func cleanHTML(s string, base *url.URL, rules *[]string) (string, bodyImage) {
	c := cleaners.Get().(*cleaner)
	defer c.release()
	c.base, c.rules = base, rules
	c.z = html.NewTokenizer(strings.NewReader(s))
	c.run()
	return string(c.out), c.img
}

// release resets c and returns it to the pool (huge buffers are left to
// the garbage collector).
func (c *cleaner) release() {
	if cap(c.out) > 1<<20 {
		c.out = nil
	}
	if cap(c.urlBuf) > 64<<10 { // one huge URL does not stay in the pool
		c.urlBuf = nil
	}
	if cap(c.text.b) > 64<<10 {
		c.text.b = nil
	}
	*c = cleaner{out: c.out[:0], stack: c.stack[:0], attrs: c.attrs[:0], seen: c.seen[:0],
		text: lineText{b: c.text.b[:0]}, elems: c.elems, urlBuf: c.urlBuf[:0], basePre: c.basePre[:0]}
	cleaners.Put(c)
}

func (c *cleaner) run() {
	z := c.z
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken: // io.EOF, or an error of the reader: none from a strings.Reader
			c.finish()
			return
		case html.TextToken:
			if c.skip == 0 {
				c.writeText(c.tokenText())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			a := c.tagAtom()
			c.readAttrs()
			if a == atom.Image && c.foreign == 0 {
				a = atom.Img // as HTML's parser reads it (and gofeed's image scan saw it)
			}
			if a == atom.Img && !c.img.found {
				c.noteImage()
			}
			if c.skip != 0 {
				if a == c.skip {
					c.skipDepth++
				}
				continue
			}
			if (a == atom.Svg || a == atom.Math) && tt == html.StartTagToken {
				c.foreign++
			}
			c.startTag(a)
		case html.EndTagToken:
			a := c.tagAtom()
			if c.skip != 0 {
				if a == c.skip {
					if c.skipDepth == 0 {
						c.skip = 0
					} else {
						c.skipDepth--
					}
					continue
				}
				// An element around the skipped one ends: so does the
				// skipped one (an unclosed <object> must not eat the rest).
				if c.find(a) < 0 {
					continue
				}
				c.skip, c.skipDepth = 0, 0
			}
			if (a == atom.Svg || a == atom.Math) && c.foreign > 0 {
				c.foreign--
			}
			c.endTag(a)
		}
		// Comments, doctypes, CDATA sections (comments to the tokenizer):
		// dropped.
	}
}

func (c *cleaner) note(name string) {
	if !slices.Contains(*c.rules, name) {
		*c.rules = append(*c.rules, name)
	}
}

// ctx returns the block that holds the lines at stack depth d (the
// fragment itself at 0).
func (c *cleaner) ctx(d int) *openElem {
	if d == 0 {
		return &c.root
	}
	return &c.stack[d-1]
}

// find returns the index of the innermost open element a, or -1.
func (c *cleaner) find(a atom.Atom) int {
	if a == 0 {
		return -1
	}
	for i := len(c.stack) - 1; i >= 0; i-- {
		if c.stack[i].a == a {
			return i
		}
	}
	return -1
}

func (c *cleaner) startTag(a atom.Atom) {
	if a == 0 {
		return // an unknown element: its tags go, its text stays
	}
	el := *c.elem(a) // clean_atoms.go
	if c.isFlare() {
		c.note(cleanedFlare)
		if !el.void {
			c.skip = a
		}
		return
	}
	switch {
	case a == atom.Iframe:
		c.iframe()
		return
	case el.skip:
		c.skip = a
		return
	case a == atom.Img && c.isPixel():
		c.note(cleanedPixel)
		return
	case a == atom.Br:
		c.br()
		return
	case a == atom.Xmp || a == atom.Plaintext || a == atom.Textarea:
		return // raw text to the sanitizer's tokenizer: its text stays, escaped, its tags go
	}
	void := el.void
	if el.block && (!c.inLine || len(c.stack) == c.lineDepth) {
		c.flushLine()
		start := len(c.out)
		emitted := c.writeStart(a)
		if void { // <hr>
			if emitted && el.media {
				c.ctx(len(c.stack)).kept = true
			}
			return
		}
		c.stack = append(c.stack, openElem{a: a, emitted: emitted, context: true, outStart: start})
		return
	}
	// Inline content, or a block inside an inline element of the line
	// (part of the line, as in htmlblock).
	if !c.inLine {
		c.startLine()
	} else if el.block {
		c.text.space = true
	}
	emitted := c.writeStart(a)
	if void {
		if emitted && el.media {
			c.lineMedia = true
		}
		return
	}
	c.stack = append(c.stack, openElem{a: a, emitted: emitted})
}

func (c *cleaner) endTag(a atom.Atom) {
	i := c.find(a)
	if i < 0 {
		return // no such element open: dropped
	}
	if c.inLine && i < c.lineDepth {
		c.flushLine()
	}
	for len(c.stack) > i {
		c.pop()
	}
}

// pop closes the innermost open element.
func (c *cleaner) pop() {
	e := c.stack[len(c.stack)-1]
	c.stack = c.stack[:len(c.stack)-1]
	if e.emitted {
		c.out = append(c.out, "</"...)
		c.out = append(c.out, e.a.String()...)
		c.out = append(c.out, '>')
	}
	if !e.context {
		return
	}
	parent := c.ctx(len(c.stack))
	if e.removed && !e.kept { // emptied by removals: goes too
		c.out = c.out[:e.outStart]
		parent.removed = true
		return
	}
	parent.kept = parent.kept || e.kept
	parent.removed = parent.removed || e.removed
}

func (c *cleaner) finish() {
	c.flushLine()
	for len(c.stack) > 0 {
		c.pop()
	}
}

func (c *cleaner) br() {
	if c.inLine && len(c.stack) > c.lineDepth {
		c.text.space = true // inside an inline element: part of the line
	} else if c.flushLine() {
		return // the line was removed: its <br> goes with it
	}
	c.out = append(c.out, "<br/>"...)
}

func (c *cleaner) writeText(t []byte) {
	if !c.inLine {
		c.startLine()
	}
	c.out = appendEscaped(c.out, t)
	c.text.write(t)
}

// tokenText returns the current text token's text, as Tokenizer.Text
// does. Text converts CR and CR LF to LF, NUL to U+FFFD (in raw text) and
// unescapes character references, byte by byte, in place; a text token's
// raw bytes are its data (the tokenizer's CDATA sections, whose markers
// are not, are off: AllowCDATA is never called), so a text without '&',
// CR or NUL, most of them, is its raw bytes, which IndexByte finds out
// faster.
func (c *cleaner) tokenText() []byte {
	t := c.z.Raw()
	if bytes.IndexByte(t, '&') >= 0 || bytes.IndexByte(t, '\r') >= 0 || bytes.IndexByte(t, 0) >= 0 {
		return c.z.Text()
	}
	return t
}

func (c *cleaner) startLine() {
	c.inLine = true
	c.lineStart, c.lineDepth, c.lineMedia = len(c.out), len(c.stack), false
	c.text.reset()
}

// flushLine ends the current line: it removes it when a boilerplate rule
// matches its text, and reports whether it did.
func (c *cleaner) flushLine() bool {
	if !c.inLine {
		return false
	}
	c.inLine = false
	t := c.text.b
	if len(t) > 0 && !c.text.done() {
		if name := boilerplate.MatchBytes(t); name != "" {
			c.out = c.out[:c.lineStart]
			c.stack = c.stack[:c.lineDepth]
			c.ctx(c.lineDepth).removed = true
			c.note(name)
			return true
		}
	}
	if len(t) > 0 || c.lineMedia {
		c.ctx(c.lineDepth).kept = true
	}
	return false
}
