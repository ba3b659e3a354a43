package fetcher

import (
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"

	"github.com/feedmill/feedmill/fetcher/scrape"
	"github.com/feedmill/feedmill/storage"
)

// TestScrapedSource: a page without a feed is fetched like a feed
// (conditional GET), its items stored with canonical links as ids; when
// its layout changes the selector's miss is a recorded error, and the
// items stay.
func TestScrapedSource(t *testing.T) {
	var mu sync.Mutex
	page, etag := "scrape/testdata/news-index.html", `"v1"`
	conditional := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		p, e := page, etag
		mu.Unlock()
		if r.Header.Get("If-None-Match") == e {
			mu.Lock()
			conditional++
			mu.Unlock()
			w.WriteHeader(http.StatusNotModified)
			return
		}
		body, _ := os.ReadFile(p)
		w.Header().Set("ETag", e)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(body)
	}))
	defer srv.Close()

	sc, err := scrape.Compile(scrape.Selectors{Item: "article.post", Title: "h2", Date: "time[datetime]", Summary: ".excerpt"})
	if err != nil {
		t.Fatal(err)
	}
	clock := newClock()
	st := openStore(t, clock)
	u := srv.URL + "/ultimas/"
	src := addSource(t, st, u)
	f := newTestFetcher(st, clock, func(o *Options) { o.Sources = map[string]SourceOptions{u: {Scrape: sc}} })

	r := onlyResult(t, pass(t, f, PassOptions{All: true}))
	if r.Err != "" || r.Added != 3 {
		t.Fatalf("first pass: %+v", r)
	}
	links := map[string]storage.Item{}
	_ = st.Items(storage.Query{SourceIDs: []uint64{src.ID}}, func(it storage.Item) bool {
		links[it.Link] = it
		return true
	})
	ponte, ok := links[srv.URL+"/2025/03/ponte-reaberta"]
	if !ok {
		t.Fatalf("canonical link missing: %v", links)
	}
	if ponte.Key != "g:"+ponte.Link || ponte.Published.IsZero() || ponte.Summary == "" {
		t.Errorf("scraped item: key %q published %v summary %q", ponte.Key, ponte.Published, ponte.Summary)
	}
	if s := getSource(t, st, u); s.State.FeedTitle != "Jornal do Bairro — Últimas" {
		t.Errorf("title %q", s.State.FeedTitle)
	}

	r = onlyResult(t, pass(t, f, PassOptions{All: true}))
	if !r.NotModified || conditional != 1 {
		t.Errorf("second pass: %+v, %d conditional", r, conditional)
	}

	mu.Lock()
	page, etag = "scrape/testdata/redesigned.html", `"v2"`
	mu.Unlock()
	r = onlyResult(t, pass(t, f, PassOptions{All: true}))
	if r.Err != "scrape: item selector matched nothing" {
		t.Errorf("redesigned: %+v", r)
	}
	s := getSource(t, st, u)
	if s.State.LastError != "scrape: item selector matched nothing" || s.State.ErrorStreak != 1 {
		t.Errorf("state: %q streak %d", s.State.LastError, s.State.ErrorStreak)
	}
	if n := countItems(t, st, src.ID); n != 3 {
		t.Errorf("%d items after the miss, want 3 kept", n)
	}
}
