// Package storage declares what feedmill keeps and how every other room
// reaches it: the domain types every room shares (Source, Item, Fetch,
// Subscription), the pure rules that tell items apart (identity.go:
// ItemKeys, BodyHash), and the Store interface both backends implement —
// storage/bolt (one embedded bbolt file, the default) and
// storage/postgres (one PostgreSQL database shared by several replicas).
// Abilities only one backend has are optional interfaces found by type
// assertion: Backuper and Checker (bolt), Claimer and RenderStamper
// (postgres), Exporter and Importer (both, for `feedmill store copy`).
//
// It speaks in domain operations (record a fetch, items of these sources
// since T), never in buckets or tables. It imports no backend and nothing
// of feedmill's, and knows nothing of HTTP, feed formats or channels.
package storage
