// Package storagetest is the conformance suite of storage.Store: every
// domain rule a backend must keep (identity, updates, tombstones,
// retention, stories, full text, subscriptions, versions, export and
// import), asserted once and run against each backend by a test of its
// own package (storagetest.Run with a function that opens a fresh store).
//
// It drives time only through storage.Options.Now, so a backend must take
// every time it stores or compares from that clock. What is about one
// backend's medium (a file's lock, a database's schema) stays in that
// backend's tests.
//
// It is for tests only: production code must not import it.
package storagetest
