package normalize

import (
	"net/url"
	"slices"

	"github.com/feedmill/feedmill/fetcher/urlclean"
	"github.com/feedmill/feedmill/internal/urlpolicy"
)

// Every URL of an item passes the URL policy (package urlpolicy) at
// ingest: links, the site link, enclosures and images must be http(s)
// (links then canonical), body href/src may also be mailto (clean_url.go).
// A refused URL is dropped, and its kind recorded in Item.Cleaned, for
// `feedmill explain` to say so.
const (
	cleanedLink      = "unsafe-url:link"
	cleanedSite      = "unsafe-url:site" // the feed's own link
	cleanedEnclosure = "unsafe-url:enclosure"
	cleanedImage     = "unsafe-url:image"
)

// webURL is raw, resolved against base, as the policy publishes an http(s)
// URL.
func webURL(raw string, base *url.URL) (string, error) {
	return urlpolicy.Clean(Text(raw), base, urlpolicy.Web)
}

// webLink is webURL made canonical (package urlclean).
func webLink(raw string, base *url.URL) (string, error) {
	u, err := webURL(raw, base)
	if err != nil {
		return "", err
	}
	return urlclean.Canonical(u, nil)
}

// noteCleaned adds name to an item's Cleaned, once.
func noteCleaned(cleaned *[]string, name string) {
	if !slices.Contains(*cleaned, name) {
		*cleaned = append(*cleaned, name)
	}
}
