// Package parse turns a fetched UTF-8 body into a gofeed.Feed: gofeed
// with a translator that keeps the RSS schedule hints (ttl, skipHours,
// skipDays) and marks which bodies an item's image is to be taken from;
// the lifted parse of large CDATA bodies (package lift, off with
// Options.NoLift); telling an HTML page from a feed, and finding the feed
// an HTML page names (<link rel="alternate">); and escaping the fields a
// feed types as text (texttype.go), so that normalize's one reading of
// titles, names and categories as HTML gives back every character.
//
// It does not fetch, convert charsets, clean or cap items: bodies come in
// as UTF-8 from the HTTP client, and fetcher/normalize takes the Feed.
package parse
