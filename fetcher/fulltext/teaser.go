package fulltext

import (
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// The teaser rule (full_text: auto): an item's body is a teaser when
//
//   - it ends in a link to the item's own page ("Continue reading...",
//     "Read more", whatever its words), or
//   - it has fewer than teaserWords words in at most two lines (a
//     sentence or two; a short post of several paragraphs is a story),
//     or fewer than fewWords words however laid out, or
//   - it has fewer than truncatedWords words and ends cut off ("…",
//     "...", "[…]").
//
// Anything else is the story itself and needs no page.
const (
	teaserWords    = 80
	fewWords       = 25
	truncatedWords = 150
)

// IsTeaser reports whether body (the item's HTML or text) is a teaser of
// the page at link (canonical, as the item stores it), and why: "N words",
// "ends in a link to its page", "cut off at N words", or for a story
// "N words of story".
func IsTeaser(body, link string) (bool, string) {
	text := strings.TrimSpace(HTMLText(body))
	n := countWords(text)
	switch {
	case link != "" && endsInOwnLink(body, link):
		return true, "ends in a link to its page"
	case n < fewWords || n < teaserWords && lines(text) <= 2:
		return true, plural(n, "word")
	case n < truncatedWords && cutOff(text):
		return true, "cut off at " + plural(n, "word")
	}
	return false, plural(n, "word") + " of story"
}

// lines counts the lines of text that hold a word.
func lines(text string) int {
	n := 0
	for _, l := range strings.Split(text, "\n") {
		if countWords(l) > 0 {
			n++
		}
	}
	return n
}

// cutOff reports whether text ends in an ellipsis.
func cutOff(text string) bool {
	text = strings.TrimRight(text, " \t\r\n])")
	return strings.HasSuffix(text, "…") || strings.HasSuffix(text, "...")
}

// endsInOwnLink reports whether the last link of body, with no more than
// a few words after it, points to the page at link (query and fragment
// aside).
func endsInOwnLink(body, link string) bool {
	nodes, err := html.ParseFragment(strings.NewReader(body), bodyContext())
	if err != nil {
		return false
	}
	var last *html.Node
	after := 0 // words after the last link
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "a" {
			last, after = n, 0
			return
		}
		if n.Type == html.TextNode {
			after += countWords(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	if last == nil || after > 3 {
		return false
	}
	for _, a := range last.Attr {
		if a.Key == "href" {
			return samePage(a.Val, link)
		}
	}
	return false
}

// samePage compares two URLs by host and path (trailing slash aside).
func samePage(a, b string) bool {
	ua, err1 := url.Parse(strings.TrimSpace(a))
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil || ua.Host == "" {
		return false
	}
	return strings.EqualFold(strings.TrimPrefix(ua.Host, "www."), strings.TrimPrefix(ub.Host, "www.")) &&
		strings.TrimSuffix(ua.Path, "/") == strings.TrimSuffix(ub.Path, "/")
}

func plural(n int, unit string) string {
	s := itoa(n) + " " + unit
	if n != 1 {
		s += "s"
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }
