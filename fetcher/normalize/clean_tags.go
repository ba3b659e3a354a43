package normalize

import (
	"bytes"
	"net/url"
	"slices"
	"strings"

	"github.com/feedmill/feedmill/fetcher/sanitize"
	"golang.org/x/net/html/atom"
)

// The cleaning pass's work on one tag (clean.go): its name and
// attributes as the tokenizer gives them, the first <img src> for
// Item.Image, the elements dropped for what they are (FeedBurner flare,
// tracking pixels, iframes that are not video players), and writing a
// start tag with its attributes, URLs cleaned.

// tagAtom returns the atom of the current tag's name (0: not an HTML
// element we know), read from the raw token as the tokenizer reads it:
// after "<" or "</", up to white space, "/" or ">", lower-cased.
// x/net/html's TagName would copy the name on every tag.
func (c *cleaner) tagAtom() atom.Atom {
	raw := c.z.Raw()
	i := 1
	if i < len(raw) && raw[i] == '/' {
		i++
	}
	var buf [16]byte // longer than any atom's name
	n := 0
	for ; i < len(raw); i++ {
		b := raw[i]
		switch b {
		case ' ', '\n', '\r', '\t', '\f', '/', '>':
			return atom.Lookup(buf[:n])
		}
		if n == len(buf) {
			return 0
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		buf[n] = b
		n++
	}
	return atom.Lookup(buf[:n])
}

// readAttrs sets c.attrs to the current tag's attributes (TagAttr's
// bytes: valid until the next token).
// The tokenizer never returns an attribute with an empty name, so a nil
// name means there is none.
func (c *cleaner) readAttrs() {
	c.attrs = c.attrs[:0]
	for {
		k, v, more := c.z.TagAttr()
		if k == nil {
			return
		}
		c.attrs = append(c.attrs, attrKV{k, v})
		if !more {
			return
		}
	}
}

// attr returns the first value of the attribute key of the current tag.
func (c *cleaner) attr(key string) ([]byte, bool) {
	for _, kv := range c.attrs {
		if string(kv.key) == key {
			return kv.val, true
		}
	}
	return nil, false
}

// noteImage records the current <img>'s src, if it has one.
func (c *cleaner) noteImage() {
	if v, ok := c.attr("src"); ok {
		c.img = bodyImage{found: true, src: string(v)}
	}
}

// iframe keeps an embed from the players sanitize allows, written empty
// (its content is raw text to the tokenizer and skipped), and drops any
// other.
func (c *cleaner) iframe() {
	c.skip = atom.Iframe
	src, _ := c.attr("src")
	u, ok := cleanURL(string(src), c.base, false)
	if !ok || !sanitize.EmbedAllowed(u) {
		c.note(cleanedIframe)
		return
	}
	if !c.inLine {
		c.startLine()
	}
	if c.writeStart(atom.Iframe) {
		c.out = append(c.out, "</iframe>"...)
		c.lineMedia = true
	}
}

// isFlare reports whether the current tag is FeedBurner's "flare" block
// (share links under each item) or one of its links.
func (c *cleaner) isFlare() bool {
	for _, kv := range c.attrs {
		switch string(kv.key) {
		case "class":
			for _, f := range bytes.Fields(kv.val) {
				if string(f) == "feedflare" {
					return true
				}
			}
		case "href":
			if bytes.Contains(kv.val, []byte("feeds.feedburner.com/~ff/")) || bytes.Contains(kv.val, []byte("feedproxy.google.com/~ff/")) {
				return true
			}
		}
	}
	return false
}

// isPixel reports whether the current <img> is a tracking pixel
// (sanitize.IsPixel, with its src resolved against the base).
func (c *cleaner) isPixel() bool {
	w, _ := c.attr("width")
	h, _ := c.attr("height")
	host := ""
	if src, _ := c.attr("src"); len(src) > 0 {
		if u, err := url.Parse(strings.TrimSpace(string(src))); err == nil {
			if !u.IsAbs() && c.base != nil {
				u = c.base.ResolveReference(u)
			}
			host = u.Hostname()
		}
	}
	return sanitize.IsPixel(string(w), string(h), host)
}

// writeStart writes the start tag of a with the current tag's
// attributes, URLs resolved and made canonical (cleanURL), and reports
// whether it did: an element left without the URL it needs (a without
// href, img without src) is not written. Which elements and attributes
// may reach a reader is not decided here but by sanitize.HTML,
// which runs on the output.
func (c *cleaner) writeStart(a atom.Atom) bool {
	el := c.elem(a)
	mark := len(c.out)
	c.out = append(c.out, '<')
	c.out = append(c.out, a.String()...)
	c.seen = c.seen[:0]
	hasURL := false
	for _, kv := range c.attrs {
		if slices.ContainsFunc(c.seen, func(k []byte) bool { return bytes.Equal(k, kv.key) }) {
			continue // a repeated attribute: the first one counts
		}
		val, isURL, ok := c.attrValue(kv)
		if !ok {
			continue
		}
		hasURL = hasURL || isURL
		c.seen = append(c.seen, kv.key)
		c.out = append(c.out, ' ')
		c.out = append(c.out, kv.key...)
		c.out = append(c.out, '=', '"')
		c.out = appendEscaped(c.out, val)
		c.out = append(c.out, '"')
	}
	if el.needsURL && !hasURL {
		c.out = c.out[:mark]
		return false
	}
	if el.void {
		c.out = append(c.out, '/', '>')
	} else {
		c.out = append(c.out, '>')
	}
	return true
}

// attrValue returns the value to write for one attribute: URLs (href,
// src, cite) resolved against the base and cleaned, or refused; event
// handlers and style refused (the policy would drop them anyway); the
// rest as it came.
func (c *cleaner) attrValue(kv attrKV) (val []byte, isURL, ok bool) {
	switch key := string(kv.key); {
	case key == "href" || key == "src" || key == "cite":
		if u, ok, known := c.fastURL(kv.val, key == "href"); known {
			return u, true, ok // what cleanURL would return (clean_url.go)
		}
		u, ok := cleanURL(string(kv.val), c.base, key == "href")
		return []byte(u), true, ok
	case key == "style" || strings.HasPrefix(key, "on"):
		return nil, false, false
	}
	return kv.val, false, true
}
