// Package feedserver gets items out: channels (selecting sources, filtering,
// collapsing duplicates), rendering RSS 2.0, Atom 1.0 and JSON Feed 1.1 with
// gorilla/feeds, HTTP handlers with validators, 304s and gzip, the cache of
// rendered bytes, and the HTML pages.
//
// filter.go compiles include/exclude entries (with field prefixes);
// collapse.go is the selector: strip lines, min_length, filters, one item
// per story with "Also ran in", max_per_source; explain.go tells why an
// item was shown, dropped or collapsed.
//
// pagination.go pages long channels (?page=N, RFC 5005 next/previous);
// websub.go names the WebSub hub in the feeds and pings it on changes;
// admin.go is the admin API under /api/ (Bearer token, per-client rate
// limit; passes go through the Admin interface the daemon implements, as
// this package never fetches); metrics.go serves /metrics.
//
// handlers.go is the net/http Handler for every path; fastpath.go answers
// the hot one, GET/HEAD of a cached channel render (200, 304, gzip), on
// fasthttp without allocating, and hands every other request to
// handlers.go through fasthttpadaptor. fasthttp is there because the
// serving target of docs/BENCHMARKS.md (nginx's 304 rate) is out of
// net/http's reach: its per-request parsing and scheduling cost ~15 µs of
// CPU per 304 here against nginx's ~10 µs.
//
// hotloop.go (HotListener) goes one step further for the daemon: a
// connection starts in feedmill's own loop, which answers requests of one
// strict form for a feed path (hotloop_request.go) with fasthttp's exact
// bytes, and hands the connection to fasthttp at its first other request;
// sendfile.go keeps large bodies in nameless files so that the loop sends
// them with sendfile. That took the rate of 200s of a 160 KB channel from
// ~0.87 × to ~0.95 × nginx's.
//
// It only reads the store; it never fetches from upstream servers.
package feedserver
