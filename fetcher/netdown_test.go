package fetcher

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/fetcher/httpclient"
	"github.com/feedmill/feedmill/fetcher/parse"
	"github.com/feedmill/feedmill/fetcher/schedule"
	"github.com/feedmill/feedmill/internal/testlog"
)

// deadURL is a URL on a loopback port nobody listens on (connection
// refused, as when the network or the host is down).
func deadURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/feed.xml"
}

// TestNetworkDownPenalizesNobody: when every host fails (the witness that
// answered before is unreachable too), failures are recorded but no error
// streak grows and no backoff builds up; when the network is shown to be
// up, a dead host's failure counts.
func TestNetworkDownPenalizesNobody(t *testing.T) {
	witness := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, sampleRSS) }))
	clock := newClock()
	st := openStore(t, clock)
	w := addSource(t, st, witness.URL+"/feed")
	pass(t, newTestFetcher(st, clock, nil), PassOptions{})
	if s := getSource(t, st, w.URL); s.State.LastSuccess.IsZero() {
		t.Fatalf("witness not fetched: %+v", s.State)
	}

	t.Run("network up: a dead host counts", func(t *testing.T) {
		dead := addSource(t, st, deadURL(t))
		f := newTestFetcher(st, clock, nil)
		r := onlyResult(t, pass(t, f, PassOptions{URLs: []string{dead.URL}}))
		s := getSource(t, st, dead.URL)
		if r.Err != "connection refused" || s.State.ErrorStreak != 1 || s.State.NetworkDown ||
			!s.State.NextDue.Equal(clock.Now().Add(schedule.Jitter(dead.URL, time.Hour))) {
			t.Errorf("result %+v, state %+v", r, s.State)
		}
		if err := st.RemoveSource(t.Context(), dead.URL); err != nil {
			t.Fatal(err)
		}
	})

	// Now the whole network goes: the witness is unreachable too. A fresh
	// Fetcher (a cron run) finds the witness in the store.
	witness.Close()
	clock.Add(time.Hour)
	var urls []string
	for range 3 {
		urls = append(urls, addSource(t, st, deadURL(t)).URL)
	}
	urls = append(urls, w.URL)
	var logs testlog.Buffer
	f := newTestFetcher(st, clock, func(o *Options) { o.Logger = logs.Logger() })
	for round := 1; round <= 2; round++ {
		rep := pass(t, f, PassOptions{URLs: urls})
		if rep.Failed != len(urls) {
			t.Fatalf("round %d: %+v", round, rep)
		}
		for _, u := range urls {
			// The normal interval, no backoff.
			s := getSource(t, st, u)
			if s.State.ErrorStreak != 0 || !s.State.NetworkDown || !strings.Contains(s.State.LastError, "network unreachable") ||
				!s.State.LastFetch.Equal(clock.Now()) || !s.State.NextDue.Equal(clock.Now().Add(schedule.Jitter(u, s.State.Interval))) {
				t.Errorf("round %d, %s: %+v", round, u, s.State)
			}
		}
		clock.Add(time.Hour)
	}
	// Eight failures with one cause: one line.
	if n, down := logs.Count("level="), logs.Count(`msg="network unreachable: failures are not counted`); n != 1 || down != 1 {
		t.Errorf("%d log lines, %d about the network, want 1 of each:\n%s", n, down, logs.String())
	}
	// The network comes back: one line says so.
	back := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, sampleRSS) }))
	defer back.Close()
	addSource(t, st, back.URL+"/feed")
	pass(t, f, PassOptions{URLs: []string{back.URL + "/feed"}})
	if n := logs.Count(`msg="network reachable again after `); n != 1 {
		t.Errorf("%d lines saying the network is back, want 1:\n%s", n, logs.String())
	}
}

func TestIsNetworkError(t *testing.T) {
	f := newTestFetcher(openStore(t, nil), nil, nil)
	_, err := f.get(t.Context(), deadURL(t), nil)
	if !isNetworkError(err) {
		t.Errorf("connection refused: %v not a network error", err)
	}
	for _, err := range []error{nil, httpclient.ErrRedirectLoop, &httpclient.BodyTooLargeError{}, fmt.Errorf("parse: %w", parse.ErrNotFeed)} {
		if isNetworkError(err) {
			t.Errorf("%v is a network error", err)
		}
	}
}
