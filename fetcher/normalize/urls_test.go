package normalize

import (
	"net/url"

	"github.com/mmcdole/gofeed"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/urlpolicy"
	"github.com/feedmill/feedmill/storage"
)

// TestIngestURLPolicy: every URL of a hostile feed goes through the URL
// policy at ingest, and each refusal is recorded for explain.
func TestIngestURLPolicy(t *testing.T) {
	body := `<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>x</title>
<link>JaVaScRiPt:alert(1)</link>
<item><title>a</title><link>java&#x09;script:alert(1)</link><guid isPermaLink="false">a</guid>
<description>&lt;a href="javascript:%61lert(1)"&gt;x&lt;/a&gt; &lt;a href="mailto:someone@ok.example"&gt;m&lt;/a&gt; &lt;img src="https:\\ok.example\i.png"&gt; &lt;a href="#notes"&gt;n&lt;/a&gt;</description>
<enclosure url="ms-msdt:/id PCWDiagnostic" type="audio/mpeg" length="1"/>
<enclosure url="magnet:?xt=urn:btih:x" type="application/x-bittorrent" length="1"/>
<enclosure url="  HTTPS://OK.example/a.mp3 " type="audio/mpeg" length="1"/>
</item>
<item><title>b</title><link>	htt&#x0A;ps://ok.example/t&#x09;abs?utm_source=rss </link><guid isPermaLink="false">b</guid>
<description>fine</description></item>
<item><title>c</title><link>javascript://https://ok.example/%0aalert(1)</link><guid>https://ok.example/c</guid></item>
</channel></rss>`
	feed, _, err := parseFeed([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("https://feeds.example/feed.xml")
	meta, items := normalizeFeed(feed, base, time.Now())
	if meta.SiteURL != "" || len(items) != 3 {
		t.Fatalf("site %q, %d items", meta.SiteURL, len(items))
	}
	a, b, c := items[0], items[1], items[2]
	if a.Link != "" || a.Image != "https://ok.example/i.png" || len(a.Enclosures) != 1 || a.Enclosures[0].URL != "https://ok.example/a.mp3" {
		t.Errorf("item a: link %q, image %q, enclosures %+v", a.Link, a.Image, a.Enclosures)
	}
	for _, want := range []string{cleanedSite, cleanedLink, cleanedEnclosure} {
		if !slices.Contains(a.Cleaned, want) {
			t.Errorf("item a: Cleaned %q lacks %s", a.Cleaned, want)
		}
	}
	for _, want := range []string{`href="mailto:someone@ok.example"`, `src="https://ok.example/i.png"`,
		`href="https://feeds.example/feed.xml#notes"`} {
		if !strings.Contains(a.Summary, want) {
			t.Errorf("item a: summary lacks %s: %s", want, a.Summary)
		}
	}
	if strings.Contains(a.Summary, "alert") {
		t.Errorf("item a: summary keeps a script: %s", a.Summary)
	}
	if b.Link != "https://ok.example/tabs" || slices.Contains(b.Cleaned, cleanedLink) {
		t.Errorf("item b: link %q, cleaned %q", b.Link, b.Cleaned)
	}
	if c.Link != "https://ok.example/c" || !slices.Contains(c.Cleaned, cleanedLink) {
		t.Errorf("item c: link %q (from its guid), cleaned %q", c.Link, c.Cleaned)
	}
	img := normalizeItem(&gofeed.Item{Title: "d", Image: &gofeed.Image{URL: "intent://scan/#Intent;end"}}, base, "", time.Now())
	if img.Image != "" || !slices.Contains(img.Cleaned, cleanedImage) {
		t.Errorf("item d: image %q, cleaned %q", img.Image, img.Cleaned)
	}
	items = append(items, img)
	for _, it := range items {
		for _, u := range append([]string{it.Link, it.Image}, enclosureURLs(it.Enclosures)...) {
			if u != "" && !urlpolicy.Allowed(u, urlpolicy.Web) {
				t.Errorf("stored %q does not pass the policy", u)
			}
		}
	}
}

func enclosureURLs(encs []storage.Enclosure) []string {
	var out []string
	for _, e := range encs {
		out = append(out, e.URL)
	}
	return out
}
