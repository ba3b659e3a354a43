package normalize

import (
	"net/url"
	"reflect"
	"testing"

	"github.com/feedmill/feedmill/storage"
)

func normalizeString(t *testing.T, doc string) (Meta, []storage.Item) {
	t.Helper()
	feed, _, err := parseFeed([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("https://feed.example/feed")
	return normalizeFeed(feed, u, testNow)
}

// TestTextStaysText: an Atom title of type text keeps every character; a
// title that is HTML (Atom type html, RSS) becomes its text.
func TestTextStaysText(t *testing.T) {
	_, items := normalizeString(t, `<feed xmlns="http://www.w3.org/2005/Atom"><title>f</title>
<entry><id>1</id><title type="text">äöü &amp; &lt;Tags&gt; &amp;amp;</title><author><name>A &lt;B&gt;</name></author><category term="x&lt;y"/></entry>
<entry><id>2</id><title type="html">&lt;b&gt;bold&lt;/b&gt; &amp;amp; &amp;lt;i&amp;gt;</title></entry>
<entry><id>3</id><title>no type &lt;script&gt;</title></entry>
</feed>`)
	want := []string{"äöü & <Tags> &amp;", "bold & <i>", "no type <script>"}
	for i, it := range items {
		if it.Title != want[i] {
			t.Errorf("entry %d: title %q, want %q", i+1, it.Title, want[i])
		}
	}
	if items[0].Author != "A <B>" || !reflect.DeepEqual(items[0].Categories, []string{"x<y"}) {
		t.Errorf("Atom text constructs: author %q, categories %q", items[0].Author, items[0].Categories)
	}
	_, items = normalizeString(t, `<rss version="2.0"><channel><title>f</title>
<item><title>&lt;b&gt;Bold&lt;/b&gt; news &amp;amp; more</title></item></channel></rss>`)
	if items[0].Title != "Bold news & more" {
		t.Errorf("RSS title %q", items[0].Title)
	}
}

// TestFieldFallbacks: the raw author where gofeed gives up, the feed's
// author and categories for items without, images gofeed skips,
// itunes:duration on the episode's enclosure and the feed's artwork.
func TestFieldFallbacks(t *testing.T) {
	_, items := normalizeString(t, `<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel><title>Site title</title><managingEditor>ed@site.example (The Editor)</managingEditor><category>World</category>
<itunes:image href="https://site.example/art.jpg"/>
<item><title>one</title><guid>1</guid><dc:creator>Nick Ames (now), Ed Aarons and Ben Fisher (earlier)</dc:creator><category>Sport</category>
<media:content width="140" url="https://img.example/a.jpg?w=140"/><media:content width="460" url="https://img.example/a.jpg?w=460"/></item>
<item><title>two</title><guid>2</guid><enclosure url="https://site.example/e.mp3" type="audio/mpeg" length="10"/><itunes:duration>2:54:03</itunes:duration></item>
</channel></rss>`)
	one, two := items[0], items[1]
	if one.Author != "Nick Ames (now), Ed Aarons and Ben Fisher (earlier)" {
		t.Errorf("raw dc:creator: %q", one.Author)
	}
	if !reflect.DeepEqual(one.Categories, []string{"Sport"}) || !reflect.DeepEqual(two.Categories, []string{"World"}) {
		t.Errorf("categories %q, %q: want the item's, else the feed's", one.Categories, two.Categories)
	}
	if two.Author != "The Editor" || two.AuthorMail != "ed@site.example" {
		t.Errorf("feed author: %q <%s>", two.Author, two.AuthorMail)
	}
	if want := []string{"https://img.example/a.jpg?w=140", "https://img.example/a.jpg?w=460"}; !reflect.DeepEqual(one.AllImages(), want) {
		t.Errorf("images %q, want %q", one.AllImages(), want)
	}
	if len(two.Enclosures) != 1 || two.Enclosures[0].Duration != 2*3600+54*60+3 {
		t.Errorf("enclosures %+v: want the itunes:duration", two.Enclosures)
	}
	if two.Image != "https://site.example/art.jpg" || one.Image == two.Image {
		t.Errorf("episode artwork: %q (and %q)", two.Image, one.Image)
	}
}

func TestDuration(t *testing.T) {
	for in, want := range map[string]int64{"": 0, "59": 59, "1:02": 62, "1:00:01": 3601, "10:00.5": 600, "x": 0, "1:2:3:4": 0, "-5": 0} {
		if got := Duration(in); got != want {
			t.Errorf("Duration(%q) = %d, want %d", in, got, want)
		}
	}
}
