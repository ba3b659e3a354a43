package fetcher

import (
	"net/url"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/feedmill/feedmill/fetcher/httpclient"
	"github.com/feedmill/feedmill/fetcher/knowncut"
	"github.com/feedmill/feedmill/fetcher/normalize"
	"github.com/feedmill/feedmill/fetcher/parse"
	"github.com/feedmill/feedmill/storage"
)

// scanKnown scans a source's body for the known-item cut (package
// knowncut): not when it is off, nor for a scraped source.
func (f *Fetcher) scanKnown(src storage.Source, body []byte) (knowncut.Doc, bool) {
	if f.known == nil || f.scraper(src) != nil {
		return knowncut.Doc{}, false
	}
	return f.known.Scan(body)
}

// takeCut is takeFeed for a body whose known items it can leave out of
// the parse: it parses the rest, puts the known items back in their
// places (normalize.FeedKept) and records the feed in st and fetch. It
// reports false, having recorded nothing, whenever the cut parse does not
// account for every item exactly: a parse error, an item count that does
// not add up, another feed context, a kept item the store no longer
// holds. The caller then parses the whole body.
func (f *Fetcher) takeCut(src storage.Source, resp *httpclient.Response, body []byte, doc knowncut.Doc, now time.Time,
	st *storage.FetchState, fetch *storage.Fetch) bool {
	cut, kept, keptDates, context := f.known.Cut(src.ID, doc, now)
	if len(kept) == 0 {
		return false
	}
	feed, hints, err := parse.Feed(cut, parse.Options{})
	if err != nil || feed.FeedType != "rss" || len(feed.Items)+len(kept) != doc.Items() ||
		normalize.Context(feed, resp.FinalURL, f.limits()) != context {
		return false
	}
	dates := knowncut.Merge(knowncut.Dates(feed), kept, keptDates)
	var unheld []int // places of kept items the store does not hold
	known := func(items []storage.Item) []bool {
		held := f.store.KnownRaw(src.ID, items)
		for _, k := range kept {
			if k.At < len(held) && !held[k.At] {
				unheld = append(unheld, k.At)
			}
		}
		return held
	}
	meta, items, ok := normalize.FeedKept(feed, resp.FinalURL, now, f.limits(), known, kept)
	if !ok {
		f.known.Unheld(src.ID, doc, unheld)
		return false
	}
	if resp.Permanent {
		fetch.NewURL = resp.FinalURL.String()
	}
	f.useFeed(src, true, resp, body, knowncut.ScheduleFeed(feed, dates), hints, meta, items, now, st, fetch)
	f.known.Remember(src.ID, doc, context, now, items, dates)
	f.knownCuts.Add(1)
	return true
}

// rememberKnown keeps what the document's items became, for the next
// fetch's cut.
func (f *Fetcher) rememberKnown(src storage.Source, doc knowncut.Doc, feed *gofeed.Feed, feedURL *url.URL, now time.Time, items []storage.Item, dates []time.Time) {
	f.known.Remember(src.ID, doc, normalize.Context(feed, feedURL, f.limits()), now, items, dates)
}
