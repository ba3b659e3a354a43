package sanitize

import (
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/microcosm-cc/bluemonday"

	"github.com/feedmill/feedmill/internal/urlpolicy"
)

// HTML returns s as the policy lets it reach a reader: bluemonday's
// user-generated-content policy without rel="nofollow", with http, https
// and mailto URLs, a plain class on figure, img, span, div and p, and
// iframes only from the video players of EmbedAllowed. It is safe for
// concurrent use.
func HTML(s string) string { return policy.Sanitize(s) }

var policy = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(false)
	// The schemes of the URL policy where a person's address belongs:
	// the item cleaning has applied the whole policy to href and src.
	p.AllowURLSchemes(urlpolicy.Schemes(urlpolicy.Person)...)
	p.AllowElements("iframe")
	p.AllowAttrs("src").Matching(embedSrc).OnElements("iframe")
	p.AllowAttrs("width", "height", "allowfullscreen", "title").OnElements("iframe")
	p.AllowAttrs("class").Matching(className).OnElements("figure", "img", "span", "div", "p")
	return p
}()

var (
	// embedSrc are the iframe sources kept: the embed paths of YouTube's
	// and Vimeo's players, over https.
	embedSrc = regexp.MustCompile(`^https://(?:www\.)?(?:youtube\.com|youtube-nocookie\.com)/embed/|^https://player\.vimeo\.com/video/`)
	// className is a plain class attribute: words, spaces and dashes.
	className = regexp.MustCompile(`^[\w -]{1,100}$`)
)

// EmbedAllowed reports whether an iframe with the absolute URL src may
// stay: one of the players of embedSrc, with a path a browser does not
// resolve out of the player's folder (/embed/x/../../watch, or the dots
// and slashes percent-encoded; embedSrc only looks at the prefix).
func EmbedAllowed(src string) bool {
	if !embedSrc.MatchString(src) {
		return false
	}
	u, err := url.Parse(src)
	if err != nil {
		return false
	}
	esc := strings.ToLower(u.EscapedPath())
	if strings.Contains(esc, "%2e") || strings.Contains(esc, "%2f") || strings.Contains(esc, "%5c") {
		return false
	}
	return path.Clean(u.Path) == strings.TrimSuffix(u.Path, "/")
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

// IsPixel reports whether an <img> is a tracking pixel: declared at most
// 1×1 (width and height as written; one of them may be missing, not
// both), or served from a known pixel host (host as in URL.Hostname).
func IsPixel(width, height, host string) bool {
	w, h := sizeAttr(width), sizeAttr(height)
	if tiny(w) && tiny(h) && (w != "" || h != "") {
		return true
	}
	return slices.Contains(pixelHosts, strings.TrimSuffix(strings.ToLower(host), "."))
}

// sizeAttr is a width or height as browsers read it for the pixel test:
// digits, optionally followed by "px" or "%", else "" (unknown), so that a
// value the policy drops cannot hide a 1-pixel other side.
func sizeAttr(v string) string {
	s := strings.TrimSuffix(strings.TrimSpace(v), "px")
	digits := strings.TrimSuffix(s, "%")
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return ""
	}
	return s
}

// tiny reports whether a size from sizeAttr is at most 1 pixel ("" is
// unknown: tiny only together with the other one being tiny; a
// percentage is never tiny).
func tiny(v string) bool {
	if v == "" {
		return true
	}
	n, err := strconv.Atoi(v)
	return err == nil && n <= 1
}
