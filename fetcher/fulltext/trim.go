package fulltext

import "golang.org/x/net/html"

// Our passes on what readability keeps, by the shape of the blocks, never
// by a site's markup:
//
//   - figure captions and credits (figcaption) are not the story's text;
//   - blocks that are all links (a related-stories list, "Home / News")
//     are navigation;
//   - short blocks before the story's first paragraph (kicker, byline,
//     dateline, breadcrumbs) and after its last one ("More:", "Share",
//     "Originally published on ...") are page furniture.
const (
	// paragraphWords: a block of this many words is a paragraph of the
	// story; fewer, at the edges, is furniture.
	paragraphWords = 6
	// linkShare: a block whose words are this share in links or more is
	// navigation.
	linkShare = 0.8
)

// leafBlock is a block element that holds no other block.
type leafBlock struct {
	n            *html.Node
	words, links int // words, and words inside links
}

// trim applies the passes above to the story under root.
func trim(root *html.Node) {
	for _, b := range leafBlocks(root) {
		if b.n.Data == "figcaption" || b.words > 0 && float64(b.links) >= linkShare*float64(b.words) {
			detach(b.n)
		}
	}
	blocks := leafBlocks(root)
	first, last := -1, -1
	for i, b := range blocks {
		if b.words >= paragraphWords {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return
	}
	for i, b := range blocks {
		if i < first || i > last {
			detach(b.n)
		}
	}
}

// leafBlocks lists the leaf blocks under root in document order, with
// their word counts.
func leafBlocks(root *html.Node) []leafBlock {
	var out []leafBlock
	var walk func(*html.Node) bool // reports whether n holds a block
	walk = func(n *html.Node) bool {
		inner := false
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if walk(c) {
				inner = true
			}
		}
		isBlock := n.Type == html.ElementNode && blockTags[n.Data] && n.Data != "br"
		if isBlock && !inner && n != root {
			w, l := wordsAndLinks(n, false)
			out = append(out, leafBlock{n: n, words: w, links: l})
		}
		return inner || isBlock
	}
	walk(root)
	return out
}

// wordsAndLinks counts the words under n, and those inside links.
func wordsAndLinks(n *html.Node, inLink bool) (words, links int) {
	if n.Type == html.TextNode {
		w := countWords(n.Data)
		if inLink {
			return w, w
		}
		return w, 0
	}
	if n.Type == html.ElementNode && n.Data == "a" {
		inLink = true
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w, l := wordsAndLinks(c, inLink)
		words, links = words+w, links+l
	}
	return words, links
}

// detach removes n from its tree.
func detach(n *html.Node) {
	if n.Parent != nil {
		n.Parent.RemoveChild(n)
	}
}
