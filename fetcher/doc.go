// Package fetcher gets items in: the HTTP client (one shared keep-alive
// client, conditional GET, gzip, body and time limits, per-host politeness),
// the scheduler that decides when each source is due, parsing with gofeed,
// and the normalization and cleaning of items before they reach storage.
//
// It writes only through storage's domain operations and never serves
// anything: publishing is feedserver's room.
package fetcher
