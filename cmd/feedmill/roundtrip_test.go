package main

// The round trip: what a reader shows of a source's items is what it
// shows of the same items through every channel format. Each realworld
// capture is a source of its own channel (duplicates kept, no filters);
// gofeed reads the capture and the channel's RSS, Atom and JSON Feed, and
// each field a reader shows must agree, item by item, except where a rule
// of "What a channel carries" (README) says otherwise: the check names
// the rule.

import (
	"encoding/json"
	"fmt"
	"html"
	"math"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"
	nethtml "golang.org/x/net/html"

	"github.com/feedmill/feedmill/fetcher/httpclient"
	"github.com/feedmill/feedmill/fetcher/normalize"
	"github.com/feedmill/feedmill/fetcher/urlclean"
)

const realworldDir = sharedFeeds + "realworld/"

func TestRoundTrip(t *testing.T) {
	entries, err := os.ReadDir(realworldDir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		ext := path.Ext(e.Name())
		if ext != ".rss" && ext != ".atom" && ext != ".xml" && ext != ".json" {
			continue
		}
		if _, err := gofeed.NewParser().ParseString(string(captureBody(t, e.Name()))); err != nil {
			t.Logf("%s: not a feed to gofeed either (%v)", e.Name(), err)
			continue
		}
		files = append(files, e.Name())
	}
	if len(files) < 30 {
		t.Fatalf("%d captures in %s", len(files), realworldDir)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		if !slices.Contains(files, name) {
			http.NotFound(w, r)
			return
		}
		body, _ := os.ReadFile(realworldDir + name)
		w.Header().Set("Content-Type", captureType(name))
		w.Write(body)
	}))
	defer srv.Close()

	var b strings.Builder
	fmt.Fprintf(&b, "db: store.db\nfetch:\n  allow_private: true\n  workers: 4\n  per_host: 4\n  per_host_interval: 1ms\nretention:\n  max_age: 0s\n  max_items_per_source: 0\nsources:\n")
	for _, f := range files {
		fmt.Fprintf(&b, "  - url: %s/%s\n", srv.URL, f)
	}
	fmt.Fprintf(&b, "channels:\n")
	for _, f := range files {
		fmt.Fprintf(&b, "  - name: %s\n    sources: [%s/%s]\n    duplicates: keep\n    limit: 5000\n", slug(f), srv.URL, f)
	}
	cfg := writeConfig(t, b.String())
	if code, out, errOut := runCLI(t, "fetch", "-c", cfg); code != exitOK {
		t.Fatalf("fetch: exit %d\n%s%s", code, out, errOut)
	}
	outDir := t.TempDir()
	if code, out, errOut := runCLI(t, "render", "-c", cfg, "--out", outDir); code != exitOK {
		t.Fatalf("render: exit %d\n%s%s", code, out, errOut)
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			srcFeed, err := gofeed.NewParser().ParseString(string(captureBody(t, f)))
			if err != nil {
				t.Fatal(err)
			}
			base, _ := url.Parse(srv.URL + "/" + f)
			if srcFeed.Link != "" {
				if u, err := url.Parse(srcFeed.Link); err == nil && u.IsAbs() {
					base = u
				}
			}
			want := sourceViews(srcFeed, base)
			for _, format := range []string{"rss", "atom", "json"} {
				raw, err := os.ReadFile(filepath.Join(outDir, "channels", slug(f)+"."+format))
				if err != nil {
					t.Fatal(err)
				}
				// The channel's images are those it carries, not the first
				// <img> of a body gofeed would take for one.
				p := gofeed.NewParser()
				p.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
				out, err := p.ParseString(string(raw))
				if err != nil {
					t.Fatalf("%s: %v", format, err)
				}
				got := outputViews(t, out, format, raw)
				compareViews(t, format, want, got)
			}
		})
	}
}

// captureType is the Content-Type a capture is served with: the charset
// its server sent, where the document does not declare its own.
func captureType(name string) string {
	if name == "uolNoticias.rss" {
		return "application/rss+xml; charset=iso-8859-1"
	}
	return "application/xml"
}

// captureBody is a capture as UTF-8, as the fetcher reads it.
func captureBody(t *testing.T, name string) []byte {
	body, err := os.ReadFile(realworldDir + name)
	if err != nil {
		t.Fatal(err)
	}
	return httpclient.ToUTF8(body, captureType(name))
}

func slug(file string) string {
	return strings.NewReplacer(".", "-", "_", "-").Replace(strings.ToLower(file))
}

// view is what a reader shows of one item.
type view struct {
	guid                string // the source's, for identity
	title, link, author string
	date                time.Time // zero: the source gave none (rule: first seen)
	categories          []string
	enclosures          []enclosureView
	images              []string
	body                string // text
}

type enclosureView struct {
	url      string
	length   int64
	duration int64
}

// sourceViews reads the capture's items as feedmill's rules say they are
// to be carried.
func sourceViews(feed *gofeed.Feed, base *url.URL) []view {
	feedAuthor := ""
	if feed.Author != nil {
		feedAuthor = feed.Author.Name
		if strings.TrimSpace(feedAuthor) == "" {
			feedAuthor = feed.Author.Email // rule: an author without a name shows its address
		}
	}
	if feedAuthor == "" && feed.ITunesExt != nil {
		feedAuthor = feed.ITunesExt.Author
	}
	if feedAuthor == "" && feed.DublinCoreExt != nil && len(feed.DublinCoreExt.Creator) > 0 {
		feedAuthor = feed.DublinCoreExt.Creator[0]
	}
	var out []view
	for _, it := range feed.Items {
		v := view{guid: strings.TrimSpace(it.GUID), title: readerText(it.Title), body: bodyText(it.Content, it.Description)}
		v.link = sourceLink(it, base)
		v.author = authorOf(it)
		if v.author == "" {
			v.author = readerText(feedAuthor) // rule: the feed's author for items without
		}
		if it.PublishedParsed != nil {
			v.date = *it.PublishedParsed
		} else if it.UpdatedParsed != nil {
			v.date = *it.UpdatedParsed
		} else if d, err := normalize.ParseDate(it.Published); err == nil {
			v.date = d // rule: dates in other languages are read
		}
		v.categories = categoriesOf(it.Categories)
		if len(v.categories) == 0 {
			v.categories = categoriesOf(feed.Categories) // rule: the feed's categories
		}
		v.images = imagesOf(it, base)
		v.enclosures = enclosuresOf(it, base, v.images)
		if len(v.images) == 0 && len(v.enclosures) > 0 && feed.ITunesExt != nil && feed.ITunesExt.Image != "" {
			v.images = []string{canonical(feed.ITunesExt.Image, base)} // rule: the feed's episode artwork
		}
		if it.ITunesExt != nil && len(v.enclosures) > 0 {
			v.enclosures[0].duration = normalize.Duration(it.ITunesExt.Duration)
		}
		out = append(out, v)
	}
	return out
}

// outputViews reads a channel's items; raw is the document, for what
// gofeed's universal items drop (JSON authors and attachment durations).
func outputViews(t *testing.T, feed *gofeed.Feed, format string, raw []byte) []view {
	var jf struct {
		Items []struct {
			Authors []struct {
				Name string `json:"name"`
			} `json:"authors"`
			Attachments []struct {
				URL      string `json:"url"`
				Duration int64  `json:"duration_in_seconds"`
			} `json:"attachments"`
		} `json:"items"`
	}
	if format == "json" {
		if err := json.Unmarshal(raw, &jf); err != nil || len(jf.Items) != len(feed.Items) {
			t.Fatalf("json: %v", err)
		}
	}
	var out []view
	for i, it := range feed.Items {
		v := view{title: readerText(it.Title), link: it.Link, body: bodyText(it.Content, it.Description)}
		if format == "rss" {
			v.title = readerText(html.UnescapeString(it.Title)) // rule: RSS text read as HTML
		}
		v.author = authorOf(it)
		if format == "json" && len(jf.Items[i].Authors) > 0 {
			v.author = readerText(html.EscapeString(jf.Items[i].Authors[0].Name))
		}
		if it.PublishedParsed != nil {
			v.date = *it.PublishedParsed
		}
		v.categories = categoriesOf(it.Categories)
		v.images = imagesOf(it, nil)
		if format == "json" && it.Image != nil {
			v.images = union(v.images, []string{it.Image.URL})
		}
		v.enclosures = enclosuresOf(it, nil, v.images)
		for k := range v.enclosures {
			switch {
			case format == "json":
				for _, a := range jf.Items[i].Attachments {
					if a.URL == v.enclosures[k].url {
						v.enclosures[k].duration = a.Duration
					}
				}
			case k == 0 && it.ITunesExt != nil:
				v.enclosures[k].duration = normalize.Duration(it.ITunesExt.Duration)
			case k == 0:
				v.enclosures[k].duration = normalize.Duration(extValue(it.Extensions, "itunes", "duration"))
			}
		}
		out = append(out, v)
	}
	return out
}

// compareViews matches the channel's items to the source's by link and
// title, and compares them field by field.
func compareViews(t *testing.T, format string, want, got []view) {
	t.Helper()
	used := make([]bool, len(got))
	distinct := map[string]bool{}
	matched := 0
	for _, w := range want {
		key := "g:" + w.guid
		if w.guid == "" {
			key = w.link + "\x00" + w.title + "\x00" + w.body
		}
		if distinct[key] {
			continue // rule: one item per identity (a repeat in the feed is stored once)
		}
		distinct[key] = true
		j := -1
		for k, g := range got {
			// rule (valid output): an item without a title gets one, the
			// start of its text, else its link, else "Untitled".
			if !used[k] && g.link == w.link && (sameText(g.title, w.title) || w.title == "" && g.title != "") {
				if j < 0 || g.date.Equal(w.date.Truncate(time.Second)) {
					j = k // the same link and title: the copy with the same date
				}
			}
		}
		if j < 0 {
			continue // counted below
		}
		used[j] = true
		matched++
		compareItem(t, format, w, got[j])
	}
	if matched < len(got) || matched*10 < len(distinct)*9 {
		t.Errorf("%s: %d of %d items matched the source's %d distinct items", format, matched, len(got), len(distinct))
	}
}

func compareItem(t *testing.T, format string, w, g view) {
	t.Helper()
	name := fmt.Sprintf("%s item %q", format, w.title)
	if !sameText(g.author, w.author) {
		t.Errorf("%s: author %q, source %q", name, g.author, w.author)
	}
	if !w.date.IsZero() && w.date.Before(time.Now()) && !g.date.Equal(w.date.Truncate(time.Second)) {
		t.Errorf("%s: date %v, source %v", name, g.date, w.date)
	}
	if !sameSet(g.categories, w.categories) {
		t.Errorf("%s: categories %q, source %q", name, g.categories, w.categories)
	}
	wantEnc := w.enclosures
	if format == "rss" && len(wantEnc) > 1 {
		wantEnc = wantEnc[:1] // rule: RSS carries one enclosure per item
	}
	if len(g.enclosures) != len(wantEnc) {
		t.Errorf("%s: enclosures %v, source %v", name, g.enclosures, wantEnc)
	} else {
		for k := range wantEnc {
			if g.enclosures[k] != wantEnc[k] {
				t.Errorf("%s: enclosure %+v, source %+v", name, g.enclosures[k], wantEnc[k])
			}
		}
	}
	wantImages := w.images
	switch format {
	case "atom":
		wantImages = typedImages(w.images) // rule: Atom links carry the images whose type is known
	case "json":
		// rule: JSON Feed's image is the first; attachments carry the
		// others whose type is known.
		wantImages = union(firstOf(w.images), typedImages(w.images))
	}
	if !sameSet(g.images, wantImages) {
		t.Errorf("%s: images %q, source %q", name, g.images, w.images)
	}
	if (g.body == "") != (w.body == "") || !similarText(g.body, w.body) {
		t.Errorf("%s: body %.200q, source %.200q", name, g.body, w.body)
	}
}

// readerText is a field's text: tags removed, entities decoded, white space
// collapsed (a title that is HTML becomes its text).
func readerText(s string) string {
	if strings.ContainsAny(s, "<&") {
		var b strings.Builder
		z := nethtml.NewTokenizer(strings.NewReader(s))
		for {
			tt := z.Next()
			if tt == nethtml.ErrorToken {
				break
			}
			if tt == nethtml.TextToken {
				b.Write(z.Text())
			} else {
				b.WriteByte(' ')
			}
		}
		s = b.String()
	}
	return strings.Join(strings.Fields(s), " ")
}

// sameText: the same text, or the same once markup in one of them is read
// as its text (an Atom text title the source typed as text).
func sameText(a, b string) bool {
	return a == b || readerText(a) == readerText(b) || strings.EqualFold(a, b)
}

func bodyText(content, description string) string {
	if strings.TrimSpace(content) == "" {
		content = description
	}
	return readerText(content)
}

// similarText: the channel's body text is the source's, cleaned
// (boilerplate lines, scripts, pixels and flare out; rule: bodies are
// cleaned): most of its words are the source's.
func similarText(got, want string) bool {
	if got == "" || want == "" {
		return got == want
	}
	words := map[string]bool{}
	for _, w := range strings.Fields(strings.ToLower(want)) {
		words[w] = true
	}
	in, n := 0, 0
	for _, w := range strings.Fields(strings.ToLower(got)) {
		n++
		if words[w] {
			in++
		}
	}
	return float64(in) >= math.Floor(0.8*float64(n))
}

func authorOf(it *gofeed.Item) string {
	if it.Author != nil && strings.TrimSpace(it.Author.Name) != "" {
		return readerText(it.Author.Name)
	}
	// Where gofeed gives up on a name, the raw element (rule).
	if it.DublinCoreExt != nil {
		for _, s := range append(append([]string(nil), it.DublinCoreExt.Creator...), it.DublinCoreExt.Author...) {
			if t := readerText(s); t != "" {
				return t
			}
		}
	}
	if it.ITunesExt != nil && it.ITunesExt.Author != "" {
		return readerText(it.ITunesExt.Author)
	}
	if it.Author != nil && it.Author.Email != "" {
		return it.Author.Email
	}
	return ""
}

func categoriesOf(cs []string) []string {
	var out []string
	for _, c := range cs {
		if c = strings.ToLower(readerText(c)); c != "" && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// sourceLink is the item's link as the rules pick it: its link, else an
// http(s) GUID, else its first link; canonical.
func sourceLink(it *gofeed.Item, base *url.URL) string {
	for _, c := range append([]string{it.Link, it.GUID}, it.Links...) {
		if c = strings.TrimSpace(c); c == "" {
			continue
		}
		if u := canonical(c, base); u != "" {
			return u
		}
	}
	return ""
}

func canonical(raw string, base *url.URL) string {
	u, err := urlclean.Canonical(strings.TrimSpace(raw), base)
	if err != nil || !urlclean.IsHTTP(u) {
		return ""
	}
	return u
}

// imagesOf are an item's images as a reader finds them: gofeed's image,
// itunes:image, Media RSS images and thumbnails, image enclosures.
func imagesOf(it *gofeed.Item, base *url.URL) []string {
	var out []string
	add := func(u string) {
		if base != nil {
			u = canonical(u, base)
		}
		if u != "" && !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	if it.Image != nil {
		add(it.Image.URL)
	}
	if it.ITunesExt != nil && it.ITunesExt.Image != "" {
		add(it.ITunesExt.Image)
	}
	media := it.Extensions["media"]
	var els []ext.Extension
	for _, n := range []string{"content", "thumbnail"} {
		els = append(els, media[n]...)
	}
	for _, g := range media["group"] {
		for _, n := range []string{"content", "thumbnail"} {
			els = append(els, g.Children[n]...)
		}
	}
	for _, m := range els {
		medium, typ := m.Attrs["medium"], m.Attrs["type"]
		if m.Name == "thumbnail" || medium == "image" || medium == "" && strings.HasPrefix(typ, "image/") ||
			medium == "" && typ == "" && typeByExt(m.Attrs["url"]) != "" {
			add(m.Attrs["url"])
		}
	}
	for _, e := range it.Enclosures {
		if strings.HasPrefix(strings.ToLower(e.Type), "image/") {
			add(e.URL)
		}
	}
	return out
}

// enclosuresOf are an item's enclosures that are not images.
func enclosuresOf(it *gofeed.Item, base *url.URL, images []string) []enclosureView {
	var out []enclosureView
	for _, e := range it.Enclosures {
		u := e.URL
		if base != nil {
			if u = canonical(u, base); u == "" {
				continue
			}
		}
		if strings.HasPrefix(strings.ToLower(e.Type), "image/") || slices.Contains(images, u) {
			continue
		}
		if e.Type == "" && typeByExt(u) != "" {
			continue // a typeless image link (Atom)
		}
		n, _ := strconv.ParseInt(strings.TrimSpace(e.Length), 10, 64)
		out = append(out, enclosureView{url: u, length: max(n, 0)})
	}
	return out
}

func typeByExt(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	t, _, _ := strings.Cut(mime.TypeByExtension(strings.ToLower(path.Ext(p.Path))), ";")
	if !strings.HasPrefix(t, "image/") {
		return ""
	}
	return t
}

func typedImages(images []string) []string {
	var out []string
	for _, u := range images {
		if typeByExt(u) != "" {
			out = append(out, u)
		}
	}
	return out
}

func firstOf(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s[:1]
}

func union(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, s := range b {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}

func extValue(exts ext.Extensions, prefix, name string) string {
	if m := exts[prefix]; m != nil && len(m[name]) > 0 {
		return m[name][0].Value
	}
	return ""
}
