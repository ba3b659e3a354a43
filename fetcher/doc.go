// Package fetcher gets items in: the HTTP client (one shared keep-alive
// client, conditional GET, gzip, body and time limits, per-host politeness),
// the scheduler that decides when each source is due, and, through its
// content packages below, parsing with gofeed and the normalization and
// cleaning of items before they reach storage.
//
// It writes only through storage's domain operations and never serves
// anything: publishing is feedserver's room.
//
// Where things are:
//
//	options.go      Options and their defaults
//	client.go       Fetcher, New, the shared http.Client, redirect policy
//	guard.go        SSRF guard: refusing non-public addresses at dial time
//	conditional.go  If-None-Match / If-Modified-Since, 304 validators
//	body.go         Content-Encoding (gzip, br, deflate), the size limit,
//	                reused body buffers
//	charset.go      HTTP charset vs XML prolog vs BOM (UTF-8/16/32), to UTF-8
//	limits.go       the defaults of Options.MaxItems and MaxItemBytes
//
// The content pipeline, one package each (see their doc.go):
//
//	parse           gofeed, RSS schedule hints, HTML detection, feed
//	                discovery; parse/lift: large CDATA bodies lifted out
//	                before gofeed parses (parse.Options.NoLift: off)
//	normalize       gofeed items -> storage.Item (text, links, dates,
//	                image), the item cleaning pass, caps on items and bytes
//	sanitize        bluemonday's policy, last on every body; pixel and
//	                embed rules
//	boilerplate     the named news-cruft rules (READ MORE, Related:, ...)
//	urlclean        canonical links, tracking parameters
//	fingerprint     SimHash and lead shingles for near-duplicate stories
//
//	fetch.go        one source: request, status handling, new fetch state
//	schedule.go     next due time: the one pure function of all the rules
//	adaptive.go     adaptive interval from the publishing rate, sy:updatePeriod
//	skip.go         RSS skipHours/skipDays
//	cachecontrol.go Cache-Control max-age / Expires as a lower bound
//	metrics.go      counters for /metrics: fetches by status class, bytes, items
//	netdown.go      network down: failures that penalize nobody
//	hostrate.go     per-host request spacing (token bucket per host)
//	pass.go         Pass: one pass with workers and per-host limits
//	run.go          Run: priority queue of due times, worker pool, fetch.cron
package fetcher
