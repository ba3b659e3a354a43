package normalize

import (
	"golang.org/x/net/html/atom"

	"github.com/feedmill/feedmill/internal/htmlblock"
)

// What the cleaning pass needs to know of an element (clean.go), looked
// up in five maps for every start tag (voidElements, skipContent,
// htmlblock's blocks and media): kept instead in a small
// direct-mapped cache per cleaner, filled from the maps on a miss. A body
// uses a dozen or two elements; the cache outlives the pass with its
// pooled cleaner. The maps stay what decides.

// elemInfo is what the maps say of one element.
type elemInfo struct {
	a        atom.Atom
	needsURL bool // written only with its URL (a: href, img: src)
	void     bool // voidElements[a]
	skip     bool // skipContent[a]
	block    bool // htmlblock.IsBlockAtom(a)
	media    bool // htmlblock.IsMediaAtom(a)
}

// elemCacheBits sizes the cache: 64 entries.
const elemCacheBits = 6

type elemCache [1 << elemCacheBits]elemInfo

// elem returns what the maps say of a (a != 0).
func (c *cleaner) elem(a atom.Atom) *elemInfo {
	if c.elems == nil {
		c.elems = new(elemCache)
	}
	e := &c.elems[(uint32(a)*0x9e3779b1)>>(32-elemCacheBits)]
	if e.a != a {
		*e = elemInfo{a: a, needsURL: a == atom.A || a == atom.Img, void: voidElements[a], skip: skipContent[a],
			block: htmlblock.IsBlockAtom(a), media: htmlblock.IsMediaAtom(a)}
	}
	return e
}

// skipContent are the elements dropped together with everything inside
// them: what runs code, styles the page or is never shown as content.
var skipContent = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Object: true, atom.Title: true, atom.Noembed: true, atom.Noframes: true,
	atom.Frameset: true, atom.Iframe: true,
}

// voidElements are the HTML elements that have no content and no end tag.
var voidElements = map[atom.Atom]bool{
	atom.Area: true, atom.Base: true, atom.Br: true, atom.Col: true, atom.Embed: true,
	atom.Hr: true, atom.Img: true, atom.Input: true, atom.Keygen: true, atom.Link: true,
	atom.Meta: true, atom.Param: true, atom.Source: true, atom.Track: true, atom.Wbr: true,
	atom.Frame: true,
}
