package feedserver

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"
	"github.com/mmcdole/gofeed"
)

// pagedFixture is a store with one source of n items, item k published k
// minutes before t0 - 1h ("item 0" is the newest).
func pagedFixture(t *testing.T, n int) *fixture {
	t.Helper()
	f := newFixture(t)
	src := f.source("https://a.example/feed")
	var items []storage.Item
	for k := range n {
		items = append(items, storage.Item{Title: fmt.Sprintf("item %d", k), Published: t0.Add(-time.Hour - time.Duration(k)*time.Minute)})
	}
	f.items(src, items...)
	return f
}

func TestPagination(t *testing.T) {
	f := pagedFixture(t, 7)
	s := f.server(Channel{Name: "all", Limit: 3})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()

	base := "https://feeds.example.org/channels/all."
	tests := []struct {
		page       string
		titles     []string
		next, prev string // expected next/previous hrefs ("" = none)
	}{
		{"", []string{"item 0", "item 1", "item 2"}, "?page=2", ""},
		{"2", []string{"item 3", "item 4", "item 5"}, "?page=3", ""},
		{"3", []string{"item 6"}, "", "?page=2"},
	}
	for _, format := range Formats {
		for _, tt := range tests {
			url := ts.URL + "/channels/all." + format
			if tt.page != "" {
				url += "?page=" + tt.page
			}
			resp, body := get(t, "GET", url)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d", url, resp.StatusCode)
			}
			feed, err := gofeed.NewParser().ParseString(string(body))
			if err != nil {
				t.Fatalf("%s: %v", url, err)
			}
			var got []string
			for _, it := range feed.Items {
				got = append(got, it.Title)
			}
			if strings.Join(got, "|") != strings.Join(tt.titles, "|") {
				t.Errorf("%s: items %q, want %q", url, got, tt.titles)
			}
			doc := string(body)
			wantNext := tt.next != ""
			nextHref := base + format + tt.next
			switch format {
			case "json":
				if has := strings.Contains(doc, `"next_url": "`+nextHref+`"`); has != wantNext {
					t.Errorf("%s: next_url %s present=%v, want %v\n%s", url, nextHref, has, wantNext, doc)
				}
			default:
				if has := strings.Contains(doc, `href="`+nextHref+`" rel="next"`); has != wantNext {
					t.Errorf("%s: rel=next %s present=%v, want %v\n%s", url, nextHref, has, wantNext, doc)
				}
				if tt.prev != "" && !strings.Contains(doc, `href="`+base+format+tt.prev+`" rel="previous"`) {
					t.Errorf("%s: no rel=previous to %s", url, tt.prev)
				}
				self := base + format
				if tt.page != "" {
					self += "?page=" + tt.page
				}
				if !strings.Contains(doc, `href="`+self+`" rel="self"`) {
					t.Errorf("%s: self link is not %s", url, self)
				}
			}
		}
	}

	// Past the last page, and bad values.
	for _, q := range []string{"?page=4", "?page=100000"} {
		if resp, _ := get(t, "GET", ts.URL+"/channels/all.rss"+q); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", q, resp.StatusCode)
		}
	}
	for _, q := range []string{"?page=0", "?page=-1", "?page=x"} {
		if resp, _ := get(t, "GET", ts.URL+"/channels/all.rss"+q); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", q, resp.StatusCode)
		}
	}

	// Pages have validators and are cached like the first.
	resp, _ := get(t, "GET", ts.URL+"/channels/all.atom?page=2")
	etag := resp.Header.Get("ETag")
	builds := s.cache.builds.Load()
	if r, _ := get(t, "GET", ts.URL+"/channels/all.atom?page=2", "If-None-Match", etag); r.StatusCode != http.StatusNotModified {
		t.Errorf("page 2 If-None-Match: %d, want 304", r.StatusCode)
	}
	if b := s.cache.builds.Load(); b != builds {
		t.Errorf("page 2 rebuilt %d times while nothing changed", b-builds)
	}
	// A new item moves the pages: page 2 changes.
	f.items(f.source("https://a.example/feed"), storage.Item{Title: "item new", Published: t0.Add(-time.Minute)})
	if r, _ := get(t, "GET", ts.URL+"/channels/all.atom?page=2", "If-None-Match", etag); r.StatusCode != http.StatusOK {
		t.Errorf("page 2 after a new item: %d, want 200", r.StatusCode)
	}
}

func TestNoPaginationWithinLimit(t *testing.T) {
	f := pagedFixture(t, 3)
	s := f.server(Channel{Name: "all", Limit: 3})
	for _, format := range Formats {
		body, err := s.Render("all", format)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(body), "page=") {
			t.Errorf("%s links a page although every item fits:\n%s", format, body)
		}
	}
}

// BenchmarkBuildDeepPage measures building page 1 and page 20 of a
// channel of 1,000 items (limit 50) from the store, uncached: the cost of
// reading a page deep into the channel.
func BenchmarkBuildDeepPage(b *testing.B) {
	f := newFixture(b)
	src := f.source("https://a.example/feed")
	var items []storage.Item
	for k := range 1000 {
		items = append(items, storage.Item{Title: fmt.Sprintf("item %d", k), Summary: strings.Repeat("text ", 50),
			Published: t0.Add(-time.Hour - time.Duration(k)*time.Minute)})
	}
	f.items(src, items...)
	s := f.server(Channel{Name: "all"})
	res, err := s.resolve()
	if err != nil {
		b.Fatal(err)
	}
	ch := s.byName["all"]
	for _, page := range []int{1, 20} {
		b.Run(fmt.Sprintf("page%d", page), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, err := s.build(ch, "rss", page, res, 0, t0, nil)
				if err != nil || len(r.body()) == 0 {
					b.Fatal(err)
				}
			}
		})
	}
}
