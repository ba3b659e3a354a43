package fetcher

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/storage/bolt"

	"github.com/feedmill/feedmill/internal/testfs"
	"github.com/feedmill/feedmill/internal/testlog"
	"github.com/feedmill/feedmill/storage"
)

// TestMoveToTakenURL: a permanent redirect to a URL another source has
// already cannot move the source; the fetch is stored without the move,
// and that is logged, once per fetch.
func TestMoveToTakenURL(t *testing.T) {
	var logs testlog.Buffer
	mux := http.NewServeMux()
	mux.HandleFunc("/a", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/b", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/b", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(sampleRSS)) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	st := openStore(t, nil)
	a := addSource(t, st, srv.URL+"/a")
	addSource(t, st, srv.URL+"/b")
	f := newTestFetcher(st, nil, func(o *Options) { o.Logger = logs.Logger() })
	if r := onlyResult(t, pass(t, f, PassOptions{URLs: []string{a.URL}})); r.Err != "" {
		t.Fatalf("fetch of the redirected source: %+v", r)
	}
	got := getSource(t, st, a.URL)
	if got.State.LastSuccess.IsZero() || countItems(t, st, got.ID) == 0 {
		t.Errorf("the fetch was not stored: %+v", got.State)
	}
	if n := logs.Count(`msg="fetch: cannot move source"`); n != 1 || !strings.Contains(logs.String(), "already source") {
		t.Errorf("%d lines about the move, want 1 naming the other source:\n%s", n, logs.String())
	}
}

// TestMoveOnFullDisk: a source that moved while the store cannot commit
// logs nothing per fetch: its fetch is not stored, with or without the
// move, and the store's one line tells why.
func TestMoveOnFullDisk(t *testing.T) {
	var logs testlog.Buffer
	dir := testfs.Tmpfs(t, "2m")
	st, err := bolt.Open(filepath.Join(dir, "feedmill.db"), storage.Options{Logger: logs.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	gen := newGenerationServer(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, gen.URL+"/new", http.StatusMovedPermanently)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	src := addSource(t, st, srv.URL+"/old")
	testfs.Fill(t, filepath.Join(dir, "filler"))
	logs.Reset()

	f := newTestFetcher(st, nil, func(o *Options) { o.Logger = logs.Logger() })
	for range 4 {
		r := onlyResult(t, pass(t, f, PassOptions{URLs: []string{src.URL}}))
		if !strings.HasPrefix(r.Err, "store: ") {
			t.Fatalf("fetch on a full disk: %+v (is the disk full?)", r)
		}
	}
	if n := logs.Count("cannot move source"); n != 0 {
		t.Errorf("%d lines about the move on a full disk, want 0:\n%s", n, logs.String())
	}
	if n, store := logs.Count("level="), logs.Count(`msg="store cannot commit`); n != 1 || store != 1 {
		t.Errorf("%d log lines, %d about the store, want 1 of each:\n%s", n, store, logs.String())
	}
}
