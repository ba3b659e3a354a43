// Package render writes a channel's items as RSS 2.0, Atom 1.0 and JSON
// Feed 1.1 with gorilla/feeds (its types extended where they lack what
// readers need: self and page links, categories, sources, the WebSub hub),
// the same items always to the same bytes. What it writes is valid by
// construction: every URL passes the URL policy again at output, and
// each format gets what it requires (publish.go: Publishable; rss.go,
// atom.go: no empty <link>, content or an alternate link).
//
// It is pure: a Doc in, bytes out. It reads no store, serves nothing and
// caches nothing.
package render
