package normalize

import (
	"bytes"
	"net/url"
	"testing"

	"github.com/feedmill/feedmill/fetcher/internal/testfeeds"
	"github.com/feedmill/feedmill/fetcher/parse"
	"github.com/feedmill/feedmill/fetcher/urlclean"
	"github.com/mmcdole/gofeed"
)

// TestItemImageAsGofeed: for every item of every shared test feed, the
// image we pick (gofeed's scan switched off, the first <img src> found by
// the cleaning pass) is the one gofeed's default translator picks, except
// where the item names an image gofeed does not look at (a media:content
// without a type, a media:thumbnail, media in an Atom entry): then that
// one, before any found in the bodies.
func TestItemImageAsGofeed(t *testing.T) {
	feedURL, _ := url.Parse("https://feeds.example/feed.xml")
	items, withImage, fromScan := 0, 0, 0
	for _, p := range testfeeds.Files(t) {
		body := testfeeds.Body(t, p)
		ours, _, err := parseFeed(body)
		if err != nil {
			continue
		}
		theirs, err := gofeed.NewParser().Parse(bytes.NewReader(body))
		if err != nil || len(theirs.Items) != len(ours.Items) {
			t.Errorf("%s: gofeed's default parser: %v, %d items, we have %d", p, err, len(theirs.Items), len(ours.Items))
			continue
		}
		for i, it := range ours.Items {
			if c, d := parse.ImageScan(it.Image); c || d {
				fromScan++
			}
			got := normalizeItem(it, feedURL, "", testNow).Image
			want := ""
			if img := theirs.Items[i].Image; img != nil && img.URL != "" {
				if u, err := urlclean.Canonical(img.URL, feedURL); err == nil {
					want = u
				}
			}
			if c, d := parse.ImageScan(it.Image); it.Image == nil || c || d {
				if named := explicitImages(it, feedURL); len(named) > 0 {
					want = named[0]
				}
			}
			if got != want {
				t.Errorf("%s item %d (%q): image %q, gofeed's %q", p, i, it.Title, got, want)
			}
			items++
			if want != "" {
				withImage++
			}
		}
	}
	t.Logf("%d items, %d with an image, %d marked for our scan", items, withImage, fromScan)
	if withImage < 50 {
		t.Errorf("only %d items with an image: the test sees too little", withImage)
	}
}

// TestItemImageScanMarks: the sentinels stand for the right bodies.
func TestItemImageScanMarks(t *testing.T) {
	const feed = `<rss version="2.0"><channel><title>t</title>
<item><title>both</title><description>&lt;img src="d.jpg"&gt;</description><content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/">&lt;p&gt;no image&lt;/p&gt;</content:encoded></item>
<item><title>content first</title><description>&lt;img src="d.jpg"&gt;</description><content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/">&lt;img src="c.jpg"&gt;</content:encoded></item>
<item><title>empty src stops</title><description>&lt;img src="d.jpg"&gt;</description><content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/">&lt;img src=""&gt;&lt;img src="c.jpg"&gt;</content:encoded></item>
<item><title>enclosure wins</title><description>&lt;img src="d.jpg"&gt;</description><enclosure url="https://x.example/e.jpg" type="image/jpeg" length="1"/></item>
<item><title>in a script</title><description>&lt;script&gt;"&lt;img src=s.jpg&gt;"&lt;/script&gt;&lt;noscript&gt;&lt;img src=n.jpg&gt;&lt;/noscript&gt;&lt;div class="feedflare"&gt;&lt;img src="f.jpg"&gt;&lt;/div&gt;</description></item>
</channel></rss>`
	feedURL, _ := url.Parse("https://x.example/feed.xml")
	parsed, _, err := parseFeed([]byte(feed))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"https://x.example/d.jpg", "https://x.example/c.jpg", "", "https://x.example/e.jpg", "https://x.example/f.jpg"}
	theirs, _ := gofeed.NewParser().ParseString(feed)
	for i, it := range parsed.Items {
		got := normalizeItem(it, feedURL, "", testNow).Image
		if got != want[i] {
			t.Errorf("%s: image %q, want %q", it.Title, got, want[i])
		}
		gf := ""
		if img := theirs.Items[i].Image; img != nil && img.URL != "" {
			gf, _ = urlclean.Canonical(img.URL, feedURL)
		}
		if gf != want[i] {
			t.Errorf("%s: gofeed's image %q, want %q", it.Title, gf, want[i])
		}
	}
}
