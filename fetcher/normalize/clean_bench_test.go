package normalize

import (
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"

	"github.com/feedmill/feedmill/storage"
)

// guardianFeed is a real news capture whose item bodies the ingest
// benchmark (cmd/feedbench) builds its feeds from.
const guardianFeed = "../../../shared/testdata/feeds/realworld/guardian.rss"

// BenchmarkCleanItem: cleaning (boilerplate, URLs, sanitizing,
// fingerprint) of one ~20 KB body made of the Guardian capture's item
// bodies, as BenchmarkIngest's items are; single-threaded, so an A/B
// comparison is less noisy than the whole pipeline's.
func BenchmarkCleanItem(b *testing.B) {
	benchCleanBody(b, func(description string) string {
		return description + "<p>Read more: <a href=\"/world?utm_source=rss\">world news</a></p>\n"
	})
}

// BenchmarkCleanText: the same on plain paragraphs of the capture's text,
// tags stripped (the shape of BenchmarkIngest's generated bodies): the
// text path alone (tokenizer, escaping, word hashes, line text).
func BenchmarkCleanText(b *testing.B) {
	tags := regexp.MustCompile(`<[^>]*>`)
	benchCleanBody(b, func(description string) string {
		return "<p>" + tags.ReplaceAllString(description, " ") + "</p>\n"
	})
}

// benchCleanBody times cleanItem on a body of at least 20,000 bytes made
// of part(description) for the capture's items, over and over.
func benchCleanBody(b *testing.B, part func(description string) string) {
	raw, err := os.ReadFile(guardianFeed)
	if err != nil {
		b.Fatal(err)
	}
	feed, err := gofeed.NewParser().ParseString(string(raw))
	if err != nil {
		b.Fatal(err)
	}
	var body strings.Builder
	for body.Len() < 20000 {
		for _, it := range feed.Items {
			body.WriteString(part(it.Description))
		}
	}
	base, _ := url.Parse("https://www.theguardian.com/world/2024/story")
	it := storage.Item{Title: "A story", Link: base.String(), Content: body.String()}
	b.SetBytes(int64(body.Len()))
	b.ReportAllocs()
	for b.Loop() {
		x := it
		cleanItem(&x, base)
	}
}
