package render

import (
	"bytes"
	"encoding/json"
	"flag"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/feedserver/channel"
	"github.com/feedmill/feedmill/storage"
	"github.com/mmcdole/gofeed"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// sampleDoc is a small channel with every field the renderers use.
func sampleDoc(t testing.TB) *Doc {
	t.Helper()
	ch, err := channel.Compile(channel.Config{Name: "world", Title: "World news", Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	return &Doc{
		Channel: ch,
		Base:    "https://feeds.example.org",
		Version: "test",
		Sources: map[uint64]storage.Source{
			1: {ID: 1, URL: "https://a.example/feed.xml", Title: "Alpha Times", State: storage.FetchState{SiteURL: "https://a.example/"}},
			2: {ID: 2, URL: "https://b.example/rss", State: storage.FetchState{FeedTitle: "Beta Daily"}},
		},
		Items: []storage.Item{
			{
				ID: 12, SourceID: 2, Story: 7, Link: "https://b.example/story?id=3",
				Title: "Rivers rise & towns <evacuate>", Summary: "<p>Water levels <b>rose</b>.</p>",
				Content: "<p>Full story with <a href=\"https://b.example/x\">link</a>.</p>",
				Author:  "Jane Roe", Categories: []string{"weather", "floods"},
				Enclosures: []storage.Enclosure{{URL: "https://b.example/a.mp3", Type: "audio/mpeg", Length: 12345}},
				Published:  t0.Add(-time.Hour), Updated: t0.Add(-30 * time.Minute),
			},
			{
				ID: 5, SourceID: 1, Link: "https://a.example/2024/elections",
				Title: "Elections called", Summary: "Parliament dissolved.",
				Published: t0.Add(-3 * time.Hour),
			},
		},
	}
}

func TestRenderGolden(t *testing.T) {
	for _, f := range Formats {
		t.Run(f, func(t *testing.T) {
			got, err := Render(f, sampleDoc(t))
			if err != nil {
				t.Fatal(err)
			}
			again, _ := Render(f, sampleDoc(t))
			if !bytes.Equal(got, again) {
				t.Error("two renders differ")
			}
			golden := filepath.Join("testdata", "world."+f)
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("render differs from %s (go test -update rewrites it):\n%s", golden, got)
			}
		})
	}
}

// TestRenderParses reads every format back with gofeed.
func TestRenderParses(t *testing.T) {
	for _, f := range Formats {
		t.Run(f, func(t *testing.T) {
			d := sampleDoc(t)
			body, err := Render(f, d)
			if err != nil {
				t.Fatal(err)
			}
			feed, err := gofeed.NewParser().ParseString(string(body))
			if err != nil {
				t.Fatalf("parse: %v\n%s", err, body)
			}
			checkParsed(t, feed, d, f)
		})
	}
}

// checkParsed compares a parsed feed with what d holds.
func checkParsed(t *testing.T, feed *gofeed.Feed, d *Doc, format string) {
	t.Helper()
	if feed.Title != d.Channel.Title {
		t.Errorf("title = %q, want %q", feed.Title, d.Channel.Title)
	}
	if d.Channel.Language != "" && feed.Language != d.Channel.Language {
		t.Errorf("language = %q, want %q", feed.Language, d.Channel.Language)
	}
	self := d.FeedURL(format)
	if feed.FeedLink != self {
		t.Errorf("self link = %q, want %q", feed.FeedLink, self)
	}
	if len(feed.Items) != len(d.Items) {
		t.Fatalf("%d items, want %d", len(feed.Items), len(d.Items))
	}
	for i, it := range feed.Items {
		want := &d.Items[i]
		title := it.Title
		if format == "rss" {
			// RSS text is read as HTML (rssText): markup-looking text
			// comes escaped once more.
			title = html.UnescapeString(title)
		}
		if title != want.Title {
			t.Errorf("item %d title = %q, want %q", i, it.Title, want.Title)
		}
		if it.Link != want.Link {
			t.Errorf("item %d link = %q, want %q", i, it.Link, want.Link)
		}
		if it.GUID != d.itemID(want) {
			t.Errorf("item %d id = %q, want %q", i, it.GUID, d.itemID(want))
		}
		if it.PublishedParsed == nil || !it.PublishedParsed.Equal(ItemPublished(want)) {
			t.Errorf("item %d published = %v, want %v", i, it.PublishedParsed, want.Published)
		}
		if len(it.Categories) != len(want.Categories) {
			t.Errorf("item %d categories = %q, want %q", i, it.Categories, want.Categories)
		}
		if len(it.Enclosures) != len(want.Enclosures) {
			t.Errorf("item %d enclosures = %v, want %v", i, it.Enclosures, want.Enclosures)
		}
		if want.Author != "" && (it.Author == nil || it.Author.Name != want.Author) {
			t.Errorf("item %d author = %v, want %q", i, it.Author, want.Author)
		}
	}
}

func TestRenderJSONFields(t *testing.T) {
	body, err := Render("json", sampleDoc(t))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Version  string `json:"version"`
		FeedURL  string `json:"feed_url"`
		HomePage string `json:"home_page_url"`
		Language string `json:"language"`
		Items    []struct {
			ID          string `json:"id"`
			Authors     []struct{ Name string }
			Attachments []map[string]any `json:"attachments"`
			Feedmill    struct {
				Source struct {
					Title   string
					FeedURL string `json:"feed_url"`
				}
			} `json:"_feedmill"`
		} `json:"items"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	if v.Version != "https://jsonfeed.org/version/1.1" || v.FeedURL != "https://feeds.example.org/channels/world.json" ||
		v.HomePage != "https://feeds.example.org/channels/world" || v.Language != "en" {
		t.Errorf("feed fields: %+v", v)
	}
	att := v.Items[0].Attachments[0]
	if att["size_in_bytes"] != float64(12345) || att["size"] != nil {
		t.Errorf("attachment = %v, want size_in_bytes", att)
	}
	if v.Items[0].Authors[0].Name != "Jane Roe" || v.Items[0].Feedmill.Source.Title != "Beta Daily" {
		t.Errorf("item 0: %+v", v.Items[0])
	}
	if !strings.Contains(string(body), `"id": "urn:feedmill:channel:world:item:7"`) {
		t.Error("story id not used as item id")
	}
}

func TestRenderXMLDetails(t *testing.T) {
	rss, _ := Render("rss", sampleDoc(t))
	atom, _ := Render("atom", sampleDoc(t))
	for _, want := range []string{
		`xmlns:atom="http://www.w3.org/2005/Atom"`,
		`<atom:link href="https://feeds.example.org/channels/world.rss" rel="self" type="application/rss+xml"></atom:link>`,
		`<language>en</language>`,
		`<guid isPermaLink="false">urn:feedmill:channel:world:item:7</guid>`,
		`<category>weather</category>`,
		`<enclosure url="https://b.example/a.mp3" length="12345" type="audio/mpeg"></enclosure>`,
		`<pubDate>Fri, 01 Mar 2024 11:00:00 +0000</pubDate>`,
		`<lastBuildDate>Fri, 01 Mar 2024 11:30:00 +0000</lastBuildDate>`,
		`<dc:creator>Jane Roe</dc:creator>`,
		`<source url="https://b.example/rss">Beta Daily</source>`,
		`<content:encoded><![CDATA[<p>Full story`,
	} {
		if !bytes.Contains(rss, []byte(want)) {
			t.Errorf("RSS lacks %s", want)
		}
	}
	for _, want := range []string{
		`<id>https://feeds.example.org/channels/world.atom</id>`,
		`<link href="https://feeds.example.org/channels/world.atom" rel="self" type="application/atom+xml"></link>`,
		`<link href="https://feeds.example.org/channels/world" rel="alternate" type="text/html"></link>`,
		`<updated>2024-03-01T11:30:00Z</updated>`,
		`<id>urn:feedmill:channel:world:item:7</id>`,
		`<published>2024-03-01T11:00:00Z</published>`,
		`<category term="floods"></category>`,
		`<name>Jane Roe</name>`,
		`rel="enclosure" type="audio/mpeg" length="12345"`,
		`<content type="html">`,
		`<title>Alpha Times</title>`,
	} {
		if !bytes.Contains(atom, []byte(want)) {
			t.Errorf("Atom lacks %s", want)
		}
	}
}

func TestRenderKeepUsesItemIDs(t *testing.T) {
	d := sampleDoc(t)
	collapsing := d.Channel
	keep, err := channel.Compile(channel.Config{Name: "world", Duplicates: channel.DuplicatesKeep})
	if err != nil {
		t.Fatal(err)
	}
	d.Channel = keep
	if got := d.itemID(&d.Items[0]); got != "urn:feedmill:channel:world:item:12" {
		t.Errorf("keep id = %q", got)
	}
	d.Channel = collapsing
	if got := d.itemID(&d.Items[0]); got != "urn:feedmill:channel:world:item:7" {
		t.Errorf("collapse id = %q", got)
	}
}

func TestRenderEmpty(t *testing.T) {
	for _, f := range Formats {
		d := sampleDoc(t)
		d.Items = nil
		body, err := Render(f, d)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		feed, err := gofeed.NewParser().ParseString(string(body))
		if err != nil || len(feed.Items) != 0 {
			t.Errorf("%s: parse empty: %v", f, err)
		}
	}
}

func BenchmarkRender(b *testing.B) {
	d := sampleDoc(b)
	proto := d.Items
	d.Items = nil
	for i := range 50 {
		it := proto[i%2]
		it.ID = uint64(100 + i)
		it.Story = 0
		it.Published = t0.Add(-time.Duration(i) * time.Minute)
		d.Items = append(d.Items, it)
	}
	for _, f := range Formats {
		b.Run(f, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Render(f, d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
