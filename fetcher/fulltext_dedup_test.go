package fetcher

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedmill/feedmill/fetcher/fingerprint"
	"github.com/feedmill/feedmill/storage"
)

// One story from three outlets, through the real path (httptest
// upstreams -> fetcher -> bbolt store -> channel): a teaser outlet whose
// item links to the article page (full_text: auto), a full-text outlet
// carrying the story in content:encoded, and a wire copy with a new
// headline, a READ MORE line and its last paragraph cut. The teaser
// outlet also carries a second, different story.

// dedupArticle is a page of the shared article set with the story a
// person marked on it, in paragraphs.
type dedupArticle struct {
	page  []byte
	paras []string
}

// loadDedupArticles reads the first n pages of the article set whose
// marked story has at least six paragraphs and 250 words.
func loadDedupArticles(t *testing.T, n int) []dedupArticle {
	t.Helper()
	keys, bodies := readArticleSet(t)
	var out []dedupArticle
	for _, k := range keys {
		var paras []string
		for _, p := range strings.Split(bodies[k], "\n") {
			if p = strings.TrimSpace(p); len(strings.Fields(p)) >= 8 {
				paras = append(paras, p)
			}
		}
		if len(paras) < 6 || len(strings.Fields(bodies[k])) < 250 {
			continue
		}
		out = append(out, dedupArticle{page: readArticlePage(t, k), paras: paras})
		if len(out) == n {
			return out
		}
	}
	t.Fatalf("only %d usable articles", len(out))
	return nil
}

var firstSentence = regexp.MustCompile(`^.*?[.!?][”"’']?(\s|$)`)

// teaserStyles are how teaser outlets write an item's body: the opening
// words of the story, or a standfirst (here a sentence from the middle of
// the story, which the article page carries but the story's opening does
// not start with).
var teaserStyles = map[string]func(a dedupArticle) string{
	"opening": func(a dedupArticle) string {
		w := strings.Fields(a.paras[0] + " " + a.paras[1])
		return strings.Join(w[:min(len(w), 30)], " ") + "…"
	},
	"standfirst": func(a dedupArticle) string {
		p := a.paras[len(a.paras)/2]
		if s := firstSentence.FindString(p); len(strings.Fields(s)) >= 10 {
			return strings.TrimSpace(s)
		}
		w := strings.Fields(p)
		return strings.Join(w[:min(len(w), 20)], " ")
	},
}

// storySite serves the three outlets' feeds and the teaser outlet's
// article pages; a page is held back until release is closed.
type storySite struct {
	srv     *httptest.Server
	feeds   map[string]string
	pages   map[string][]byte
	release chan struct{}
	once    sync.Once
}

func (s *storySite) open() { s.once.Do(func() { close(s.release) }) }

const (
	storyPub = "Mon, 03 Mar 2025 10:00:00 GMT"
	otherPub = "Mon, 03 Mar 2025 12:00:00 GMT"
)

func newStorySite(t *testing.T, story, other dedupArticle, teaser func(dedupArticle) string) *storySite {
	s := &storySite{feeds: map[string]string{}, pages: map[string][]byte{}, release: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if body, ok := s.feeds[r.URL.Path]; ok {
			w.Header().Set("Content-Type", "application/rss+xml")
			io.WriteString(w, body)
			return
		}
		page, ok := s.pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		select {
		case <-s.release:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	}))
	t.Cleanup(s.srv.Close)
	t.Cleanup(s.open)
	u := s.srv.URL
	s.pages["/a/story"], s.pages["/a/other"] = story.page, other.page
	item := func(title, link, pub, body string) string {
		return fmt.Sprintf("<item><title>%s</title><link>%s</link><guid>%s</guid><pubDate>%s</pubDate><description>%s</description></item>",
			html.EscapeString(title), link, link, pub, html.EscapeString(body))
	}
	teaserItem := func(title, path, pub string, a dedupArticle) string {
		return item(title, u+path, pub, "<p>"+html.EscapeString(teaser(a))+` <a href="`+u+path+`">Continue reading</a></p>`)
	}
	s.feeds["/teaser.rss"] = `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Teasers</title><link>` + u + `/</link>` +
		teaserItem("Where the story happened", "/a/story", storyPub, story) + teaserItem("Another story", "/a/other", otherPub, other) + `</channel></rss>`
	full := "<p>" + strings.Join(escapeAll(story.paras), "</p>\n<p>") + "</p>"
	s.feeds["/full.rss"] = `<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Full</title><link>https://full.example/</link>` +
		fmt.Sprintf("<item><title>Where the story happened</title><link>https://full.example/2025/story</link><guid>https://full.example/2025/story</guid><pubDate>Mon, 03 Mar 2025 09:00:00 GMT</pubDate><description>%s</description><content:encoded><![CDATA[%s]]></content:encoded></item>",
			html.EscapeString(story.paras[0]), full) + `</channel></rss>`
	var wire strings.Builder
	for i, p := range escapeAll(story.paras[:len(story.paras)-1]) {
		fmt.Fprintf(&wire, "<p>%s</p>\n", p)
		if i == 0 {
			wire.WriteString(`<p><strong>READ MORE:</strong> <a href="https://wire.example/other?utm_source=rss">A different headline</a></p>` + "\n")
		}
	}
	s.feeds["/wire.rss"] = `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title><link>https://wire.example/</link>` +
		item("WIRE: what happened today – latest", "https://wire.example/n/1?utm_source=feed", "Mon, 03 Mar 2025 11:00:00 GMT", wire.String()) + `</channel></rss>`
	return s
}

func escapeAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = html.EscapeString(s)
	}
	return out
}

// storyOutcome is where the copies ended up.
type storyOutcome struct {
	stories  map[string]uint64 // outlet -> StoryID of its copy of the story
	other    uint64            // StoryID of the teaser outlet's other story
	upgraded bool              // the teaser's page gave its full text
	shown    int               // copies of the story the collapsed channel shows
	items    int               // items the collapsed channel shows
}

// runStoryOrder fetches the outlets in order ("page" waits for the teaser
// outlet's article pages to be recorded; they are held back until then).
func runStoryOrder(t *testing.T, site *storySite, order []string) storyOutcome {
	t.Helper()
	st := openStore(t, nil)
	teaserURL := site.srv.URL + "/teaser.rss"
	f := newTestFetcher(st, nil, func(o *Options) {
		o.FullText.BySource = map[string]FullTextRule{teaserURL: {Mode: FullTextAuto}}
		// A page held back times out and is tried again until it is
		// released; it does not hold the feeds of its host.
		o.FullText.Backoff, o.FullText.Retries = time.Millisecond, 20
		o.PerHost, o.Timeout = 8, time.Second
	})
	srcs := map[string]storage.Source{}
	for _, name := range []string{"teaser", "full", "wire"} {
		srcs[name] = addSource(t, st, site.srv.URL+"/"+name+".rss")
	}
	for _, step := range order {
		if step == "page" {
			site.open()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			err := f.WaitPages(ctx)
			cancel()
			if err != nil {
				t.Fatalf("pages not done: %v", err)
			}
			continue
		}
		if r := onlyResult(t, pass(t, f, PassOptions{URLs: []string{srcs[step].URL}})); r.Err != "" || r.Added == 0 {
			t.Fatalf("fetch %s: %+v", step, r)
		}
	}
	out := storyOutcome{stories: map[string]uint64{}}
	links := map[string]bool{}
	for name, src := range srcs {
		err := st.Items(storage.Query{SourceIDs: []uint64{src.ID}}, func(it storage.Item) bool {
			if strings.HasSuffix(it.Link, "/a/other") {
				out.other = storyOf(it)
				return true
			}
			out.stories[name] = storyOf(it)
			links[it.Link] = true
			if name == "teaser" {
				out.upgraded = it.FullText != nil && it.FullText.Fetched
			}
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// What a channel with duplicates: collapse shows: one item per story
	// (feedserver/channel collapses by Item.Story; fetcher tests may not
	// import it).
	shownStories := map[uint64]bool{}
	err := st.Items(storage.Query{}, func(it storage.Item) bool {
		id := storyOf(it)
		if !shownStories[id] && links[it.Link] {
			out.shown++
		}
		if links[it.Link] {
			shownStories[id] = true
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	all := map[uint64]bool{}
	_ = st.Items(storage.Query{}, func(it storage.Item) bool { all[storyOf(it)] = true; return true })
	out.items = len(all)
	return out
}

// storyOf is the story an item belongs to: its Story, else itself.
func storyOf(it storage.Item) uint64 {
	if it.Story != 0 {
		return it.Story
	}
	return it.ID
}

// TestFullTextStoryCollapses: in every order the outlets and the teaser's
// page arrive, the three copies of the story end in one story, which a
// collapsed channel shows once, beside the teaser outlet's other story.
// The teaser is the story's opening or a standfirst. One page's extraction
// keeps furniture before the story (headline, byline, a gallery's "Image 1
// of 23" and photo credits); an opening teaser marks where its story
// begins. A standfirst teaser of that page cannot, and its story's
// fingerprint is too far from the other copies' to tell: not tested.
func TestFullTextStoryCollapses(t *testing.T) {
	arts := loadDedupArticles(t, 3)
	orders := [][]string{
		{"teaser", "page", "full", "wire"},
		{"teaser", "page", "wire", "full"},
		{"teaser", "full", "wire", "page"},
		{"teaser", "wire", "page", "full"},
		{"full", "teaser", "page", "wire"},
		{"full", "teaser", "wire", "page"},
		{"full", "wire", "teaser", "page"},
		{"wire", "teaser", "page", "full"},
		{"wire", "teaser", "full", "page"},
		{"wire", "full", "teaser", "page"},
	}
	cases := []struct {
		name   string
		story  dedupArticle
		styles []string
	}{
		{"clean", arts[2], []string{"opening", "standfirst"}},
		{"furniture", arts[0], []string{"opening"}},
	}
	for _, c := range cases {
		for _, style := range c.styles {
			for _, order := range orders {
				t.Run(c.name+"/"+style+"/"+strings.Join(order, ","), func(t *testing.T) {
					site := newStorySite(t, c.story, arts[1], teaserStyles[style])
					got := runStoryOrder(t, site, order)
					if !got.upgraded {
						t.Fatal("the teaser's page gave no full text")
					}
					if len(got.stories) != 3 {
						t.Fatalf("copies stored: %v", got.stories)
					}
					if got.stories["teaser"] != got.stories["full"] || got.stories["full"] != got.stories["wire"] {
						t.Errorf("copies in different stories: %v", got.stories)
					}
					if got.other == got.stories["teaser"] || got.other == got.stories["full"] || got.other == got.stories["wire"] {
						t.Errorf("the other story %d merged with the story's copies %v", got.other, got.stories)
					}
					if got.shown != 1 || got.items != 2 {
						t.Errorf("collapsed channel shows %d copies of the story and %d items, want 1 and 2", got.shown, got.items)
					}
				})
			}
		}
	}
}

// TestFingerprintFromTeaser: the fingerprint starts at the teaser's
// opening when furniture comes before it, and is left alone when the
// story starts with it, when it lies past the furniture's reach, or when
// the teaser is too short to find.
func TestFingerprintFromTeaser(t *testing.T) {
	story := strings.Repeat("The council voted on the bridge repairs today after a long debate about the cost. ", 8)
	teaser := "<p>The council voted on the bridge repairs today after a long debate.</p>"
	furniture := "<p>By A. Reporter · Updated 1:39 am · Photo: Someone, Agency · Image 1 of 23</p>"
	fp, lead, ok := fingerprintFromTeaser("Bridge", furniture+"<p>"+story+"</p>", teaser)
	wantFP, wantLead := fingerprint.Of("Bridge", "<p>"+story+"</p>")
	if !ok || fp != wantFP || !slices.Equal(lead, wantLead) {
		t.Errorf("after furniture: %v, fingerprint %x lead %d, want %x lead %d", ok, fp, len(lead), wantFP, len(wantLead))
	}
	long := "<p>" + strings.Repeat("word ", maxFurnitureWords+1) + "</p>"
	for name, c := range map[string][2]string{
		"at the start": {"<p>" + story + "</p>", teaser},
		"too far in":   {long + "<p>" + story + "</p>", teaser},
		"short teaser": {furniture + "<p>" + story + "</p>", "<p>The council voted</p>"},
		"not in story": {furniture + "<p>" + story + "</p>", "<p>Something else entirely happened in the harbour today.</p>"},
	} {
		if _, _, ok := fingerprintFromTeaser("Bridge", c[0], c[1]); ok {
			t.Errorf("%s: fingerprint moved", name)
		}
	}
}
