// Package fulltext turns an item and its article page into the item's
// story: Extract finds the story's HTML in the page (the user's
// content_selector when one is given and matches, else go-readability),
// with the page's byline and lead image, and checks it against the feed's
// teaser (a story that does not carry the teaser's words is suspect).
// IsTeaser is the rule that decides, for full_text: auto, whether an
// item's body is a teaser worth fetching the page for.
//
// It does not fetch anything, clean or sanitize the story (the fetcher
// runs every body through fetcher/normalize), or store it.
package fulltext
