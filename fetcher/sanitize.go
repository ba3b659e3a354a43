package fetcher

import (
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"

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
//  4. an allowlist sanitizer (allowlist.go: bluemonday's user-content
//     policy, written out as a table) keeps formatting, links, images,
//     tables and figures, and drops scripts, styles, forms, event handlers
//     and every URL that is not http(s) or mailto (javascript:, data:,
//     vbscript: ...).
//
// All four happen in one streaming pass over each body (clean.go); plain
// text bodies (no markup) only lose their boilerplate lines and are
// escaped.
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

// plainEmbedPath refuses an embed URL whose path a browser would resolve
// out of the player's folder (/embed/x/../../watch, or the dots and slashes
// percent-encoded): embedSrc only looks at the prefix.
func plainEmbedPath(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	esc := strings.ToLower(u.EscapedPath())
	if strings.Contains(esc, "%2e") || strings.Contains(esc, "%2f") || strings.Contains(esc, "%5c") {
		return false
	}
	return path.Clean(u.Path) == strings.TrimSuffix(u.Path, "/")
}

// cleanBody cleans the HTML of a Summary or Content (see above). base
// resolves relative URLs (nil: they stay relative). It records the rules
// that changed something, and returns the body's first <img src> as
// gofeed's image scan would have found it (image.go).
func cleanBody(s string, base *url.URL, rules *[]string) (string, bodyImage) {
	if strings.TrimSpace(s) == "" {
		return "", bodyImage{}
	}
	var img bodyImage
	if looksLikeMarkup(s) {
		s, img = cleanHTML(s, base, rules) // clean.go
	} else {
		// Plain text: its lines are the text's lines.
		s, _ = htmlblock.RemoveFrom(html.EscapeString(html.UnescapeString(s)), func(text string) bool {
			if name := cruftRule(text); name != "" {
				if !slices.Contains(*rules, name) {
					*rules = append(*rules, name)
				}
				return true
			}
			return false
		})
	}
	return strings.TrimSpace(policy.Sanitize(s)), img
}

// policy is the security decision on every body, run last: bluemonday's
// user-generated-content policy, without rel="nofollow", with http,
// https and mailto URLs, a plain class on a few elements, and iframes
// only from the video players of embedSrc.
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

// cleanItem cleans an item's Summary and Content (boilerplate, URLs,
// sanitizing), records what changed it, and computes its fingerprint from
// the cleaned text. base is the feed's base URL; the item's own link wins
// over it for relative URLs in the body.
// It returns the first <img src> of each body (image.go).
func cleanItem(it *storage.Item, base *url.URL) (summaryImg, contentImg bodyImage) {
	if it.Link != "" {
		if u, err := url.Parse(it.Link); err == nil && u.IsAbs() {
			base = u
		}
	}
	var rules []string
	it.Summary, summaryImg = cleanBody(it.Summary, base, &rules)
	it.Content, contentImg = cleanBody(it.Content, base, &rules)
	it.Cleaned = rules
	fingerprintItem(it)
	return summaryImg, contentImg
}
