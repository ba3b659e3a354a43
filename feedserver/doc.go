// Package feedserver gets items out: channels (selecting sources, filtering,
// collapsing duplicates), rendering RSS 2.0, Atom 1.0 and JSON Feed 1.1 with
// gorilla/feeds, HTTP handlers with validators, 304s and gzip, the cache of
// rendered bytes, and the HTML pages.
//
// It only reads the store; it never fetches from upstream servers.
package feedserver
