// Package scrape builds a feed from a page that has none: CSS selectors
// (goquery and cascadia) pick the items on the page and, inside each, its
// title, link, date, summary and content. Links are made absolute and
// canonical (fetcher/urlclean) and give the items their ids; dates are
// read leniently.
//
// It neither fetches nor cleans: the fetcher gets the page like a feed and
// hands the gofeed.Feed built here to fetcher/normalize, the same path as
// every parsed feed.
package scrape
