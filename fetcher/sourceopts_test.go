package fetcher

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestSourceOptionsAuth: a source's credentials reach its server; a
// source redirected permanently to another origin keeps its credentials
// home; a refusal is recorded as "authentication failed" and backs off.
func TestSourceOptionsAuth(t *testing.T) {
	var leaked atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" || r.Header.Get("X-Api-Key") != "" || r.Header.Get("Cookie") != "" {
			leaked.Add(1)
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, sampleRSS)
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, _ := r.BasicAuth()
		if u != "reader" || p != "pw" || r.Header.Get("X-Api-Key") != "key" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, other.URL+"/feed", http.StatusMovedPermanently)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, sampleRSS)
	}))
	defer srv.Close()

	clock := newClock()
	st := openStore(t, clock)
	good, bad, moved := srv.URL+"/feed", srv.URL+"/denied", srv.URL+"/moved"
	for _, u := range []string{good, bad, moved} {
		addSource(t, st, u)
	}
	f := newTestFetcher(st, clock, func(o *Options) {
		o.Sources = map[string]SourceOptions{
			good:  {Username: "reader", Password: "pw", Headers: map[string]string{"X-Api-Key": "key"}},
			bad:   {Username: "reader", Password: "wrong", Headers: map[string]string{"X-Api-Key": "key"}},
			moved: {Username: "reader", Password: "pw", Headers: map[string]string{"X-Api-Key": "key"}},
		}
	})
	rep := pass(t, f, PassOptions{All: true})
	byURL := map[string]Result{}
	for _, r := range rep.Results {
		byURL[r.URL] = r
	}
	if r := byURL[good]; r.Err != "" || r.Added != 2 {
		t.Errorf("good: %+v", r)
	}
	if r := byURL[bad]; r.Status != 401 || !strings.Contains(r.Err, "authentication failed") {
		t.Errorf("denied: %+v, want 401 authentication failed", r)
	}
	if s := getSource(t, st, bad); s.State.ErrorStreak != 1 || s.State.LastError != "HTTP 401: authentication failed" {
		t.Errorf("denied state: streak %d, error %q", s.State.ErrorStreak, s.State.LastError)
	}
	// The moved source now lives on the other origin; polling it again
	// sends nothing secret there.
	if s := getSource(t, st, moved); !strings.HasPrefix(s.URL, other.URL) {
		t.Fatalf("moved source at %s, want on %s", s.URL, other.URL)
	}
	pass(t, f, PassOptions{All: true})
	if n := leaked.Load(); n != 0 {
		t.Errorf("the other origin received credentials %d times", n)
	}
}
