package fetcher

import (
	"math/bits"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/feedmill/feedmill/storage"
)

func TestCruftRule(t *testing.T) {
	tests := []struct {
		line, want string
	}{
		{"READ MORE: Minister resigns over rail scandal", "read-more"},
		{"Read more »", "read-more"},
		{"See also: the full timeline", "read-more"},
		{"Continue reading...", "read-more"},
		{"DON'T MISS: Ten things you did not know", "dont-miss"},
		{"Don’t miss — our weekend quiz", "dont-miss"},
		{"Related: Storm warnings issued for the coast", "related"},
		{"Related articles", "related"},
		{"You may also like:", "related"},
		{"Sign up for our daily newsletter", "newsletter"},
		{"Subscribe to the Morning Briefing newsletter here", "newsletter"},
		{"Leave a Reply", "comment-form"},
		{"Your email address will not be published. Required fields are marked *", "comment-form"},
		{"Required fields are marked *", "comment-form"},
		{"12 Comments", "comment-form"},
		{"Share on Facebook", "share-buttons"},
		{"Share this:", "share-buttons"},
		{"Facebook Twitter LinkedIn Email", "share-buttons"},
		{"Click to share on Twitter (Opens in new window)", "share-buttons"},
		{"The post Ten tips for spring appeared first on Garden Weekly.", "appeared-first"},
		// Not cruft: story text that merely mentions the words.
		{"Readers were asked to read more carefully before signing.", ""},
		{"Related research suggests the effect is small.", ""},
		{"She said she would not miss the vote.", ""},
		{"The newsletter, which launched in 2019, has 40,000 subscribers and a sign up page.", ""},
		{"Share prices fell on Facebook and Twitter after the report.", ""},
		{"The post office will close early on Friday, officials said.", ""},
		{"Comments from residents were mixed.", ""},
		{"Read more: " + strings.Repeat("a very long paragraph ", 30), ""},
	}
	for _, tt := range tests {
		if got := cruftRule(tt.line); got != tt.want {
			t.Errorf("cruftRule(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}

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
		data, err := os.ReadFile(edgeDir + "/" + name)
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

var testNow = mustTime("2026-01-01T00:00:00Z")

func TestFingerprint(t *testing.T) {
	body := `<p>The regional council voted on Tuesday to close three rural schools next year, citing falling enrolment and a budget gap of four million euros.</p>
<p>Parents protested outside the council building before the vote, and several councillors said they would appeal the decision to the education ministry.</p>
<p>The schools, in the villages of Alder, Brook and Caddow, teach fewer than forty pupils between them.</p>`
	it := func(title, body string) storage.Item {
		x := storage.Item{Title: title, Content: body}
		fingerprintItem(&x)
		return x
	}
	a := it("Council votes to close three rural schools", body)
	if a.Fingerprint == 0 || len(a.Lead) < 50 {
		t.Fatalf("fingerprint %x, lead %d shingles", a.Fingerprint, len(a.Lead))
	}
	// Markup and case do not matter.
	b := it("COUNCIL VOTES TO CLOSE THREE RURAL SCHOOLS", strings.ReplaceAll(body, "<p>", "<p><span></span>"))
	if a.Fingerprint != b.Fingerprint || !slices.Equal(a.Lead, b.Lead) {
		t.Error("markup or case changed the fingerprint")
	}
	// A new headline moves few bits.
	c := it("Three village schools to shut after council vote", body)
	if d := bits.OnesCount64(a.Fingerprint ^ c.Fingerprint); d > 12 {
		t.Errorf("new headline: distance %d", d)
	}
	if !slices.Equal(a.Lead, c.Lead) {
		t.Error("the headline changed the lead")
	}
	// A different story is far away.
	d := it("Storm closes harbour", `<p>A storm forced the harbour authority to close the port on Wednesday as waves of six metres hit the breakwater, and ferries to the islands were cancelled until further notice.</p>`)
	if dist := bits.OnesCount64(a.Fingerprint ^ d.Fingerprint); dist < 16 {
		t.Errorf("different story: distance %d", dist)
	}
	// Too short for a fingerprint.
	if e := it("Short", "<p>Just a few words here.</p>"); e.Fingerprint != 0 || len(e.Lead) >= 8 {
		t.Errorf("short text: fingerprint %x, lead %d", e.Fingerprint, len(e.Lead))
	}
}

// BenchmarkFingerprint: one 800-word article (about 5 KB of HTML).
func BenchmarkFingerprint(b *testing.B) {
	words := strings.Fields(`the minister said on tuesday that talks would resume next week after a breakdown over funding for the new rail line which critics say has run years late and billions over budget while residents of the northern districts complain of noise dust and closed roads`)
	var sb strings.Builder
	for i := range 800 {
		if i%40 == 0 {
			sb.WriteString("<p>")
		}
		sb.WriteString(words[(i*7)%len(words)])
		sb.WriteByte(' ')
		if i%40 == 39 {
			sb.WriteString("</p>\n")
		}
	}
	it := storage.Item{Title: "Talks to resume over rail funding", Content: sb.String()}
	b.SetBytes(int64(len(it.Content)))
	b.ReportAllocs()
	for b.Loop() {
		x := it
		fingerprintItem(&x)
	}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}
