package testfeeds

import (
	"fmt"
	"strings"
	"time"
)

// RSSWithDates is an RSS 2.0 feed (with the sy: namespace declared) whose
// channel carries extra and whose items carry the given dates, in order.
func RSSWithDates(extra string, dates ...time.Time) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel><title>T</title><link>https://example.org/</link>`)
	b.WriteString(extra)
	for i, d := range dates {
		fmt.Fprintf(&b, "<item><title>i%d</title><guid>g%d</guid><pubDate>%s</pubDate></item>", i, i, d.UTC().Format(time.RFC1123Z))
	}
	b.WriteString("</channel></rss>")
	return b.String()
}
