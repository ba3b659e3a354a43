// Package storage is feedmill's store: one embedded bbolt file holding the
// sources, their items, the indexes channels read (by source and time, by
// publication time), the identity index that keeps an item from being stored
// twice, fetch state, the schema version, retention and backup.
//
// It defines the domain types every other room shares (Source, Item, Fetch)
// and speaks in domain operations (record a fetch, items of these sources
// since T), never in buckets, so that another backend can stand behind the
// same API. It imports nothing of feedmill's and knows nothing of HTTP,
// feed formats or channels.
package storage
