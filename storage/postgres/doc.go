// Package postgres is the PostgreSQL store: one database shared by
// several feedmill processes (replicas), with the same semantics as
// storage/bolt (identity, tombstones, retention, stories, Version).
//
// It owns its schema (sql/NNNN_*.sql, applied once under an advisory lock
// by Open), the near-duplicate index in SQL (one row per item and LSH key,
// partitioned by day; the rules are storage/internal/similar's, shared
// with bolt), the change feed that moves Version when another process
// commits (a transaction-visibility watermark polled every second), and
// the optional abilities of a shared store: Claimer (sources leased by
// host shard, claimed with FOR UPDATE SKIP LOCKED, fenced by lease
// tokens), RenderStamper, Exporter and Importer.
//
// It must not know feeds, HTTP or channels, nor schedule fetches: the
// fetcher computes every due time (FetchState.NextDue) and the store only
// keeps it. It never logs or returns a DSN's password.
package postgres
