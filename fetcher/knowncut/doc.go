// Package knowncut leaves the items the store is expected to hold out of
// gofeed's parse: a Cache remembers, per source, what each <item> element
// of its last parsed RSS document became (the fields storage reads of a
// known item, and the date the schedule reads), by a keyed hash of the
// element's bytes and their context (everything before the channel's
// content: declarations, the <rss> and <channel> start tags with their
// namespaces); Scan finds the elements of a new body, Cut returns the
// body without the remembered ones and their entries, and
// normalize.FeedKept puts them back in their places. The fetcher uses it
// behind a switch (Options.NoKnownCut).
//
// It must never lose or change an item against the whole parse: the scan
// follows the body as encoding/xml would (fetcher/internal/xmlscan) and
// refuses anything it does not model (Atom, JSON Feed, RSS 1.0, another
// charset, an item outside the channel, mismatched tags); the fetcher
// parses the whole body whenever the cut parse does not account for
// every item, the feed's normalize.Context differs, or the store does not
// hold a kept item under its identity and raw hash (KnownRaw). Entries
// live in memory only, within a byte budget.
//
// It does not parse feeds, clean items or read the store.
package knowncut
