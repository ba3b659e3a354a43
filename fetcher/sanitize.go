package fetcher

import (
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/feedmill/feedmill/internal/htmlblock"
	"github.com/feedmill/feedmill/storage"
)

// Item HTML (Summary and Content) is cleaned at ingest, in this order:
//
//  1. news cruft: the boilerplate rules (boilerplate.go) remove whole
//     lines and blocks, FeedBurner flare blocks go;
//  2. URLs: relative href/src are resolved against the item's link (else
//     the feed's base; gofeed already applies xml:base), links are made
//     canonical (tracking parameters removed);
//  3. tracking pixels (1×1 images, images from known pixel hosts) and
//     iframes from hosts not in embedHosts are removed;
//  4. an allowlist sanitizer (bluemonday's user-content policy) keeps
//     formatting, links, images, tables and figures, and drops scripts,
//     styles, forms, event handlers and every URL that is not http(s) or
//     mailto (javascript:, data:, vbscript: ...).
//
// Titles are plain text (normalize.go).

// Names recorded in Item.Cleaned for changes that are not boilerplate
// lines.
const (
	cleanedFlare  = "feedburner-flare"
	cleanedPixel  = "tracking-pixel"
	cleanedIframe = "iframe"
)

// embedHosts are the hosts whose iframes (video embeds) stay.
var embedHosts = []string{
	"www.youtube.com", "youtube.com", "www.youtube-nocookie.com", "youtube-nocookie.com",
	"player.vimeo.com",
}

// pixelHosts serve tracking pixels: every image from them is removed.
var pixelHosts = []string{
	"feeds.feedburner.com", "feedproxy.google.com", "pixel.wp.com", "stats.wordpress.com",
	"www.google-analytics.com", "google-analytics.com", "pixel.quantserve.com",
	"sb.scorecardresearch.com", "b.scorecardresearch.com", "pi.feedsportal.com",
	"da.feedsportal.com", "www.facebook.com", "ad.doubleclick.net", "pixel.mathtag.com",
	"counter.theconversation.com", "feeds.washingtonpost.com", "rss.nytimes.com",
	"pubads.g.doubleclick.net", "pixel.tapad.com", "www.assoc-amazon.com",
}

var embedSrc = regexp.MustCompile(`^https://(?:www\.)?(?:youtube\.com|youtube-nocookie\.com)/embed/|^https://player\.vimeo\.com/video/`)

// policy is the allowlist. A bluemonday Policy is safe for concurrent use
// once built.
var policy = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(false)
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowElements("iframe")
	p.AllowAttrs("src").Matching(embedSrc).OnElements("iframe")
	p.AllowAttrs("width", "height", "allowfullscreen", "title").OnElements("iframe")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^[\w -]{1,100}$`)).OnElements("figure", "img", "span", "div", "p")
	return p
}()

// cleanBody cleans the HTML of a Summary or Content (see above). base
// resolves relative URLs (nil: they are dropped by the sanitizer when
// they cannot be resolved). It records the rules that changed something.
func cleanBody(s string, base *url.URL, rules *[]string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	note := func(name string) {
		if !slices.Contains(*rules, name) {
			*rules = append(*rules, name)
		}
	}
	dropLine := func(text string) bool {
		if name := cruftRule(text); name != "" {
			note(name)
			return true
		}
		return false
	}
	if !looksLikeMarkup(s) {
		s, _ = htmlblock.RemoveFrom(html.EscapeString(html.UnescapeString(s)), dropLine)
		return strings.TrimSpace(policy.Sanitize(s))
	}
	f, err := htmlblock.Parse(s)
	if err != nil {
		return strings.TrimSpace(policy.Sanitize(s))
	}
	cleanNodes(f.Root, base, note)
	f.RemoveShortLines(maxCruftLine, dropLine) // longer lines are never cruft
	return strings.TrimSpace(policy.Sanitize(f.Render()))
}

// cleanNodes removes flare, pixels, foreign iframes, scripts and styles
// under n, and resolves and canonicalizes URLs.
func cleanNodes(n *html.Node, base *url.URL, note func(string)) {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		if c.Type != html.ElementNode {
			c = next
			continue
		}
		switch {
		case c.DataAtom == atom.Script || c.DataAtom == atom.Style || c.DataAtom == atom.Noscript:
			n.RemoveChild(c)
		case isFeedburnerFlare(c):
			note(cleanedFlare)
			n.RemoveChild(c)
		case c.DataAtom == atom.Iframe && !embedSrc.MatchString(resolveAttr(c, "src", base, false)):
			note(cleanedIframe)
			n.RemoveChild(c)
		case c.DataAtom == atom.Img && isPixel(c, base):
			note(cleanedPixel)
			n.RemoveChild(c)
		default:
			for _, key := range []string{"href", "src", "poster"} {
				resolveAttr(c, key, base, key == "href")
			}
			if c.DataAtom == atom.Img || c.DataAtom == atom.Source {
				resolveSrcset(c, base)
			}
			cleanNodes(c, base, note)
		}
		c = next
	}
}

// resolveAttr makes n's URL attribute key absolute against base (and
// canonical, for links) and returns its new value ("" when absent).
func resolveAttr(n *html.Node, key string, base *url.URL, canonical bool) string {
	for i, a := range n.Attr {
		if a.Key != key || a.Namespace != "" {
			continue
		}
		v := strings.TrimSpace(a.Val)
		if v == "" || strings.HasPrefix(v, "#") {
			return v
		}
		u, err := url.Parse(v)
		if err != nil {
			return v
		}
		if !u.IsAbs() && base != nil {
			u = base.ResolveReference(u)
		}
		v = u.String()
		if canonical && (u.Scheme == "http" || u.Scheme == "https") {
			if c, err := Canonical(v, nil); err == nil {
				v = c
			}
		}
		n.Attr[i].Val = v
		return v
	}
	return ""
}

// resolveSrcset resolves the URLs of a srcset attribute.
func resolveSrcset(n *html.Node, base *url.URL) {
	for i, a := range n.Attr {
		if a.Key != "srcset" || base == nil {
			continue
		}
		parts := strings.Split(a.Val, ",")
		for j, p := range parts {
			fields := strings.Fields(p)
			if len(fields) == 0 {
				continue
			}
			if u, err := url.Parse(fields[0]); err == nil {
				fields[0] = base.ResolveReference(u).String()
			}
			parts[j] = strings.Join(fields, " ")
		}
		n.Attr[i].Val = strings.Join(parts, ", ")
	}
}

// isPixel reports whether an <img> is a tracking pixel: at most 1×1 as
// declared, or served by a known pixel host.
func isPixel(n *html.Node, base *url.URL) bool {
	src := resolveAttr(n, "src", base, false)
	w, h := attr(n, "width"), attr(n, "height")
	if tiny(w) && tiny(h) && (w != "" || h != "") {
		return true
	}
	if u, err := url.Parse(src); err == nil && slices.Contains(pixelHosts, strings.ToLower(u.Hostname())) {
		return true
	}
	return false
}

// tiny reports whether a width/height attribute is at most 1 pixel ("" is
// unknown: tiny only together with the other one being tiny).
func tiny(v string) bool {
	if v == "" {
		return true
	}
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), "px"))
	return err == nil && n <= 1
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key && a.Namespace == "" {
			return a.Val
		}
	}
	return ""
}

// cleanItem cleans an item's Summary and Content (boilerplate, URLs,
// sanitizing), records what changed it, and computes its fingerprint from
// the cleaned text. base is the feed's base URL; the item's own link wins
// over it for relative URLs in the body.
func cleanItem(it *storage.Item, base *url.URL) {
	if it.Link != "" {
		if u, err := url.Parse(it.Link); err == nil && u.IsAbs() {
			base = u
		}
	}
	var rules []string
	it.Summary = cleanBody(it.Summary, base, &rules)
	it.Content = cleanBody(it.Content, base, &rules)
	it.Cleaned = rules
	fingerprintItem(it)
}
