// Package testfeeds gives tests the shared test feeds (../shared/testdata
// from the worktree's root) as UTF-8 bodies, and builds small RSS feeds
// with chosen item dates. Tests only: it reads files,
// never fetches, and its charset handling is good enough for tests, not
// the fetcher's.
package testfeeds
