// Package fetcher gets items in: the HTTP client (one shared keep-alive
// client, conditional GET, gzip, body and time limits, per-host politeness),
// the scheduler that decides when each source is due, parsing with gofeed,
// and the normalization and cleaning of items before they reach storage.
//
// It writes only through storage's domain operations and never serves
// anything: publishing is feedserver's room.
//
// Where things are:
//
//	options.go      Options and their defaults
//	client.go       Fetcher, New, the shared http.Client, redirect policy
//	guard.go        refusing loopback/private/link-local addresses at dial time
//	conditional.go  If-None-Match / If-Modified-Since, 304 validators
//	body.go         Content-Encoding (gzip, br, deflate) and the size limit
//	charset.go      HTTP charset vs XML prolog vs BOM, conversion to UTF-8
//	parse.go        gofeed, RSS ttl/skipHours hints, HTML detection
//	discover.go     <link rel="alternate"> feed discovery in HTML pages
//	normalize.go    gofeed items -> storage.Item (text, links, dates)
//	canonical.go    Canonical: canonical absolute URLs
//	tracking.go     the tracking query parameters Canonical removes
//	fetch.go        one source: request, status handling, new fetch state
//	schedule.go     next due time, backoff, jitter, Retry-After, cron
//	pass.go         Pass: one pass with workers and per-host limits
//	run.go          Run: the daemon's scheduler loop, Reschedule
package fetcher
