// Package channel decides what a channel shows: it validates a channel's
// config, works out which sources it selects (Resolve), reads their items
// from the store and applies the channel's rules (strip lines, min_length,
// include and exclude filters, one item per story with "Also ran in",
// max_per_source, pages; Assemble), and tells why an item was shown,
// dropped or collapsed (Explain).
//
// It only reads the store. It knows nothing of HTTP, feed formats or
// caching: feedserver renders and serves what it assembles.
package channel
