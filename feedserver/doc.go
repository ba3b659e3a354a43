// Package feedserver publishes channels over HTTP: the net/http handlers
// of every public path (the index, channel previews and feeds, /opml,
// /healthz, /metrics, the admin API under /api/, the WebSub subscriber
// callbacks under /websub/ handed to Options.WebSub), the cache of
// rendered documents, the HTML pages and WebSub pings.
//
// A request for a feed goes: handlers.go parses the path and page;
// server.go's get finds the document in the cache (cache.go) or builds it:
// the channel's sources and items come from package channel (resolved and
// assembled once per store state and shared by the formats, assembly.go),
// the bytes from package render or, for the preview, index.go's templates.
// rendition.go holds a built document in every content coding it is served
// in (identity, gzip, brotli) with its validators and header values
// prepared once; handlers.go answers with ETag, Last-Modified, 304s, HEAD
// and Vary: Accept-Encoding.
//
// The cache keeps renditions under a byte budget (Options.CacheMaxBytes):
// least recently used out first, a channel's renditions of an older store
// state at once; concurrent requests for one missing document share its
// build. Everything else kept per use is bounded: one assembly per channel
// (its first page), admin rate limiters per client address (package
// admin, at most 4,096), metric labels and WebSub state per configured
// channel. A channel that cannot be read from the store is logged once
// per run of failures (readerrors.go), not per request.
//
// It only reads the store (the admin API writes sources through it); it
// never fetches from upstream servers and never writes files.
package feedserver
