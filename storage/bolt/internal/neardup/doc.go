// Package neardup is the store's near-duplicate index: it puts copies of
// one story carried by several sources into one story. Each item comes
// with two summaries of its cleaned text, computed by the fetcher: a
// 64-bit SimHash (Doc.Fingerprint), and hashes of its opening word
// 3-shingles (Doc.Lead). The index files both under keys of a bbolt
// bucket so that a lookup reads ten groups whatever the store's size, and
// confirms every candidate with data kept in the index itself.
//
// It owns the bucket's layout: records, groups, shards and their merges
// (index.go, shard.go), Check, and the migrations from its earlier layouts
// (migrate.go). The store calls AssignStory for a new item, Put and Delete
// as items change or go, Joined before a lone item whose text changed
// looks for its story again, Compare for explanations, and Check; each
// inside the store's own transaction.
//
// It must not know feedmill's items, sources or other buckets, open files
// or transactions, or commit: the store decides what is indexed and when.
package neardup
