package normalize

import (
	"net/url"
	"testing"

	"github.com/feedmill/feedmill/storage"
)

// TestFeedSkipping: only the items known does not report are cleaned;
// the raw hash tells a changed body from the same one, and items without
// an identity before cleaning are never asked about.
func TestFeedSkipping(t *testing.T) {
	doc := func(body string) []byte {
		return []byte(`<rss version="2.0"><channel><title>f</title>
<item><title>a</title><guid>a</guid><description>` + body + `</description></item>
<item><title>b</title><guid>b</guid><description>&lt;p&gt;b&lt;/p&gt;</description></item>
<item><title>c</title><description>no identity before cleaning</description></item>
</channel></rss>`)
	}
	u, _ := url.Parse("https://feed.example/feed")
	run := func(body string, knownRaw map[string]uint64) []storage.Item {
		feed, _, err := parseFeed(doc(body))
		if err != nil {
			t.Fatal(err)
		}
		_, items := FeedSkipping(feed, u, testNow, Limits{}, func(items []storage.Item) []bool {
			out := make([]bool, len(items))
			for i, it := range items {
				if it.Key == "" {
					continue // "h:" keys are made from the cleaned body
				}
				h, ok := knownRaw[it.Key]
				out[i] = ok && h == it.RawHash
			}
			return out
		})
		return items
	}
	first := run("&lt;p&gt;a&lt;/p&gt;", nil)
	hashes := map[string]uint64{}
	for _, it := range first {
		if it.Known || it.RawHash == 0 || it.Summary == "" {
			t.Fatalf("first run: %+v", it)
		}
		hashes["g:"+it.GUID] = it.RawHash
	}
	again := run("&lt;p&gt;a&lt;/p&gt;", hashes)
	if !again[0].Known || !again[1].Known || again[2].Known {
		t.Errorf("same feed again: known %v %v %v, want true true false", again[0].Known, again[1].Known, again[2].Known)
	}
	if again[0].Content != "" || again[0].Summary != "" || again[0].Cleaned != nil {
		t.Errorf("a known item was cleaned: %+v", again[0])
	}
	changed := run("&lt;p&gt;a, changed&lt;/p&gt;", hashes)
	if changed[0].Known || !changed[1].Known || changed[0].Summary != "<p>a, changed</p>" {
		t.Errorf("changed body: %+v", changed[0])
	}
}
