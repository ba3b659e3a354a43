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
//	fetch.go        one source: request, status handling, new fetch state
//	sourceopts.go   per-source options from the config (credentials,
//	                headers, user agent, proxy, scrape selectors), in
//	                memory only
//	storehold.go    in-memory backoff of sources whose fetch the store
//	                could not record
//	metrics.go      counters for /metrics: fetches by outcome and by status
//	                class, store errors, bytes, items
//	netdown.go      network down: failures that penalize nobody
//	hostrate.go     per-host request spacing (token bucket per host; idle
//	                hosts swept)
//	pass.go         Pass: one pass with workers and per-host limits
//	run.go          Run: priority queue of due times, worker pool, fetch.cron
//	fulltext.go     full text: the rule per source, which items want their
//	                article page, queuing them after the fetch is recorded
//	pages.go        the page queue: its own workers, round-robin over hosts
//	                within PerHost, retries after a backoff
//	page.go         one article page: robots.txt, the shared client, HTML
//	                only, extraction, cleaning, RecordFullText
//	limits.go       the defaults of Options.MaxItems and MaxItemBytes
//	knowncut.go     the parse without the known items, its fallback to
//	                the whole body
//
// Its packages, one concern each (see their doc.go):
//
//	httpclient      the HTTP client, SSRF guard, proxies, request options
//	                kept to their origin, body limits, charset,
//	                conditional GET validators
//	scrape          a feed built from a page without one (CSS selectors)
//	websub          the WebSub subscriber: subscriptions, verification,
//	                signed pushes, leases (websub.go wires it: pushes
//	                ingested as fetches, pushed sources polled at
//	                MaxInterval)
//	schedule        the pure due-time rules: interval, adaptive, skip
//	                hours/days, Cache-Control, Retry-After, backoffs
//	parse           gofeed, RSS schedule hints, HTML detection, feed
//	                discovery; parse/lift: large CDATA bodies lifted out
//	                before gofeed parses (parse.Options.NoLift: off)
//	knowncut        the known items of a source's RSS document left out of
//	                the parse, put back after (Options.NoKnownCut: off;
//	                knowncut.go wires it)
//	normalize       gofeed items -> storage.Item (text, links, dates,
//	                image), the item cleaning pass, caps on items and bytes
//	sanitize        bluemonday's policy, last on every body; pixel and
//	                embed rules
//	boilerplate     the named news-cruft rules (READ MORE, Related:, ...)
//	urlclean        canonical links, tracking parameters
//	fingerprint     SimHash and lead shingles for near-duplicate stories
//	fulltext        an item's story from its page (readability or the
//	                content_selector, our passes), the teaser rule
//	robots          robots.txt per host for page fetches
package fetcher
