// Package fetcher gets items in: Fetcher, Pass and Run poll the sources
// when they are due (the rules are package schedule's), with a worker pool
// and per-host politeness (requests in flight and spacing per host), get
// them through package httpclient (client, SSRF guard, limits, charset,
// conditional GET), parse and clean the items, and record each fetch in
// the store; a fetch the store cannot record backs off in memory. It
// counts what happened for /metrics and logs a lasting failure (store,
// network) once per cause.
//
// It writes only through storage's domain operations and never serves
// anything: publishing is feedserver's room.
//
// Where things are:
//
//	options.go      Options and their defaults
//	fetcher.go      Fetcher, New: the httpclient.Client over the per-host
//	                rate transport
//	controls.go     the C0 controls httpclient.ToUTF8 removes, for item text
//	limits.go       caps on items per feed and bytes per item (truncation)
//	parse.go        gofeed, RSS ttl/skipHours hints, HTML detection
//	parse_cdata.go  large RSS item bodies (CDATA or escaped text) lifted out
//	                before gofeed parses and put back after (the same feed,
//	                less of gofeed's work)
//	discover.go     <link rel="alternate"> feed discovery in HTML pages
//	normalize.go    gofeed items -> storage.Item (text, links, dates)
//	sanitize.go     item HTML cleaning: what it does and in which order,
//	                pixel and embed hosts, cleanItem/cleanBody
//	clean.go        the cleaning pass: one streaming tokenizer pass per
//	                body does all of sanitize.go
//	clean_tags.go   one tag in that pass: allowed attributes, URLs, pixels
//	clean_attrs.go  a tag's attributes read from its raw bytes (TagAttr's
//	                answer, without its copies; falls back to it)
//	clean_atoms.go  the per-pass cache of what the allowlist says of a tag
//	clean_url.go    URLs that need no url.Parse to clean (cleanURL's answer)
//	clean_text.go   a line's collapsed text for the boilerplate rules
//	clean_words.go  the fingerprint's words, hashed as the text is written
//	allowlist.go    the elements and attributes kept (bluemonday's UGC
//	                policy as a table; bluemonday is the tests' oracle)
//	image.go        Item.Image: gofeed's precedence, first <img> from the pass
//	boilerplate.go  the named news-cruft rules (READ MORE, Related:, ...)
//	boilerplate_prefix.go  the rules' first-bytes filter
//	fingerprint.go  SimHash and lead shingles for near-duplicate stories
//	canonical.go    Canonical: canonical absolute URLs
//	tracking.go     the tracking query parameters Canonical removes
//	fetch.go        one source: request, status handling, new fetch state
//	storehold.go    in-memory backoff of sources whose fetch the store
//	                could not record
//	metrics.go      counters for /metrics: fetches by outcome and by status
//	                class, store errors, bytes, items
//	netdown.go      network down: failures that penalize nobody
//	hostrate.go     per-host request spacing (token bucket per host; idle
//	                hosts swept)
//	pass.go         Pass: one pass with workers and per-host limits
//	run.go          Run: priority queue of due times, worker pool, fetch.cron
package fetcher
