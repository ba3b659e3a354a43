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
// It must not make the security decision itself: whatever its pass
// writes, sanitize.HTML has the last word. It does not fetch or parse
// feeds.
package normalize
