// Package feedserver gets items out: channels (selecting sources, filtering,
// collapsing duplicates), rendering RSS 2.0, Atom 1.0 and JSON Feed 1.1 with
// gorilla/feeds, the net/http handlers of every public path, the cache of
// rendered documents, and the HTML pages.
//
// filter.go compiles include/exclude entries (with field prefixes);
// collapse.go is the selector: strip lines, min_length, filters, one item
// per story with "Also ran in", max_per_source; explain.go tells why an
// item was shown, dropped or collapsed.
//
// rendition.go holds a rendered document in every content coding it is
// served in (identity, gzip, brotli) with its validators and header values
// prepared once; cache.go keeps renditions under a byte budget (least
// recently used out first, a channel's older states at once, builds of one
// document shared by the requests that wait for it); handlers.go serves
// them with ETag, Last-Modified, 304s, HEAD and Vary: Accept-Encoding.
//
// pagination.go pages long channels (?page=N, RFC 5005 next/previous);
// websub.go names the WebSub hub in the feeds and pings it on changes;
// admin.go is the admin API under /api/ (Bearer token, per-client rate
// limit; passes go through the Admin interface the daemon implements, as
// this package never fetches); metrics.go serves /metrics.
//
// It only reads the store; it never fetches from upstream servers, and it
// never writes files.
package feedserver
