package schedule

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
)

// Adaptive intervals: a source without its own every/cron is polled about
// as often as it publishes, judged by the dates of the items it carries.
const (
	// gapItems is how many of the newest item dates the gap is taken from.
	gapItems = 10
	// futureSlack is how far in the future an item date may be before it
	// is ignored as bogus.
	futureSlack = time.Hour
)

// adaptiveInterval is the interval of a source from its observed
// publishing rate: the median gap between its newest items. A feed that
// has gone quiet (its newest item older than twice its usual gap) is
// polled at half the time since that item, so a dormant feed drifts
// towards max_interval. Without an observation (a new source, a feed
// without dates or with a single one) it is def. The caller clamps the
// result to [min_interval, max_interval].
func adaptiveInterval(gap time.Duration, newest, now time.Time, def time.Duration) time.Duration {
	if gap <= 0 {
		return def
	}
	d := gap
	if !newest.IsZero() {
		if quiet := now.Sub(newest); quiet > 2*gap {
			d = quiet / 2
		}
	}
	return d
}

// PublishGap returns the median gap between the newest (up to gapItems)
// distinct item dates of feed, and the newest date; zero when fewer than
// two distinct usable dates. Dates more than futureSlack after now are
// ignored.
func PublishGap(feed *gofeed.Feed, now time.Time) (time.Duration, time.Time) {
	if feed == nil {
		return 0, time.Time{}
	}
	dates := make([]time.Time, 0, len(feed.Items))
	for _, it := range feed.Items {
		if it == nil {
			continue
		}
		t := ItemDate(it)
		if t == nil || t.IsZero() || t.After(now.Add(futureSlack)) {
			continue
		}
		dates = append(dates, t.UTC())
	}
	slices.SortFunc(dates, func(a, b time.Time) int { return b.Compare(a) })
	dates = slices.CompactFunc(dates, time.Time.Equal)
	if len(dates) < 2 {
		return 0, firstOrZero(dates)
	}
	if len(dates) > gapItems {
		dates = dates[:gapItems]
	}
	gaps := make([]time.Duration, len(dates)-1)
	for i := range gaps {
		gaps[i] = dates[i].Sub(dates[i+1])
	}
	slices.Sort(gaps)
	m := gaps[len(gaps)/2]
	if len(gaps)%2 == 0 {
		m = (gaps[len(gaps)/2-1] + m) / 2
	}
	return m, dates[0]
}

// ItemDate is the date PublishGap reads of an item: gofeed's published
// date, else its updated date; nil when neither is set.
func ItemDate(it *gofeed.Item) *time.Time {
	if t := it.PublishedParsed; t != nil && !t.IsZero() {
		return t
	}
	return it.UpdatedParsed
}

func firstOrZero(ts []time.Time) time.Time {
	if len(ts) == 0 {
		return time.Time{}
	}
	return ts[0]
}

// syPeriods are the sy:updatePeriod units (RSS 1.0 syndication module).
var syPeriods = map[string]time.Duration{
	"hourly":  time.Hour,
	"daily":   24 * time.Hour,
	"weekly":  7 * 24 * time.Hour,
	"monthly": 30 * 24 * time.Hour,
	"yearly":  365 * 24 * time.Hour,
}

// SyndicationPeriod is the feed's sy:updatePeriod divided by its
// sy:updateFrequency (default 1): how often the publisher says the feed
// changes. gofeed keeps the module under the prefix the document used,
// usually "sy"; any prefix with an updatePeriod element counts. Zero when
// absent or unknown.
func SyndicationPeriod(feed *gofeed.Feed) time.Duration {
	if feed == nil {
		return 0
	}
	for _, ext := range feed.Extensions {
		periods := ext["updatePeriod"]
		if len(periods) == 0 {
			continue
		}
		unit, ok := syPeriods[strings.ToLower(strings.TrimSpace(periods[0].Value))]
		if !ok {
			continue
		}
		freq := int64(1)
		if fs := ext["updateFrequency"]; len(fs) > 0 {
			if n, err := strconv.ParseInt(strings.TrimSpace(fs[0].Value), 10, 64); err == nil && n > 0 {
				freq = n
			}
		}
		return unit / time.Duration(freq)
	}
	return 0
}
