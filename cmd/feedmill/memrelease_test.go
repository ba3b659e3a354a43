package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"
)

func TestMemReleaserReleasesAfterSlowRequests(t *testing.T) {
	st, err := storage.Open(filepath.Join(t.TempDir(), "feedmill.db"), storage.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer st.Close()
	ctx := context.Background()
	src, err := st.UpsertSource(ctx, storage.Source{URL: "https://example.org/feed", Origin: storage.OriginConfig})
	if err != nil {
		t.Fatalf("UpsertSource: %v", err)
	}
	base := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	var items []storage.Item
	for i := range 1000 {
		g := "g" + strings.Repeat("0", 3) + time.Duration(i).String()
		items = append(items, storage.Item{GUID: g, Link: "https://example.org/" + g, Title: g,
			Content: strings.Repeat("<p>body</p>", 200), Published: base.Add(time.Duration(i) * time.Minute)})
	}
	if _, err := st.RecordFetch(ctx, storage.Fetch{SourceID: src.ID, Items: items}); err != nil {
		t.Fatalf("RecordFetch: %v", err)
	}

	m := newMemReleaser(st, slog.New(slog.DiscardHandler))
	m.growth = 1 // any growth counts
	read := func(w http.ResponseWriter, r *http.Request) {
		n := 0
		if err := st.Items(storage.Query{}, func(storage.Item) bool { n++; return true }); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if r.URL.Path == "/slow" {
			time.Sleep(10 * time.Millisecond)
		}
		w.Write([]byte(time.Duration(n).String()))
	}
	srv := httptest.NewServer(checkAfterSlow(m, http.HandlerFunc(read)))
	defer srv.Close()
	get := func(path string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: HTTP %d", path, resp.StatusCode)
		}
	}

	m.slow = time.Hour // nothing is slow: no check, no release
	get("/slow")
	if n := m.releases.Load(); n != 0 {
		t.Fatalf("%d releases after a fast request, want 0", n)
	}
	m.slow = 5 * time.Millisecond
	get("/slow")
	want := int64(0)
	if _, ok := fileResident(); ok && runtime.GOOS == "linux" {
		want = 1
	}
	if n := m.releases.Load(); n != want {
		t.Fatalf("%d releases after a slow request, want %d", n, want)
	}
	// Still readable after the release.
	get("/slow")
	if err := st.Check(); err != nil {
		t.Fatalf("Check: %v", err)
	}

	// The loop stops with its context.
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { m.loop(lctx, time.Millisecond); close(done) }()
	time.Sleep(10 * time.Millisecond)
	cancel()
	<-done
}

// checkAfterSlow lets m check after every request to h that took at least
// m.slow, as the daemon's serveHTTP does after its fasthttp requests.
func checkAfterSlow(m *memReleaser, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h.ServeHTTP(w, r)
		if time.Since(start) >= m.slow {
			m.check()
		}
	})
}
