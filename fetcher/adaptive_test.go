package fetcher

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// rssWithDates is an RSS feed whose items carry the given dates.
func rssWithDates(extra string, dates ...time.Time) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel><title>T</title><link>https://example.org/</link>`)
	b.WriteString(extra)
	for i, d := range dates {
		fmt.Fprintf(&b, "<item><title>i%d</title><guid>g%d</guid><pubDate>%s</pubDate></item>", i, i, d.UTC().Format(time.RFC1123Z))
	}
	b.WriteString("</channel></rss>")
	return b.String()
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
		feed, _, err := parseFeed([]byte(rssWithDates("", tt.dates...)))
		if err != nil {
			t.Fatalf("%s: parse: %v", tt.name, err)
		}
		gap, newest := publishGap(feed, now)
		if gap != tt.wantGap || !newest.Equal(tt.wantNewest) {
			t.Errorf("%s: gap %v newest %v, want %v %v", tt.name, gap, newest, tt.wantGap, tt.wantNewest)
		}
	}
	if gap, newest := publishGap(nil, now); gap != 0 || !newest.IsZero() {
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
		feed, _, err := parseFeed([]byte(rssWithDates(tt.extra)))
		if err != nil {
			t.Fatal(err)
		}
		if got := syndicationPeriod(feed); got != tt.want {
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

// TestAdaptiveSchedule: a feed that publishes every 2 hours is polled
// about every 2 hours, and its sy:updatePeriod and a 304's Cache-Control
// are honoured.
func TestAdaptiveSchedule(t *testing.T) {
	clock := newClock()
	now := clock.Now()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		switch r.URL.Path {
		case "/adaptive":
			fmt.Fprint(w, rssWithDates("", now.Add(-time.Hour), now.Add(-3*time.Hour), now.Add(-5*time.Hour)))
		case "/sy":
			fmt.Fprint(w, rssWithDates("<sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>", now.Add(-time.Hour), now.Add(-2*time.Hour)))
		case "/cached":
			if r.Header.Get("If-None-Match") == `"v1"` {
				w.Header().Set("Cache-Control", "public, max-age=10800")
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", `"v1"`)
			fmt.Fprint(w, rssWithDates("", now.Add(-time.Hour), now.Add(-2*time.Hour)))
		}
	}))
	defer srv.Close()
	st := openStore(t, clock)
	f := newTestFetcher(st, clock, nil)
	for _, p := range []string{"/adaptive", "/sy", "/cached"} {
		addSource(t, st, srv.URL+p)
	}
	pass(t, f, PassOptions{})

	a := getSource(t, st, srv.URL+"/adaptive")
	if a.State.PublishGap != 2*time.Hour || !a.State.NewestItem.Equal(now.Add(-time.Hour)) ||
		a.State.Interval != 2*time.Hour || !a.State.NextDue.Equal(now.Add(jitter(a.URL, 2*time.Hour))) {
		t.Errorf("adaptive: %+v", a.State)
	}
	s := getSource(t, st, srv.URL+"/sy")
	if s.State.UpdatePeriod != 12*time.Hour || s.State.Interval != 12*time.Hour || s.State.NextDue.Before(now.Add(12*time.Hour)) {
		t.Errorf("sy: %+v", s.State)
	}
	c := getSource(t, st, srv.URL+"/cached")
	if c.State.Interval != time.Hour || !c.State.CacheUntil.IsZero() {
		t.Errorf("cached, first fetch: %+v", c.State)
	}

	clock.Add(2 * time.Hour)
	r := onlyResult(t, pass(t, f, PassOptions{URLs: []string{c.URL}}))
	c = getSource(t, st, c.URL)
	if !r.NotModified || !c.State.CacheUntil.Equal(clock.Now().Add(3*time.Hour)) || !c.State.NextDue.Equal(clock.Now().Add(3*time.Hour)) {
		t.Errorf("304 with max-age: %+v / %+v", r, c.State)
	}
	// The observed rate survives the 304 (the state is kept).
	if c.State.PublishGap != time.Hour {
		t.Errorf("publish gap lost on 304: %+v", c.State)
	}
}
