package normalize

import (
	"net/url"
	"slices"
	"strings"

	"golang.org/x/net/html"

	"github.com/feedmill/feedmill/fetcher/boilerplate"
	"github.com/feedmill/feedmill/fetcher/fingerprint"
	"github.com/feedmill/feedmill/fetcher/sanitize"
	"github.com/feedmill/feedmill/internal/htmlblock"
	"github.com/feedmill/feedmill/storage"
)

// Item HTML (Summary and Content) is cleaned at ingest, in this order:
//
//  1. our pass (clean.go), which only rewrites and removes: boilerplate
//     lines and blocks (package boilerplate), FeedBurner flare blocks,
//     tracking pixels and iframes that are not allowed embeds (package
//     sanitize's rules), scripts and styles with their content; relative
//     href/src made absolute against the item's link (else the feed's
//     base; gofeed already applies xml:base), links made canonical
//     (package urlclean);
//  2. sanitize.HTML, the security decision, last, on the pass's output;
//  3. the fingerprint, from the sanitized text.
//
// Plain text bodies (no markup) only lose their boilerplate lines and are
// escaped before step 2. Titles are plain text (normalize.go).

// Names recorded in Item.Cleaned for changes that are not boilerplate
// lines.
const (
	cleanedFlare  = "feedburner-flare"
	cleanedPixel  = "tracking-pixel"
	cleanedIframe = "iframe"
)

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
			if name := boilerplate.Match(text); name != "" {
				if !slices.Contains(*rules, name) {
					*rules = append(*rules, name)
				}
				return true
			}
			return false
		})
	}
	return strings.TrimSpace(sanitize.HTML(s)), img
}

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
	rules := it.Cleaned // the URLs the policy refused (urls.go)
	it.Summary, summaryImg = cleanBody(it.Summary, base, &rules)
	it.Content, contentImg = cleanBody(it.Content, base, &rules)
	it.Cleaned = rules
	body := it.Content
	if body == "" {
		body = it.Summary
	}
	it.Fingerprint, it.Lead = fingerprint.Of(it.Title, body)
	return summaryImg, contentImg
}
