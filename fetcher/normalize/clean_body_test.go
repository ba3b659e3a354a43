package normalize

import (
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"
)

func TestCleanBody(t *testing.T) {
	base, _ := url.Parse("https://news.example/2025/06/story.html")
	tests := []struct {
		name, in string
		want     string // exact output
		rules    []string
	}{
		{"read more paragraph", `<p>First.</p><p><strong>READ MORE:</strong> <a href="/other">Other story</a></p><p>Second.</p>`,
			`<p>First.</p><p>Second.</p>`, []string{"read-more"}},
		{"line between br", `First line.<br>DON'T MISS: <a href="https://x.example/">quiz</a><br>Last line.`,
			`First line.<br/>Last line.`, []string{"dont-miss"}},
		{"comment footer block", `<p>Body text.</p><div id="respond"><h3>Leave a Reply</h3><p>Your email address will not be published. Required fields are marked *</p></div>`,
			`<p>Body text.</p>`, []string{"comment-form"}},
		{"list item", `<p>Body.</p><ul><li>Related: one</li><li>Kept item</li></ul>`,
			`<p>Body.</p><ul><li>Kept item</li></ul>`, []string{"related"}},
		{"wordpress footer", `<p>Body.</p><p>The post <a href="https://blog.example/p">Spring</a> appeared first on <a href="https://blog.example">Blog</a>.</p>`,
			`<p>Body.</p>`, []string{"appeared-first"}},
		{"plain text lines", "Body text.\nREAD MORE: elsewhere\nMore body.",
			"Body text.\nMore body.", []string{"read-more"}},
		{"script and handlers", `<p onclick="evil()">Hi<script>alert(1)</script></p><style>p{}</style>`,
			`<p>Hi</p>`, nil},
		{"javascript and data links", `<a href="javascript:alert(1)">x</a> <a href="data:text/html,hi">y</a>`,
			`x y`, nil},
		{"relative and tracking links", `<a href="/a?id=3&utm_source=rss&fbclid=9">a</a> <img src="img/p.jpg" alt="p">`,
			`<a href="https://news.example/a?id=3">a</a> <img src="https://news.example/2025/06/img/p.jpg" alt="p"/>`, nil},
		{"iframes", `<iframe src="https://www.youtube.com/embed/abc"></iframe><iframe src="https://ads.example/frame"></iframe>`,
			`<iframe src="https://www.youtube.com/embed/abc"></iframe>`, []string{"iframe"}},
		{"tracking pixels", `<p>Text<img src="https://news.example/t.gif" width="1" height="1"><img src="https://feeds.feedburner.com/~r/x/~4/abc"><img src="https://news.example/photo.jpg" width="600"></p>`,
			`<p>Text<img src="https://news.example/photo.jpg" width="600"/></p>`, []string{"tracking-pixel"}},
		{"feedburner flare", `<p>Text</p><div class="feedflare"><a href="http://feeds.feedburner.com/~ff/x?a=1"><img src="http://feeds.feedburner.com/~ff/x?d=2"></a></div>`,
			`<p>Text</p>`, []string{"feedburner-flare"}},
		{"story kept whole", `<p>Related research suggests otherwise, she said.</p>`,
			`<p>Related research suggests otherwise, she said.</p>`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rules []string
			got := cleanedBody(tt.in, base, &rules)
			if got != tt.want {
				t.Errorf("cleanBody:\n got %s\nwant %s", got, tt.want)
			}
			if !slices.Equal(rules, tt.rules) {
				t.Errorf("rules %v, want %v", rules, tt.rules)
			}
		})
	}
}

// TestRelativeURLsInFeeds checks that body URLs of feeds with relative
// links and xml:base come out absolute.
func TestRelativeURLsInFeeds(t *testing.T) {
	for _, name := range []string{"rss-with-relative-urls.xml", "rss-with-item-scoped-html-base.xml", "rss-with-relative-html-urls.xml", "tpm.atom"} {
		data, err := os.ReadFile(edgeFile(t, name))
		if err != nil {
			t.Fatal(err)
		}
		feed, err := gofeed.NewParser().ParseString(string(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		feedURL, _ := url.Parse("https://feeds.example/" + name)
		_, items := normalizeFeed(feed, feedURL, testNow)
		for _, it := range items {
			for _, body := range []string{it.Summary, it.Content} {
				for _, attr := range []string{`href="/`, `src="/`, `href="./`, `src="./`, `href="../`} {
					if strings.Contains(body, attr) {
						t.Errorf("%s: item %q keeps a relative URL (%s): %.200s", name, it.Title, attr, body)
					}
				}
			}
		}
	}
}
