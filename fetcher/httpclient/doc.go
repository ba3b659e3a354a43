// Package httpclient gets feed bodies over HTTP: one keep-alive client
// with feedmill's headers, a source's request options (credentials kept
// to its origin, headers, user agent, proxy: HTTP CONNECT or SOCKS5),
// conditional GET validators, redirects followed (at most MaxRedirects,
// loops refused, permanence traced), the SSRF guard that refuses
// non-public addresses at dial time (the proxy's and the target's),
// Content-Encoding undone within a size limit, and the body's charset
// converted to UTF-8.
//
// It knows nothing of sources, schedules or the store, and never parses a
// feed: the fetcher decides what to ask and what an answer means.
package httpclient
