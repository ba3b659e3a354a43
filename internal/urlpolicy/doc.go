// Package urlpolicy is feedmill's one rule for the URLs it publishes or
// follows: item links, site links, enclosures, images, author URIs and the
// href/src of item bodies, at ingest (fetcher) and again at output
// (feedserver). Clean reads a URL the way a browser does (the WHATWG URL
// rules: surrounding controls and spaces stripped, tabs and newlines
// removed, schemes case-insensitive, backslashes as slashes and extra
// slashes after http: and https:), resolves it against a base, and allows
// http and https only, with mailto where a person's address belongs. Hosts
// must be valid names or IP addresses, ports numbers that fit; URLs with
// credentials are refused. A refused URL comes back as an *Error that says
// why, for the caller to record.
//
// It decides and normalizes; it does not make links canonical (tracking
// parameters, default ports of other rooms: fetcher/urlclean), decode
// entities (the XML or HTML parser that read the URL has done that once),
// or fetch anything.
package urlpolicy
