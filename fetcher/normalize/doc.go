// Package normalize turns a parsed feed into what storage keeps: the
// feed's metadata and its items (storage.Item) with plain-text titles,
// every URL through the URL policy (urls.go, internal/urlpolicy; a refusal
// recorded in Item.Cleaned), canonical http(s) links, sane dates, the
// item's image, and bodies
// cleaned in order: our one tokenizer pass (clean.go: boilerplate lines,
// pixels, flare and foreign iframes out, URLs absolute and canonical),
// then sanitize.HTML, then the fingerprint of the sanitized text. It
// also applies the caps on items and bytes (Limits).
//
// Each field follows one rule (fields.go, and the README's "What a
// channel carries"): the item's value, else the feed's, else none. Items
// are prepared first (every field but the bodies); FeedSkipping asks the
// store which of them it holds with the same raw hash (known.go) and
// cleans only the others; FeedKept (kept.go) does the same for a feed
// parsed with some known items left out (package knowncut), putting them
// back in their places, and Context and Reusable say when that is sound.
// ParseDate (dates.go) reads the dates gofeed
// does not.
//
// CleanStory (story.go) gives the story of an item's article page the
// same cleaning.
//
// It must not make the security decision itself: whatever its pass
// writes, sanitize.HTML has the last word. It does not fetch or parse
// feeds.
package normalize
