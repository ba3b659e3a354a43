// Package admin is the HTTP admin API under /api/: listing sources with
// their status, adding, removing, pausing and resuming them, and passes
// on demand, behind a bearer token and a per-client rate limit.
//
// It reads and writes sources through the store; anything that needs the
// fetcher (passes, adding and removing sources) goes through the Daemon
// interface that cmd/feedmill implements. It never fetches and never
// imports fetcher.
package admin
