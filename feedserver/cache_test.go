package feedserver

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"
)

// TestCacheBudget requests many distinct pages of several channels in
// turn: the cache's byte total never exceeds its budget, evicting the
// least recently used; pages still come out right; and after a channel
// changes, none of its renditions of the old state is left.
func TestCacheBudget(t *testing.T) {
	f := newFixture(t)
	a := f.source("https://a.example/feed", "world")
	b := f.source("https://b.example/feed", "tech")
	var items []storage.Item
	for i := range 150 {
		items = append(items, storage.Item{Title: fmt.Sprintf("Item %d", i), Summary: fmt.Sprintf("Text of item %d.", i),
			Published: t0.Add(-time.Duration(i) * time.Minute)})
	}
	f.items(a, items...)
	f.items(b, storage.Item{Title: "Tech 1"})
	const budget = 48 << 10
	s, err := New(f.store, Options{BaseURL: "https://feeds.example.org", Version: "test", Now: f.clock.Now, CacheMaxBytes: budget,
		Channels: []Channel{{Name: "world", Tags: []string{"world"}, Limit: 5}, {Name: "both", Limit: 5}, {Name: "tech", Tags: []string{"tech"}}}})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	fetch := func(path string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec.Code
	}
	requests := 0
	for page := 1; page <= 30; page++ {
		for _, ch := range []string{"world", "both"} {
			for _, format := range Formats {
				path := fmt.Sprintf("/channels/%s.%s?page=%d", ch, format, page)
				if code := fetch(path); code != 200 {
					t.Fatalf("%s: %d", path, code)
				}
				requests++
				if _, total := s.cache.stats(); total > budget {
					t.Fatalf("after %s: cache holds %d bytes, budget %d", path, total, budget)
				}
			}
		}
		fetch("/channels/tech.rss") // used often: stays
	}
	n, total := s.cache.stats()
	t.Logf("%d requests: %d renditions of %d bytes cached, %d evicted", requests, n, total, s.cache.evicted.Load())
	if s.cache.evicted.Load() == 0 {
		t.Fatal("nothing evicted: the test wants more pages than the budget holds")
	}
	if s.cache.lookup(cacheKey{"tech", "rss", 1}) == nil {
		t.Error("the most used rendition was evicted")
	}
	if s.cache.lookup(cacheKey{"world", "rss", 2}) != nil {
		t.Error("an early page is still cached: eviction is not least recently used")
	}

	// A change of world's source supersedes every rendition of "world"
	// and "both"; tech's stay.
	for _, format := range Formats {
		fetch("/channels/world." + format)
		fetch("/channels/both." + format + "?page=2")
	}
	old := s.cache.lookup(cacheKey{"world", "rss", 1})
	f.items(a, storage.Item{Title: "Item new", Published: t0})
	if code := fetch("/channels/world.json?page=3"); code != 200 {
		t.Fatalf("after the change: %d", code)
	}
	for _, k := range s.cache.keys() {
		r := s.cache.lookup(k)
		if k.channel == "world" && k != (cacheKey{"world", "json", 3}) {
			t.Errorf("%v of the old state still cached", k)
		}
		if r == old {
			t.Errorf("%v: the old first page is still cached", k)
		}
	}
	if s.cache.lookup(cacheKey{"tech", "rss", 1}) == nil {
		t.Error("an unchanged channel's rendition was dropped")
	}
	if fetch("/channels/both.json?page=2") != 200 {
		t.Fatal("both page 2")
	}
	for _, k := range s.cache.keys() {
		if k.channel == "both" && k != (cacheKey{"both", "json", 2}) {
			t.Errorf("%v of the old state still cached", k)
		}
	}
}

// TestCacheLargerThanBudget: a rendition larger than the budget is served
// but not kept.
func TestCacheLargerThanBudget(t *testing.T) {
	f := newFixture(t)
	a := f.source("https://a.example/feed", "world")
	f.items(a, bigItems("big", 20)...)
	s, err := New(f.store, Options{Channels: []Channel{{Name: "world"}}, Now: f.clock.Now, CacheMaxBytes: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	body, err := s.Render("world", "rss")
	if err != nil || len(body) < 1<<10 {
		t.Fatalf("Render: %d bytes, %v", len(body), err)
	}
	if n, total := s.cache.stats(); n != 0 || total != 0 {
		t.Errorf("cache holds %d renditions of %d bytes, want none", n, total)
	}
}
