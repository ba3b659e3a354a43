// Package urlclean makes links canonical, as feedmill stores and
// publishes them: absolute, scheme and host lower-case, default port and
// fragment dropped, tracking query parameters (utm_*, fbclid, ...)
// removed, everything else kept as written.
//
// It only rewrites URL strings: it never fetches, and it does not decide
// whether a URL is safe to show (that is the URL policy's job,
// internal/urlpolicy, applied before it).
package urlclean
