package parse

import (
	"bytes"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/feedmill/feedmill/internal/urlpolicy"
)

// feedTypes are the <link type> values that name a feed.
var feedTypes = map[string]bool{
	"application/rss+xml":   true,
	"application/atom+xml":  true,
	"application/feed+json": true,
	"application/json":      false, // too vague on its own (oEmbed, APIs)
	"application/rdf+xml":   true,
	"text/xml":              false,
}

// DiscoverFeed returns the absolute URL of the first
// <link rel="alternate" type="application/rss+xml|atom+xml|feed+json"
// href=...> in an HTML page, resolved against the page's <base href> or
// its own URL; "" when there is none.
func DiscoverFeed(body []byte, pageURL *url.URL) string {
	z := html.NewTokenizer(bytes.NewReader(body))
	base := pageURL
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			if a == atom.Body {
				return "" // feed links live in <head>
			}
			if !hasAttr || (a != atom.Link && a != atom.Base) {
				continue
			}
			var rel, typ, href string
			for {
				k, v, more := z.TagAttr()
				switch string(k) {
				case "rel":
					rel = string(v)
				case "type":
					typ = string(v)
				case "href":
					href = strings.TrimSpace(string(v))
				}
				if !more {
					break
				}
			}
			if a == atom.Base {
				if b, err := base.Parse(href); err == nil && href != "" {
					base = b
				}
				continue
			}
			if href == "" || !hasToken(rel, "alternate") {
				continue
			}
			mt, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(typ)), ";")
			if !feedTypes[strings.TrimSpace(mt)] {
				continue
			}
			// Followed only when the URL policy allows it (http(s), a
			// valid host...).
			u, err := urlpolicy.Clean(href, base, urlpolicy.Web)
			if err != nil {
				continue
			}
			return u
		}
	}
}

// hasToken reports whether the space-separated list s contains tok,
// ignoring case.
func hasToken(s, tok string) bool {
	for _, f := range strings.Fields(s) {
		if strings.EqualFold(f, tok) {
			return true
		}
	}
	return false
}
