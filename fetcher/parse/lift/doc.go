// Package lift takes the large CDATA item bodies out of an RSS document
// before gofeed parses it and puts them back into gofeed's rss.Feed
// after: the same feed for a fraction of gofeed's work. fetcher/parse
// uses it behind a switch (parse.Options.NoLift) and falls back to the
// whole body whenever Lift or Restore says no.
//
// It must never change what a feed means: it lifts only what it can
// follow exactly as encoding/xml reads it, and every restore is checked.
// It does not parse feeds or decode text.
package lift
