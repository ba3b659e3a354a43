package feedserver

import (
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/storage"
)

func TestMetrics(t *testing.T) {
	f := newFixture(t)
	a := f.source("https://a.example/feed")
	b := f.source("https://b.example/feed")
	f.items(a, storage.Item{Title: "Story", Link: "https://news.example/story"})
	f.items(b, storage.Item{Title: "Story again", Link: "https://news.example/story"})
	s, err := New(f.store, Options{BaseURL: "https://feeds.example.org", Now: f.clock.Now,
		Channels:     []Channel{{Name: "all"}, {Name: "other"}},
		ExtraMetrics: func(w io.Writer) { fmt.Fprintln(w, "feedmill_extra 1") }})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()

	resp, _ := get(t, "GET", ts.URL+"/channels/all.rss")
	etag := resp.Header.Get("ETag")
	get(t, "GET", ts.URL+"/channels/all.rss", "If-None-Match", etag)
	get(t, "GET", ts.URL+"/channels/all")

	resp, body := get(t, "GET", ts.URL+"/metrics")
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q", ct)
	}
	size, _ := f.store.Size()
	for _, want := range []string{
		`feedmill_channel_requests_total{channel="all"} 3`,
		`feedmill_channel_requests_total{channel="other"} 0`,
		`feedmill_channel_not_modified_total{channel="all"} 1`,
		`feedmill_channel_items_collapsed{channel="all"} 1`,
		fmt.Sprintf("feedmill_store_size_bytes %d", size),
		"# TYPE feedmill_channel_requests_total counter",
		"feedmill_extra 1",
	} {
		if !strings.Contains(string(body), want+"\n") {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
}
