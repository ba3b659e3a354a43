package fetcher

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedmill/feedmill/fetcher/internal/testfeeds"
	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/bolt"
)

// TestKnownCutSameStore: every shared RSS feed fetched three times (as
// it is, again unchanged, then with its first item changed and an item
// added) into two stores, one with the known-item cut and one without,
// leaves both stores the same: items, sources and every Result. The cut
// must have been taken on the second and third passes.
func TestKnownCutSameStore(t *testing.T) {
	var bodies [][]byte
	for _, p := range testfeeds.Files(t) {
		if b := testfeeds.Body(t, p); bytes.Contains(b, []byte("<item")) && bytes.Contains(b, []byte("<rss")) {
			bodies = append(bodies, b)
		}
	}
	var gen atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		if err != nil || i < 0 || i >= len(bodies) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Write(changeFeed(bodies[i], int(gen.Load())))
	}))
	defer srv.Close()

	clock := newClock()
	var stores [2]storage.Store
	var fetchers [2]*Fetcher
	for k := range stores {
		stores[k] = openStore(t, clock)
		for i := range bodies {
			addSource(t, stores[k], fmt.Sprintf("%s/%d", srv.URL, i))
		}
		fetchers[k] = newTestFetcher(stores[k], clock, func(o *Options) { o.Workers, o.NoKnownCut = 1, k == 0 })
	}
	for g := range 3 {
		gen.Store(int64(g))
		clock.Add(time.Hour)
		var reps [2]string
		for k, f := range fetchers {
			rep := pass(t, f, PassOptions{All: true})
			for i := range rep.Results {
				rep.Results[i].Duration = 0
			}
			reps[k] = fmt.Sprintf("%+v", rep.Results)
		}
		if reps[0] != reps[1] {
			t.Errorf("pass %d: results\n%s\nwithout the cut\n%s", g, reps[1], reps[0])
		}
		if a, b := storeDump(t, stores[0]), storeDump(t, stores[1]); a != b {
			t.Fatalf("pass %d: store\n%s\nwithout the cut\n%s", g, b, a)
		}
	}
	t.Logf("%d feeds, %d documents cut", len(bodies), fetchers[1].knownCuts.Load())
	if n := fetchers[1].knownCuts.Load(); n < 2*20 {
		t.Errorf("%d documents cut in two passes over %d feeds; want at least 40", n, len(bodies))
	}
	if n := fetchers[0].knownCuts.Load(); n != 0 {
		t.Errorf("%d documents cut with NoKnownCut", n)
	}
}

// changeFeed is a body as served in pass gen: from pass 2 on, its first
// item changed and a new item added before it.
func changeFeed(body []byte, gen int) []byte {
	if gen < 2 {
		return body
	}
	body = bytes.Replace(body, []byte("</item>"), []byte("<category>changed</category></item>"), 1)
	return bytes.Replace(body, []byte("<item>"), []byte("<item><guid>feedmill-new</guid><title>New</title></item><item>"), 1)
}

// storeDump is every source and item of a store, in ID order.
func storeDump(t *testing.T, st storage.Store) string {
	t.Helper()
	var b strings.Builder
	sources, err := st.Sources()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sources {
		fmt.Fprintf(&b, "%s %+v\n", filepath.Base(s.URL), s)
	}
	err = st.Items(storage.Query{}, func(it storage.Item) bool {
		fmt.Fprintf(&b, "%+v\n", it)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestKnownCutUnheld: an item the store never holds (older than the
// retention's MaxAge, so skipped) is cut once, found not held, and parsed
// from then on: the fetch after the one that fell back is cut again, and
// every pass stores what the full path stores.
func TestKnownCutUnheld(t *testing.T) {
	clock := newClock()
	now := clock.Now()
	body := testfeeds.RSSWithDates("", now.Add(-time.Hour), now.Add(-2*time.Hour), now.AddDate(-5, 0, 0))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, body)
	}))
	defer srv.Close()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "feedmill.db"),
		storage.Options{Now: clock.Now, Retention: storage.Retention{MaxAge: 30 * 24 * time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	src := addSource(t, st, srv.URL+"/feed.xml")
	f := newTestFetcher(st, clock, nil)
	for i, wantCuts := range []uint64{0, 0, 1, 2} {
		clock.Add(time.Minute)
		rep := pass(t, f, PassOptions{All: true})
		if rep.Failed > 0 || len(rep.Results) != 1 {
			t.Fatalf("pass %d: %+v", i, rep.Results)
		}
		if got := f.knownCuts.Load(); got != wantCuts {
			t.Errorf("after pass %d: %d documents cut, want %d", i, got, wantCuts)
		}
		if n := countItems(t, st, src.ID); n != 2 {
			t.Errorf("after pass %d: %d items stored, want 2", i, n)
		}
	}
}
