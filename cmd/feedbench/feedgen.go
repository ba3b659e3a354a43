package main

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"html"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
)

// corpus is the text the generated feeds are made of: the titles,
// categories and paragraphs of a real news capture (guardian.rss).
type corpus struct {
	titles     []string
	categories [][]string
	summaries  []string   // HTML, as the capture has them
	paragraphs [][]string // the words of every <p> of every summary, tags removed
	vocab      []string   // every word of the paragraphs
}

var (
	paraRE = regexp.MustCompile(`(?s)<p>(.*?)</p>`)
	tagRE  = regexp.MustCompile(`<[^>]*>`)
)

// loadCorpus reads a real RSS capture and keeps its text.
func loadCorpus(path string) (*corpus, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	defer f.Close()
	feed, err := gofeed.NewParser().Parse(f)
	if err != nil {
		return nil, fmt.Errorf("corpus %s: %w", path, err)
	}
	c := &corpus{}
	for _, it := range feed.Items {
		c.titles = append(c.titles, it.Title)
		c.categories = append(c.categories, it.Categories)
		c.summaries = append(c.summaries, it.Description)
		for _, m := range paraRE.FindAllStringSubmatch(it.Description, -1) {
			words := strings.Fields(html.UnescapeString(tagRE.ReplaceAllString(m[1], " ")))
			if len(words) >= 8 {
				c.paragraphs = append(c.paragraphs, words)
				c.vocab = append(c.vocab, words...)
			}
		}
	}
	if len(c.titles) == 0 || len(c.paragraphs) == 0 {
		return nil, fmt.Errorf("corpus %s: no items or paragraphs", path)
	}
	return c, nil
}

// feedSpec says what one generated feed holds. Generation g of a source
// carries the items numbered g*NewPerGen … g*NewPerGen+Items-1, newest
// first, so each generation brings NewPerGen new items and drops as many
// old ones, the way a news feed moves.
type feedSpec struct {
	Source    int
	Gen       int
	Items     int
	NewPerGen int
	ItemBytes int       // approximate size of each item's content:encoded
	Base      time.Time // publication time of item 0; item n is n minutes later
	Host      string    // for the channel link
}

// mix is a deterministic 64-bit hash of a few numbers.
func mix(nums ...int) uint64 {
	h := fnv.New64a()
	for _, n := range nums {
		fmt.Fprintf(h, "%d,", n)
	}
	return h.Sum64()
}

// feed renders the RSS 2.0 document of spec. The same spec always gives
// the same bytes.
func (c *corpus) feed(spec feedSpec) []byte {
	var b bytes.Buffer
	b.Grow(spec.Items * (spec.ItemBytes + 3000))
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>Bench source %d</title>
<link>http://%s/</link>
<atom:link href="http://%s/feed/%d.xml" rel="self" type="application/rss+xml"/>
<description>Generated from a Guardian capture for feedmill's benchmarks</description>
<language>en-gb</language>
<ttl>30</ttl>
`, spec.Source, spec.Host, spec.Host, spec.Source)
	first := spec.Gen * spec.NewPerGen
	for n := first + spec.Items - 1; n >= first; n-- {
		c.writeItem(&b, spec, n)
	}
	b.WriteString("</channel>\n</rss>\n")
	return b.Bytes()
}

func (c *corpus) writeItem(b *bytes.Buffer, spec feedSpec, n int) {
	h := mix(spec.Source, n)
	k := int(h % uint64(len(c.titles)))
	pub := spec.Base.Add(time.Duration(n) * time.Minute).UTC()
	link := fmt.Sprintf("https://news.example/s%d/2025/story-%d", spec.Source, n)
	b.WriteString("<item>\n<title>")
	xmlEscape(b, fmt.Sprintf("%s (%d/%d)", c.titles[k], spec.Source, n))
	fmt.Fprintf(b, "</title>\n<link>%s?utm_source=rss&amp;utm_medium=feed</link>\n", link)
	fmt.Fprintf(b, "<guid isPermaLink=\"false\">bench-%d-%d</guid>\n", spec.Source, n)
	fmt.Fprintf(b, "<pubDate>%s</pubDate>\n", pub.Format(time.RFC1123Z))
	fmt.Fprintf(b, "<dc:creator>Reporter %d</dc:creator>\n", h%97)
	for _, cat := range c.categories[k] {
		b.WriteString("<category>")
		xmlEscape(b, cat)
		b.WriteString("</category>\n")
	}
	// The body: paragraphs of the capture picked by a hash of (source,
	// item, paragraph), with every other word (by hash) swapped for another
	// word of the capture. Real stories are mostly unique: two bodies share
	// few 3-word sequences, so the near-duplicate index sees distinct
	// stories, as it would in a real subscription list.
	var body bytes.Buffer
	for i := 0; body.Len() < spec.ItemBytes; i++ {
		words := c.paragraphs[mix(spec.Source, n, i)%uint64(len(c.paragraphs))]
		body.WriteString("<p>")
		for j, w := range words {
			if h := mix(spec.Source, n, i, j); h%2 == 0 {
				w = c.vocab[(h>>8)%uint64(len(c.vocab))]
			}
			if j > 0 {
				body.WriteByte(' ')
			}
			xmlEscape(&body, w)
		}
		body.WriteString("</p>\n")
		if i == 0 {
			// The first paragraph is the summary too, as in most feeds.
			b.WriteString("<description>")
			xmlEscape(b, body.String())
			b.WriteString("</description>\n")
		}
	}
	b.WriteString("<content:encoded><![CDATA[")
	b.Write(body.Bytes())
	b.WriteString("]]></content:encoded>\n</item>\n")
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

func xmlEscape(b *bytes.Buffer, s string) { xmlEscaper.WriteString(b, s) }
