package fulltext

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"

	readability "codeberg.org/readeck/go-readability/v2"
	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
)

// Extractor names recorded with a story.
const (
	ByReadability = "readability"
	BySelector    = "selector"
)

// ErrNothing is returned (wrapped) when a page holds no story.
var ErrNothing = errors.New("extraction found nothing")

// minWords is the fewest words a story has; less is no story.
const minWords = 20

// Selector is a compiled content_selector.
type Selector struct {
	text string
	sel  cascadia.SelectorGroup
}

// CompileSelector compiles a CSS selector (as cascadia reads it).
func CompileSelector(s string) (Selector, error) {
	g, err := cascadia.ParseGroup(s)
	if err != nil {
		return Selector{}, fmt.Errorf("content selector %q: %w", s, err)
	}
	return Selector{text: s, sel: g}, nil
}

// String is the selector as written.
func (s Selector) String() string { return s.text }

// IsZero reports whether no selector was given.
func (s Selector) IsZero() bool { return s.sel == nil }

// Options are what we know of the page beyond its bytes.
type Options struct {
	// Teaser is the feed's body of the item (HTML or text): the hint
	// and the check of the extraction.
	Teaser   string
	Selector Selector // the source's content_selector; zero = none
}

// Story is the story of a page.
type Story struct {
	HTML      string // not yet cleaned or sanitized; URLs absolute against the page
	Words     int
	Byline    string // the page's author, "" = none
	Image     string // the page's lead image (absolute URL), "" = none
	Extractor string // ByReadability or BySelector
	// Suspect: the story does not carry most of the teaser's words.
	Suspect bool
}

// Extract finds the story in page, an HTML document already decoded to
// UTF-8 and fetched from pageURL (its final URL, after redirects). The
// content selector wins when it matches text; else readability decides.
// An error wraps ErrNothing when neither finds a story.
func Extract(page []byte, pageURL *url.URL, o Options) (Story, error) {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return Story{}, fmt.Errorf("parse page: %w", err)
	}
	var st Story
	var text string
	if !o.Selector.IsZero() {
		st, text = bySelector(doc, pageURL, o.Selector)
	}
	// readability changes the tree; the selector has looked already.
	parser := readability.NewParser()
	art, rerr := parser.ParseAndMutate(doc, pageURL)
	if st.HTML == "" {
		if rerr != nil || art.Node == nil {
			return Story{}, fmt.Errorf("%w (readability: %v)", ErrNothing, rerr)
		}
		trim(art.Node)
		var b strings.Builder
		if err := html.Render(&b, art.Node); err != nil {
			return Story{}, fmt.Errorf("render story: %w", err)
		}
		text = textOf(art.Node)
		st = Story{HTML: b.String(), Words: countWords(text), Extractor: ByReadability}
	}
	if rerr == nil {
		st.Byline = strings.TrimSpace(art.Byline())
		st.Image = absURL(art.ImageURL(), pageURL)
	}
	if st.Words < minWords {
		return Story{}, fmt.Errorf("%w (%d words)", ErrNothing, st.Words)
	}
	st.Suspect = !carriesTeaser(text, o.Teaser)
	return st, nil
}

// bySelector is the story made of the nodes sel matches (those inside
// another match are part of it), with relative URLs made absolute, and its
// text; zero when they hold no words.
func bySelector(doc *html.Node, pageURL *url.URL, sel Selector) (Story, string) {
	nodes := cascadia.QueryAll(doc, sel.sel)
	var b, text strings.Builder
	for _, n := range nodes {
		if insideAny(n, nodes) {
			continue
		}
		absolutize(n, pageURL)
		text.WriteString(textOf(n))
		_ = html.Render(&b, n)
	}
	words := countWords(text.String())
	if words == 0 {
		return Story{}, ""
	}
	return Story{HTML: b.String(), Words: words, Extractor: BySelector}, text.String()
}

// insideAny reports whether n has an ancestor among nodes.
func insideAny(n *html.Node, nodes []*html.Node) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		for _, m := range nodes {
			if p == m {
				return true
			}
		}
	}
	return false
}

// absolutize resolves the href and src attributes under n against base.
func absolutize(n *html.Node, base *url.URL) {
	if n.Type == html.ElementNode {
		for i, a := range n.Attr {
			if a.Namespace == "" && (a.Key == "href" || a.Key == "src") {
				if u := absURL(a.Val, base); u != "" {
					n.Attr[i].Val = u
				}
			}
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		absolutize(c, base)
	}
}

// absURL is ref resolved against base; "" when it does not parse.
func absURL(ref string, base *url.URL) string {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	return u.String()
}

// Readability is the library alone on page, called as Extract calls it:
// its story's HTML, for measuring what Extract and the cleaning add.
func Readability(page []byte, pageURL *url.URL) (string, error) {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return "", fmt.Errorf("parse page: %w", err)
	}
	parser := readability.NewParser()
	art, err := parser.ParseAndMutate(doc, pageURL)
	if err != nil || art.Node == nil {
		return "", fmt.Errorf("%w (readability: %v)", ErrNothing, err)
	}
	var b strings.Builder
	err = html.Render(&b, art.Node)
	return b.String(), err
}
