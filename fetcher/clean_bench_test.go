package fetcher

import (
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"

	"github.com/feedmill/feedmill/storage"
)

// guardianFeed is a real news capture whose item bodies the ingest
// benchmark (cmd/feedbench) builds its feeds from.
const guardianFeed = "../../shared/testdata/feeds/realworld/guardian.rss"

// BenchmarkCleanItem: cleaning (boilerplate, URLs, sanitizing,
// fingerprint) of one ~20 KB body made of the Guardian capture's item
// bodies, as BenchmarkIngest's items are; single-threaded, so an A/B
// comparison is less noisy than the whole pipeline's.
func BenchmarkCleanItem(b *testing.B) {
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
			body.WriteString(it.Description)
			body.WriteString("<p>Read more: <a href=\"/world?utm_source=rss\">world news</a></p>\n")
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
