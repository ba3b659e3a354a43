package fetcher

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedmill/feedmill/fetcher/internal/testfeeds"
	"github.com/feedmill/feedmill/fetcher/schedule"
)

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
			fmt.Fprint(w, testfeeds.RSSWithDates("", now.Add(-time.Hour), now.Add(-3*time.Hour), now.Add(-5*time.Hour)))
		case "/sy":
			fmt.Fprint(w, testfeeds.RSSWithDates("<sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>", now.Add(-time.Hour), now.Add(-2*time.Hour)))
		case "/cached":
			if r.Header.Get("If-None-Match") == `"v1"` {
				w.Header().Set("Cache-Control", "public, max-age=10800")
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", `"v1"`)
			fmt.Fprint(w, testfeeds.RSSWithDates("", now.Add(-time.Hour), now.Add(-2*time.Hour)))
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
		a.State.Interval != 2*time.Hour || !a.State.NextDue.Equal(now.Add(schedule.Jitter(a.URL, 2*time.Hour))) {
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
