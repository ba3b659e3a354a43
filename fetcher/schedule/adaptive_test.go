package schedule

import (
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/feedmill/feedmill/fetcher/internal/testfeeds"
)

// parseRSS parses a test feed with gofeed.
func parseRSS(doc string) (*gofeed.Feed, error) {
	return gofeed.NewParser().ParseString(doc)
}

func TestPublishGap(t *testing.T) {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	h := time.Hour
	tests := []struct {
		name       string
		dates      []time.Time
		wantGap    time.Duration
		wantNewest time.Time
	}{
		{"none", nil, 0, time.Time{}},
		{"one", []time.Time{ago(h)}, 0, ago(h)},
		{"regular", []time.Time{ago(h), ago(3 * h), ago(5 * h), ago(7 * h)}, 2 * h, ago(h)},
		{"unordered", []time.Time{ago(5 * h), ago(h), ago(7 * h), ago(3 * h)}, 2 * h, ago(h)},
		{"median resists an outlier", []time.Time{ago(h), ago(2 * h), ago(3 * h), ago(4 * h), ago(100 * h)}, h, ago(h)},
		{"even count averages the middle", []time.Time{ago(0), ago(h), ago(3 * h)}, 90 * time.Minute, now},
		{"duplicates count once", []time.Time{ago(h), ago(h), ago(h), ago(5 * h)}, 4 * h, ago(h)},
		{"future dates ignored", []time.Time{now.Add(48 * h), ago(h), ago(2 * h)}, h, ago(h)},
		{"only the newest ten", []time.Time{ago(1 * h), ago(2 * h), ago(3 * h), ago(4 * h), ago(5 * h), ago(6 * h),
			ago(7 * h), ago(8 * h), ago(9 * h), ago(10 * h), ago(500 * h), ago(1000 * h), ago(1500 * h)}, h, ago(h)},
	}
	for _, tt := range tests {
		feed, err := parseRSS(testfeeds.RSSWithDates("", tt.dates...))
		if err != nil {
			t.Fatalf("%s: parse: %v", tt.name, err)
		}
		gap, newest := PublishGap(feed, now)
		if gap != tt.wantGap || !newest.Equal(tt.wantNewest) {
			t.Errorf("%s: gap %v newest %v, want %v %v", tt.name, gap, newest, tt.wantGap, tt.wantNewest)
		}
	}
	if gap, newest := PublishGap(nil, now); gap != 0 || !newest.IsZero() {
		t.Error("nil feed")
	}
}

func TestSyndicationPeriod(t *testing.T) {
	tests := []struct {
		extra string
		want  time.Duration
	}{
		{"", 0},
		{"<sy:updatePeriod>hourly</sy:updatePeriod>", time.Hour},
		{"<sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency>", 6 * time.Hour},
		{"<sy:updatePeriod> Weekly </sy:updatePeriod><sy:updateFrequency>0</sy:updateFrequency>", 7 * 24 * time.Hour},
		{"<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>x</sy:updateFrequency>", time.Hour},
		{"<sy:updatePeriod>fortnightly</sy:updatePeriod>", 0},
	}
	for _, tt := range tests {
		feed, err := parseRSS(testfeeds.RSSWithDates(tt.extra))
		if err != nil {
			t.Fatal(err)
		}
		if got := SyndicationPeriod(feed); got != tt.want {
			t.Errorf("%q: %v, want %v", tt.extra, got, tt.want)
		}
	}
}

func TestAdaptiveInterval(t *testing.T) {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	h := time.Hour
	tests := []struct {
		gap    time.Duration
		newest time.Time
		want   time.Duration
	}{
		{0, time.Time{}, 30 * time.Minute},      // nothing observed: the default
		{2 * h, now.Add(-h), 2 * h},             // publishing as usual
		{2 * h, now.Add(-4 * h), 2 * h},         // within twice the gap
		{2 * h, now.Add(-24 * h), 12 * h},       // gone quiet
		{2 * h, time.Time{}, 2 * h},             // newest unknown
		{-time.Minute, now, 30 * time.Minute},   // nonsense gap
		{3 * h, now.Add(time.Minute), 3 * h},    // newest slightly in the future
		{h, now.Add(-30 * 24 * h), 15 * 24 * h}, // dormant: clamped by the caller
	}
	for _, tt := range tests {
		if got := adaptiveInterval(tt.gap, tt.newest, now, 30*time.Minute); got != tt.want {
			t.Errorf("adaptiveInterval(%v, %v) = %v, want %v", tt.gap, tt.newest, got, tt.want)
		}
	}
}
