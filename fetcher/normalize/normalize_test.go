package normalize

import (
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/feedmill/feedmill/storage"
)

func TestPlainText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Plain title", "Plain title"},
		{"  spaced \n\t out  ", "spaced out"},
		{"Tom &amp; Jerry", "Tom & Jerry"},
		{"<b>Bold</b> <i>move</i>", "Bold move"},
		{"Line<br/>break", "Line break"},
		{"a < b and c > d", "a < b and c > d"},
		{"&lt;script&gt; is escaped", "<script> is escaped"},
		{"<p>caf&eacute; &#8212; d&#xe9;j&agrave; vu</p>", "café — déjà vu"},
		{"bad \xff byte", "bad \uFFFD byte"},
		{"ctrl\x00\x01\x1f chars\x7f", "ctrl chars\x7f"},
		{"", ""},
		{"<![CDATA[x]]>", ""},
	}
	for _, tt := range tests {
		if got := plainText(tt.in); got != tt.want {
			t.Errorf("plainText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCleanText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ok\ttab\nnl\r", "ok\ttab\nnl\r"},
		{"a\x00b\x0bc", "abc"},
		{"\xc3\x28", "\uFFFD("},
		{"don\u0092t \u0081x", "don\u2019t x"},
	}
	for _, tt := range tests {
		if got := Text(tt.in); got != tt.want {
			t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func tp(t time.Time) *time.Time { return &t }

func TestNormalizeItem(t *testing.T) {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	base, _ := url.Parse("https://example.org/blog/")
	d1 := time.Date(2025, 3, 1, 8, 0, 0, 0, time.FixedZone("CET", 3600))
	d2 := time.Date(2025, 3, 2, 8, 0, 0, 0, time.UTC)
	future := now.Add(48 * time.Hour)
	tests := []struct {
		name string
		in   gofeed.Item
		want storage.Item
	}{
		{
			name: "full item",
			in: gofeed.Item{
				Title: " <em>Hello</em>  &amp; welcome ", GUID: "  urn:x:1 ", Link: "post-1.html?utm_source=rss#top",
				Description: "<p>sum</p>", Content: "<p>body</p>",
				PublishedParsed: &d1, UpdatedParsed: &d2,
				Authors:    []*gofeed.Person{{Name: "Ann", Email: "ann@example.org"}, {Name: "Bob"}},
				Categories: []string{" Go ", "go", "", "News"},
				Enclosures: []*gofeed.Enclosure{{URL: "/a.mp3", Type: "audio/mpeg", Length: "123"}, {URL: "", Type: "x"}, {URL: "b.ogg", Length: "n/a"}},
				Image:      &gofeed.Image{URL: "img/x.png"},
			},
			want: storage.Item{
				GUID: "urn:x:1", Link: "https://example.org/blog/post-1.html", Title: "Hello & welcome",
				Summary: "<p>sum</p>", Content: "<p>body</p>", Author: "Ann", AuthorMail: "ann@example.org",
				Categories: []string{"Go", "News"},
				Enclosures: []storage.Enclosure{{URL: "https://example.org/a.mp3", Type: "audio/mpeg", Length: 123}, {URL: "https://example.org/blog/b.ogg"}},
				Image:      "https://example.org/blog/img/x.png", Language: "en",
				Published: d1.UTC(), Updated: d2,
			},
		},
		{
			name: "guid as link",
			in:   gofeed.Item{GUID: "https://Example.org/p/2?fbclid=1", Links: []string{"https://example.org/other"}},
			want: storage.Item{GUID: "https://Example.org/p/2?fbclid=1", Link: "https://example.org/p/2", Language: "en"},
		},
		{
			name: "non-url guid, first of links",
			in:   gofeed.Item{GUID: "tag:example.org,2025:3", Links: []string{"", "/p/3"}},
			want: storage.Item{GUID: "tag:example.org,2025:3", Link: "https://example.org/p/3", Language: "en"},
		},
		{
			name: "updated only",
			in:   gofeed.Item{Link: "https://example.org/4", UpdatedParsed: &d2},
			want: storage.Item{Link: "https://example.org/4", Published: d2, Language: "en"},
		},
		{
			name: "updated before published ignored",
			in:   gofeed.Item{Link: "https://example.org/5", PublishedParsed: &d2, UpdatedParsed: &d1},
			want: storage.Item{Link: "https://example.org/5", Published: d2, Language: "en"},
		},
		{
			name: "future date clamped",
			in:   gofeed.Item{Link: "https://example.org/6", PublishedParsed: tp(future)},
			want: storage.Item{Link: "https://example.org/6", Published: now, Language: "en"},
		},
		{
			name: "slightly future kept",
			in:   gofeed.Item{Link: "https://example.org/7", PublishedParsed: tp(now.Add(time.Hour))},
			want: storage.Item{Link: "https://example.org/7", Published: now.Add(time.Hour), Language: "en"},
		},
		{
			name: "no date, deprecated author, bad link",
			in:   gofeed.Item{Link: "http://[bad", Title: "T\x00", Author: &gofeed.Person{Name: " Zed "}},
			want: storage.Item{Title: "T", Author: "Zed", Language: "en", Cleaned: []string{cleanedLink}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := normalizeItem(&tt.in, base, "en", now)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestNormalizeFeed(t *testing.T) {
	feedURL, _ := url.Parse("https://feeds.example.net/x/feed.xml")
	feed := &gofeed.Feed{
		Title: "My <b>Site</b>", Link: "/home", Language: "de",
		Items: []*gofeed.Item{{Link: "a.html"}, nil, {Link: "https://other.org/b"}},
	}
	meta, items := normalizeFeed(feed, feedURL, time.Now())
	if meta.Title != "My Site" || meta.SiteURL != "https://feeds.example.net/home" || meta.Language != "de" {
		t.Errorf("meta = %+v", meta)
	}
	if len(items) != 2 || items[0].Link != "https://feeds.example.net/a.html" || items[1].Link != "https://other.org/b" || items[0].Language != "de" {
		t.Errorf("items = %+v", items)
	}
}
