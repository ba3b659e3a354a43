package normalize

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"
)

func TestTruncateHTML(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"<p>abc</p>", 10, "<p>abc</p>"},
		{"<p>abcdef</p>", 9, "<p>ab</p>"},
		{"<p>ab<a href=x>", 10, "<p>ab</p>"},
		{`<p>see <a href="http://host/x14">x</a> more</p><p>next</p>`, 40, `<p>see </p>`},
		{`<p>see <a href="http://h/x">xyz</a> more</p>`, 37, `<p>see <a href="http://h/x">x</a></p>`},
		{`<p>a<br>b<img src="x"></p>`, 15, `<p>a<br>b</p>`},
		{`<b><i>ab</b>cd</i>efgh`, 16, `<b><i>ab</i></b>`},
		{`ab</p>cdefghij`, 6, `abcdef`},
		{`<ul><li>one</li><li>two</li></ul>`, 24, `<ul><li>one</li></ul>`},
		{"ab&amp;cd", 5, "ab"},
		{"ab&amp;cd", 7, "ab&amp;"},
		{"aé", 2, "a"},
		{"€€", 4, "€"},
	}
	for _, tt := range tests {
		if got := truncateHTML(tt.in, tt.max); got != tt.want {
			t.Errorf("truncateHTML(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func TestLimitItemFields(t *testing.T) {
	it := storage.Item{
		Title:      strings.Repeat("t", 10000),
		Link:       "https://example.org/" + strings.Repeat("a", 10000),
		Categories: make([]string, 200),
		Enclosures: make([]storage.Enclosure, 100),
	}
	limitItem(&it, DefaultMaxItemBytes)
	if len(it.Title) != maxLineBytes || it.Link != "" || len(it.Categories) != maxCategories || len(it.Enclosures) != maxEnclosures {
		t.Errorf("title %d, link %q, %d categories, %d enclosures", len(it.Title), it.Link, len(it.Categories), len(it.Enclosures))
	}
}

func TestItemLinkHTTPOnly(t *testing.T) {
	body := `<rss version="2.0"><channel><title>x</title>
<item><title>a</title><link>javascript:alert(1)</link><guid>https://example.org/a</guid></item>
<item><title>b</title><link>tag:example.org,2024:b</link><guid isPermaLink="false">b</guid></item></channel></rss>`
	feed, _, err := parseFeed([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("https://example.org/feed")
	_, items := normalizeFeed(feed, base, time.Now())
	if len(items) != 2 || items[0].Link != "https://example.org/a" || items[1].Link != "" {
		t.Errorf("links %q, %q", items[0].Link, items[1].Link)
	}
}
