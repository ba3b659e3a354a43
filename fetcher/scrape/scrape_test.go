package scrape

import (
	"errors"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
)

func scrapeFile(t *testing.T, file, page string, s Selectors) (*gofeed.Feed, error) {
	t.Helper()
	body, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(page)
	return sc.Feed(body, u)
}

func TestNewsIndex(t *testing.T) {
	feed, err := scrapeFile(t, "news-index.html", "https://jornal.example/ultimas/",
		Selectors{Item: "article.post", Title: "h2", Date: "time[datetime]", Summary: ".excerpt"})
	if err != nil {
		t.Fatal(err)
	}
	if feed.Title != "Jornal do Bairro — Últimas" || feed.Language != "pt-BR" {
		t.Errorf("feed: %q %q", feed.Title, feed.Language)
	}
	want := []struct {
		title, link, date, summary string
	}{
		{"Ponte reaberta após reforma", "https://jornal.example/2025/03/ponte-reaberta", "2025-03-03T12:30:00Z", "A ponte da <b>Rua Central</b> voltou a funcionar."},
		{"Feira de sábado", "https://jornal.example/2025/03/feira", "2025-03-02T00:00:00Z", "Barracas novas."},
		{"Aviso sem link", "", "", "Sem data também."},
	}
	if len(feed.Items) != len(want) {
		t.Fatalf("%d items, want %d", len(feed.Items), len(want))
	}
	for i, w := range want {
		it := feed.Items[i]
		if it.Title != w.title || it.Link != w.link || it.GUID != w.link || it.Description != w.summary {
			t.Errorf("item %d: %q %q %q %q", i, it.Title, it.Link, it.GUID, it.Description)
		}
		date := ""
		if it.PublishedParsed != nil {
			date = it.PublishedParsed.Format(time.RFC3339)
		}
		if date != w.date {
			t.Errorf("item %d: date %q, want %q", i, date, w.date)
		}
	}
}

func TestBlogList(t *testing.T) {
	feed, err := scrapeFile(t, "blog-list.html", "https://blog.example/",
		Selectors{Item: "ul.posts > li", Title: "a.title", Date: ".date", Content: ".body"})
	if err != nil {
		t.Fatal(err)
	}
	if len(feed.Items) != 3 {
		t.Fatalf("%d items", len(feed.Items))
	}
	first := feed.Items[0]
	if first.Link != "https://blog.example/posts/second-post.html" || first.Content != "<p>Longer text of the <em>second</em> post.</p>" {
		t.Errorf("first: %q %q", first.Link, first.Content)
	}
	if first.PublishedParsed == nil || !first.PublishedParsed.Equal(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("first date: %v", first.PublishedParsed)
	}
	if it := feed.Items[2]; it.Link != "https://blog.example/about" || it.PublishedParsed != nil {
		t.Errorf("third: %q %v (an unreadable date is none: first seen)", it.Link, it.PublishedParsed)
	}
	// An explicit link selector wins.
	feed, err = scrapeFile(t, "blog-list.html", "https://blog.example/", Selectors{Item: "ul.posts > li", Link: "a[href]"})
	if err != nil || feed.Items[1].Link != "https://blog.example/posts/first-post.html" || feed.Items[1].Title != "My first post" {
		t.Errorf("link selector: %v %+v", err, feed.Items)
	}
}

func TestSelectorStopsMatching(t *testing.T) {
	_, err := scrapeFile(t, "redesigned.html", "https://jornal.example/", Selectors{Item: "article.post", Title: "h2"})
	if !errors.Is(err, ErrNoItems) || err.Error() != "scrape: item selector matched nothing" {
		t.Errorf("err %v, want ErrNoItems", err)
	}
	_, err = scrapeFile(t, "redesigned.html", "https://jornal.example/", Selectors{Item: "h3 span"})
	if !errors.Is(err, ErrNoItems) {
		t.Errorf("err %v", err)
	}
	_, err = scrapeFile(t, "news-index.html", "https://jornal.example/", Selectors{Item: "time", Title: ".nothing"})
	if err == nil {
		t.Error("items without a title or link made a feed")
	}
}

func TestCompileErrors(t *testing.T) {
	var se *SelectorError
	if _, err := Compile(Selectors{Item: "article", Title: "h2["}); !errors.As(err, &se) || se.Key != "title" {
		t.Errorf("bad title: %v", err)
	}
	if _, err := Compile(Selectors{Title: "h2"}); !errors.As(err, &se) || se.Key != "item" {
		t.Errorf("no item: %v", err)
	}
	if _, err := Compile(Selectors{Item: "div >> p"}); !errors.As(err, &se) || se.Key != "item" {
		t.Errorf("bad item: %v", err)
	}
}

func TestParseDate(t *testing.T) {
	for raw, want := range map[string]string{
		"2025-03-03T09:30:00-03:00":       "2025-03-03T12:30:00Z",
		"2025-03-03":                      "2025-03-03T00:00:00Z",
		"  Mon, 03 Mar 2025 10:00:00 GMT": "2025-03-03T10:00:00Z",
		"March 1st, 2025":                 "2025-03-01T00:00:00Z",
		"Posted on February 20, 2025":     "2025-02-20T00:00:00Z",
		"Published: 2 Jan 2024 15:04":     "2024-01-02T15:04:00Z",
		"21.06.2024":                      "2024-06-21T00:00:00Z",
		"Jan. 5, 2023":                    "2023-01-05T00:00:00Z",
	} {
		got, ok := ParseDate(raw)
		if !ok || got.Format(time.RFC3339) != want {
			t.Errorf("%q: %v %v, want %s", raw, got, ok, want)
		}
	}
	for _, bad := range []string{"", "sometime", "yesterday", "32.13.2024"} {
		if _, ok := ParseDate(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}
