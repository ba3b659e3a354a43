// Package websub is feedmill's WebSub subscriber (W3C WebSub
// recommendation): it subscribes sources to the hubs their feeds
// announce, answers the hubs' verification of intent for the
// subscriptions it asked for, checks the signature of each content
// distribution, renews leases before they end and unsubscribes sources
// that are gone. Subscriptions are kept in the store.
//
// It does not serve HTTP (feedserver routes /websub/ to Verify and
// Deliver through an interface the daemon wires) and does not ingest:
// an accepted body goes to Options.Ingest, the fetcher's.
package websub
