package fetcher

import (
	"golang.org/x/net/html/atom"

	"github.com/feedmill/feedmill/internal/htmlblock"
)

// What the cleaning pass needs to know of an element (clean.go), looked
// up in five maps for every start tag (the allowlist, voidElements,
// skipContent, htmlblock's blocks and media): kept instead in a small
// direct-mapped cache per cleaner, filled from the maps on a miss. A body
// uses a dozen or two elements; the cache outlives the pass with its
// pooled cleaner. The maps stay what decides.

// elemInfo is what the maps say of one element.
type elemInfo struct {
	a     atom.Atom
	pol   *elemPolicy // allowlist[a]
	void  bool        // voidElements[a]
	skip  bool        // skipContent[a]
	block bool        // htmlblock.IsBlockAtom(a)
	media bool        // htmlblock.IsMediaAtom(a)
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
		*e = elemInfo{a: a, pol: allowlist[a], void: voidElements[a], skip: skipContent[a],
			block: htmlblock.IsBlockAtom(a), media: htmlblock.IsMediaAtom(a)}
	}
	return e
}
