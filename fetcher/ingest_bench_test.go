package fetcher

import (
	"fmt"
	"html"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/feedmill/feedmill/fetcher/normalize"
	"github.com/feedmill/feedmill/fetcher/parse"
)

// benchFeed builds an RSS feed of n items shaped like cmd/feedbench's
// ingest feeds: each a ~20 KB content:encoded CDATA section made of the
// Guardian capture's item bodies, and an escaped description.
func benchFeed(b *testing.B, n int) []byte {
	raw, err := os.ReadFile(realworldDir + "/guardian.rss")
	if err != nil {
		b.Fatal(err)
	}
	src, err := gofeed.NewParser().ParseString(string(raw))
	if err != nil {
		b.Fatal(err)
	}
	var body strings.Builder
	for body.Len() < 20000 {
		for _, it := range src.Items {
			body.WriteString(it.Description + "\n")
		}
	}
	var f strings.Builder
	f.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>` +
		"<title>Bench</title><link>https://news.example/</link><description>d</description>\n")
	for i := range n {
		it := src.Items[i%len(src.Items)]
		fmt.Fprintf(&f, "<item><title>%s %d</title><link>https://news.example/%d?utm_source=rss</link><guid>g%d</guid>"+
			"<pubDate>Mon, 01 Dec 2025 10:00:00 GMT</pubDate><description>%s</description>"+
			"<content:encoded><![CDATA[%s]]></content:encoded></item>\n",
			html.EscapeString(it.Title), i, i, i, html.EscapeString(it.Description), body.String())
	}
	f.WriteString("</channel></rss>\n")
	return []byte(f.String())
}

// BenchmarkParseNormalize: what a fetched ~1 MB feed of 40 items costs
// after the HTTP client: gofeed (with and without the lifted parse),
// normalization, cleaning, sanitizing, fingerprints and the caps; one
// goroutine. MB/s is of the feed's body.
func BenchmarkParseNormalize(b *testing.B) {
	body := benchFeed(b, 40)
	feedURL, _ := url.Parse("https://news.example/feed.xml")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lim := normalize.Limits{MaxItems: DefaultMaxItems, MaxItemBytes: DefaultMaxItemBytes}
	for _, bc := range []struct {
		name string
		opts parse.Options
	}{{"lift", parse.Options{}}, {"whole", parse.Options{NoLift: true}}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				feed, _, err := parse.Feed(body, bc.opts)
				if err != nil {
					b.Fatal(err)
				}
				if _, items := normalize.Feed(feed, feedURL, now, lim); len(items) != 40 {
					b.Fatalf("%d items", len(items))
				}
			}
		})
	}
}
