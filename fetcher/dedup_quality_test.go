package fetcher

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/mmcdole/gofeed"

	"github.com/feedmill/feedmill/fetcher/urlclean"
	"github.com/feedmill/feedmill/storage"
)

// A labelled near-duplicate set: real article texts from the shared test
// feeds, carried by four synthetic sources with the edits syndication
// makes, plus the other posts of the same outlets as hard negatives. It
// runs through the real path: httptest upstreams -> fetcher (parse,
// normalize, boilerplate, sanitize, fingerprint) -> storage RecordFetch
// (story assignment) in a real bbolt store.

// article is one real story of a shared feed.
type article struct {
	outlet, title string
	paras         []string // the body's paragraphs, HTML
	published     time.Time
}

var paraSplit = regexp.MustCompile(`(?i)</p>\s*|<br\s*/?>\s*<br\s*/?>`)

// loadArticles reads the items of the shared feeds whose bodies have at
// least minWords words in at least two paragraphs.
func loadArticles(t *testing.T, minWords int) []article {
	t.Helper()
	files := []string{
		realworldDir + "/guardian.rss", realworldDir + "/heise.atom",
		realworldDir + "/content-encoded.rss", edgeDir + "/wapowellness.xml",
		realworldDir + "/heraldsun.rss",
	}
	var out []article
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		feed, err := gofeed.NewParser().ParseString(string(data))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, it := range feed.Items {
			body := it.Content
			if body == "" {
				body = it.Description
			}
			var paras []string
			for _, p := range paraSplit.Split(body, -1) {
				p = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(p), "<p>"))
				if len(strings.Fields(plainText(p))) >= 5 {
					paras = append(paras, p)
				}
			}
			if len(paras) < 2 || len(strings.Fields(plainText(body))) < minWords {
				continue
			}
			pub := time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)
			if it.PublishedParsed != nil {
				pub = *it.PublishedParsed
			}
			out = append(out, article{outlet: f, title: plainText(it.Title), paras: paras, published: pub})
		}
	}
	return out
}

// copyItem is one item of a synthetic source.
type copyItem struct {
	story      int
	guid, link string
	title      string
	body       string // HTML
	published  time.Time
}

var sentenceEnd = regexp.MustCompile(`[.!?][”"’']?\s`)

// teaserText is the plain text of the body's first n sentences, or more
// until it has 20 words: a teaser of "Capra? Coppola?" (two "sentences")
// is not what teaser feeds carry, nor could anything match it.
func teaserText(paras []string, n int) string {
	text := plainText(strings.Join(paras, " "))
	end := 0
	for i := 0; i < n || len(strings.Fields(text[:end])) < 20; i++ {
		loc := sentenceEnd.FindStringIndex(text[end:])
		if loc == nil {
			return text
		}
		end += loc[1]
	}
	return strings.TrimSpace(text[:end])
}

// syndicate builds the four sources: original (full), wire (new headline,
// READ MORE / DON'T MISS lines, last paragraph cut, tracking parameters),
// teaser (headline and first sentences), and aggregator (byline and
// Related: line in front, share buttons and comment footer behind).
// Story i is carried by: i%4==0 original only; 1 original+wire; 2
// original+teaser; 3 all four.
func syndicate(arts []article) [4][]copyItem {
	var src [4][]copyItem
	for i, a := range arts {
		slug := fmt.Sprintf("story-%d", i)
		full := "<p>" + strings.Join(a.paras, "</p>\n<p>") + "</p>"
		src[0] = append(src[0], copyItem{i, "orig-" + slug, "https://original.example/" + slug, a.title, full, a.published})
		if i%4 == 1 || i%4 == 3 {
			var b strings.Builder
			for j, p := range a.paras[:len(a.paras)-1] {
				fmt.Fprintf(&b, "<p>%s</p>\n", p)
				if j == 0 {
					b.WriteString(`<p><strong>READ MORE:</strong> <a href="https://wire.example/other?utm_source=rss">Another headline entirely</a></p>` + "\n")
				}
				if j == 1 {
					b.WriteString(`<p>DON'T MISS: <a href="https://wire.example/quiz">Our weekly quiz</a></p>` + "\n")
				}
			}
			src[1] = append(src[1], copyItem{i, fmt.Sprintf("urn:wire:%d", 1000+i),
				"https://wire.example/news/" + slug + "?utm_source=feed&utm_medium=rss&fbclid=abc",
				"WIRE: " + a.title + " – latest", b.String(), a.published.Add(time.Hour)})
		}
		if i%4 == 2 || i%4 == 3 {
			src[2] = append(src[2], copyItem{i, "teaser-" + slug, "https://teaser.example/t/" + slug,
				a.title, html.EscapeString(teaserText(a.paras, 2)) + ` <a href="https://teaser.example/t/` + slug + `">Continue reading…</a>`,
				a.published.Add(2 * time.Hour)})
		}
		if i%4 == 3 {
			body := "<p>Related: <a href=\"https://agg.example/x\">More from this topic</a></p>\n" + full +
				"\n<p>Share on Facebook</p><p>Share on Twitter</p><h3>Leave a Reply</h3><p>Your email address will not be published. Required fields are marked *</p>" +
				`<script>track("story")</script><img src="https://agg.example/pixel.gif" width="1" height="1">`
			src[3] = append(src[3], copyItem{i, "agg-" + slug, "https://agg.example/" + slug + "?mc_cid=1&gclid=2",
				strings.ToUpper(a.title), body, a.published.Add(3 * time.Hour)})
		}
	}
	return src
}

func rssOf(name string, items []copyItem) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>%s</title><link>https://%s.example/</link>`, name, name)
	for _, it := range items {
		fmt.Fprintf(&b, "<item><title>%s</title><link>%s</link><guid isPermaLink=\"false\">%s</guid><pubDate>%s</pubDate><description>%s</description></item>\n",
			html.EscapeString(it.title), html.EscapeString(it.link), it.guid, it.published.Format(time.RFC1123Z), html.EscapeString(it.body))
	}
	b.WriteString("</channel></rss>")
	return b.String()
}

func TestNearDuplicateQuality(t *testing.T) {
	arts := loadArticles(t, 60)
	if len(arts) < 40 {
		t.Fatalf("only %d articles with enough text in the shared feeds", len(arts))
	}
	sources := syndicate(arts)
	names := []string{"original", "wire", "teaser", "aggregator"}
	mux := http.NewServeMux()
	for i, name := range names {
		body := rssOf(name, sources[i])
		mux.HandleFunc("/"+name+".xml", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprint(w, body)
		})
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()

	st := openStore(t, nil)
	truth := map[string]int{} // canonical link -> story
	for i, name := range names {
		addSource(t, st, srv.URL+"/"+name+".xml")
		for _, c := range sources[i] {
			link, err := urlclean.Canonical(c.link, nil)
			if err != nil {
				t.Fatal(err)
			}
			truth[link] = c.story
		}
	}
	f := newTestFetcher(st, nil, nil)
	if rep := pass(t, f, PassOptions{All: true}); rep.Failed > 0 {
		t.Fatalf("pass: %+v", rep)
	}

	// Group the stored items by the story storage assigned.
	byStory := map[uint64][]int{} // assigned story -> true stories of its items
	assigned := map[int]map[uint64]bool{}
	items := 0
	err := st.Items(storage.Query{}, func(it storage.Item) bool {
		items++
		story, ok := truth[it.Link]
		if !ok {
			t.Errorf("stored link %s is not one of the set's", it.Link)
			return true
		}
		if strings.Contains(it.Content+it.Summary, "READ MORE") || strings.Contains(it.Content+it.Summary, "<script") {
			t.Errorf("item %s keeps boilerplate or a script", it.Link)
		}
		id := it.Story
		if id == 0 {
			id = it.ID
		}
		byStory[id] = append(byStory[id], story)
		if assigned[story] == nil {
			assigned[story] = map[uint64]bool{}
		}
		assigned[story][id] = true
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	copies := 0
	for _, s := range sources {
		copies += len(s)
	}
	if items != copies {
		t.Fatalf("stored %d items, want %d", items, copies)
	}

	multi, collapsed := 0, 0
	for i := range arts {
		if i%4 == 0 {
			continue
		}
		multi++
		if len(assigned[i]) == 1 {
			collapsed++
		} else {
			t.Logf("story %d (%s) split into %d stories: %q", i, arts[i].outlet, len(assigned[i]), arts[i].title)
		}
	}
	merged := 0
	truePairs, foundPairs, rightPairs := 0, 0, 0
	for id, members := range byStory {
		distinct := map[int]bool{}
		for _, m := range members {
			distinct[m] = true
		}
		if len(distinct) > 1 {
			merged++
			t.Logf("distinct stories merged: %v", members)
			logMerged(t, st, id)
		}
		for a := range members {
			for b := a + 1; b < len(members); b++ {
				foundPairs++
				if members[a] == members[b] {
					rightPairs++
				}
			}
		}
	}
	for i := range arts {
		n := 1
		switch i % 4 {
		case 1, 2:
			n = 2
		case 3:
			n = 4
		}
		truePairs += n * (n - 1) / 2
	}
	precision := float64(rightPairs) / float64(max(foundPairs, 1))
	recall := float64(rightPairs) / float64(truePairs)
	t.Logf("labelled set: %d articles (%d multi-copy stories, %d single), %d copies in 4 sources",
		len(arts), multi, len(arts)-multi, copies)
	t.Logf("pairwise precision %.4f (%d/%d), recall %.4f (%d/%d); stories collapsed to one: %d/%d (%.1f%%); distinct stories merged: %d",
		precision, rightPairs, foundPairs, recall, rightPairs, truePairs, collapsed, multi, 100*float64(collapsed)/float64(multi), merged)
	logMargins(t, st, truth)
	if float64(collapsed) < 0.98*float64(multi) {
		t.Errorf("collapsed %d of %d multi-copy stories, want at least 98%%", collapsed, multi)
	}
	if merged > 0 {
		t.Errorf("%d stories merged distinct stories", merged)
	}
}

// logMerged logs how the items of a wrongly merged story compare.
func logMerged(t *testing.T, st storage.Store, story uint64) {
	var ids []uint64
	_ = st.Items(storage.Query{}, func(it storage.Item) bool {
		if it.Story == story || it.ID == story {
			ids = append(ids, it.ID)
			t.Logf("  item %d source %d story %d: %s", it.ID, it.SourceID, it.Story, it.Link)
		}
		return true
	})
	for a := range ids {
		for b := a + 1; b < len(ids); b++ {
			sim, _ := st.Similarity(ids[a], ids[b])
			t.Logf("  %d~%d: %+v", ids[a], ids[b], sim)
		}
	}
}

// logMargins logs the lowest lead containment between copies of one story
// of different sources, and the highest between different stories: the
// margin around the threshold.
func logMargins(t *testing.T, st storage.Store, truth map[string]int) {
	var all []storage.Item
	_ = st.Items(storage.Query{}, func(it storage.Item) bool { all = append(all, it); return true })
	minSame, maxOther := 2.0, -1.0
	minDist := 64
	for a := range all {
		for b := a + 1; b < len(all); b++ {
			x, y := all[a], all[b]
			if x.SourceID == y.SourceID {
				continue
			}
			sim, err := st.Similarity(x.ID, y.ID)
			if err != nil {
				t.Fatal(err)
			}
			if truth[x.Link] == truth[y.Link] {
				if sim.LeadContainment >= 0 {
					minSame = min(minSame, sim.LeadContainment)
				}
			} else {
				maxOther = max(maxOther, sim.LeadContainment)
				if sim.SimHashDistance >= 0 {
					minDist = min(minDist, sim.SimHashDistance)
				}
			}
		}
	}
	t.Logf("lead containment: lowest between copies %.2f, highest between different stories %.2f; smallest SimHash distance between different stories %d bits",
		minSame, maxOther, minDist)
}

// plainText is the text of an HTML fragment, white space collapsed.
func plainText(s string) string {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return strings.Join(strings.Fields(b.String()), " ")
		case html.TextToken:
			b.Write(z.Text())
		default:
			b.WriteByte(' ')
		}
	}
}
