package scrape

import (
	"net/url"
	"os"
	"testing"
	"unicode/utf8"
)

// FuzzScrape: any page, any selector that compiles: no panic, and what
// comes out is valid text with http(s) links.
func FuzzScrape(f *testing.F) {
	for _, name := range []string{"news-index.html", "blog-list.html", "redesigned.html"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "article.post", "h2", "")
		f.Add(b, "li", "", "a")
	}
	f.Add([]byte(`<a href="javascript:alert(1)">x</a><a href="//evil.example/">y</a><base href="ftp://x/">`), "a", "", "")
	f.Add([]byte("<div><p>\xff\xfe</div>"), "div", "p", "p")
	base, _ := url.Parse("https://site.example/dir/")
	f.Fuzz(func(t *testing.T, page []byte, item, title, link string) {
		sc, err := Compile(Selectors{Item: item, Title: title, Link: link, Date: "time", Summary: "p"})
		if err != nil {
			return
		}
		feed, err := sc.Feed(page, base)
		if err != nil {
			return
		}
		for _, it := range feed.Items {
			if it.Link != "" && !(len(it.Link) > 7 && (it.Link[:7] == "http://" || it.Link[:8] == "https://")) {
				t.Errorf("link %q", it.Link)
			}
			if !utf8.ValidString(it.Title) {
				t.Errorf("title %q", it.Title)
			}
		}
	})
}
