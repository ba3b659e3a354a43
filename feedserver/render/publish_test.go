package render

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/storage"
)

// hostileDoc is sampleDoc with items whose stored fields break the
// rules: a store written before a rule existed, or a rule of ingest that
// missed something.
func hostileDoc(t *testing.T) *Doc {
	d := sampleDoc(t)
	d.Sources[3] = storage.Source{ID: 3, URL: "https://c.example/feed", State: storage.FetchState{FeedTitle: "C", SiteURL: "javascript:alert(1)"}}
	d.Items = append(d.Items,
		storage.Item{ID: 20, SourceID: 3, Link: "JaVaScRiPt:alert(1)", Image: "data:image/png,x", AuthorMail: "not an email",
			Author:  "Zed",
			Content: `<p><a href="javascript:alert(1)">x</a> <a href="https://ok.example/a">a</a> <img src="https:\\ok.example\i.png" srcset="blob:x 1x"></p>`,
			Enclosures: []storage.Enclosure{
				{URL: "ms-msdt:/id PCWDiagnostic", Type: "audio/mpeg", Length: 1},
				{URL: "https://ok.example/ep.mp3", Type: "mp3", Length: -5},
				{URL: "https://ok.example/file?x=1", Type: ""},
				{URL: "https://ok.example/v.WEBM#t=1", Type: "Video/WebM; Codecs=vp9"},
			},
			Published: t0},
		storage.Item{ID: 21, SourceID: 3, Summary: "<p>Only a summary, long enough to be cut into a title of no more than eighty characters, at a word.</p>", Published: t0},
		storage.Item{ID: 22, SourceID: 3, AuthorMail: "jane@ok.example", Published: t0},
	)
	d.Also = map[uint64][]storage.Item{12: {{ID: 30, SourceID: 3, Link: "vbscript:x"}}}
	return d
}

func TestPublishable(t *testing.T) {
	d := hostileDoc(t)
	p := Publishable(d)
	if d.Items[2].Link == "" || d.Sources[3].State.SiteURL == "" {
		t.Fatal("Publishable changed its input")
	}
	bad, summary, bare := p.Items[2], p.Items[3], p.Items[4]
	if bad.Link != "" || bad.Image != "" || bad.AuthorMail != "" || p.Sources[3].State.SiteURL != "" || p.Also[12][0].Link != "" {
		t.Errorf("unsafe URLs or e-mail kept: %+v, site %q, also %q", bad, p.Sources[3].State.SiteURL, p.Also[12][0].Link)
	}
	if want := `<p><a>x</a> <a href="https://ok.example/a">a</a> <img src="https://ok.example/i.png"></p>`; bad.Content != want {
		t.Errorf("content %s\nwant    %s", bad.Content, want)
	}
	want := []storage.Enclosure{
		{URL: "https://ok.example/ep.mp3", Type: "audio/mpeg"},
		{URL: "https://ok.example/file?x=1", Type: "application/octet-stream"},
		{URL: "https://ok.example/v.WEBM#t=1", Type: "video/webm; codecs=vp9"},
	}
	if len(bad.Enclosures) != len(want) {
		t.Fatalf("enclosures %+v", bad.Enclosures)
	}
	for i, e := range bad.Enclosures {
		if e != want[i] {
			t.Errorf("enclosure %d = %+v, want %+v", i, e, want[i])
		}
	}
	if bad.Title != "x a" || !strings.HasPrefix(summary.Title, "Only a summary, long enough") || !strings.HasSuffix(summary.Title, " eighty…") ||
		len([]rune(summary.Title)) > titleLen+1 || bare.Title != "Untitled" {
		t.Errorf("fallback titles %q, %q, %q", bad.Title, summary.Title, bare.Title)
	}
	if bare.AuthorMail != "jane@ok.example" {
		t.Errorf("a real address was dropped: %q", bare.AuthorMail)
	}
}

func TestRenderHostileValid(t *testing.T) {
	rss, err := Render("rss", hostileDoc(t))
	if err != nil {
		t.Fatal(err)
	}
	atom, err := Render("atom", hostileDoc(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range [][]byte{rss, atom} {
		if bytes.Contains(b, []byte("javascript")) || bytes.Contains(b, []byte("ms-msdt")) || bytes.Contains(b, []byte("<title></title>")) {
			t.Errorf("unsafe or empty output:\n%s", b)
		}
	}
	var r struct {
		Items []struct {
			Title string   `xml:"title"`
			Links []string `xml:"link"`
			GUID  struct {
				IsPermaLink string `xml:"isPermaLink,attr"`
			} `xml:"guid"`
		} `xml:"channel>item"`
	}
	if err := xml.Unmarshal(rss, &r); err != nil {
		t.Fatal(err)
	}
	for _, it := range r.Items[2:] {
		if len(it.Links) != 0 || it.GUID.IsPermaLink != "false" || it.Title == "" {
			t.Errorf("RSS item without a link: %+v", it)
		}
	}
	var a struct {
		Entries []struct {
			Title   string `xml:"title"`
			Content *struct {
				Type string `xml:"type,attr"`
				Text string `xml:",chardata"`
			} `xml:"content"`
			Links []struct {
				Rel string `xml:"rel,attr"`
			} `xml:"link"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal(atom, &a); err != nil {
		t.Fatal(err)
	}
	for i, e := range a.Entries {
		alternate := false
		for _, l := range e.Links {
			alternate = alternate || l.Rel == "alternate"
		}
		if e.Title == "" || e.Content == nil && !alternate {
			t.Errorf("Atom entry %d: title %q, content %v, alternate link %v", i, e.Title, e.Content, alternate)
		}
	}
	if c := a.Entries[3].Content; c == nil || c.Type != "html" || !strings.Contains(c.Text, "Only a summary") {
		t.Errorf("entry with only a summary: content %+v", c)
	}
}

// FuzzQuickURLs: where quickURLsPass knows the answer, the tokenizer
// agrees with it.
func FuzzQuickURLs(f *testing.F) {
	for _, s := range []string{
		`<p><a href="https://ok.example/a">a</a> <img src="https://ok.example/i.png" alt="x"/></p>`,
		`<a href="javascript:alert(1)">x</a>`, `<a title="x>" href="javascript:1">`, `<a/href="javascript:1">`,
		`<A HREF="javascript:1">`, `<a href='javascript:1'>`, `<a href=javascript:1>`, `<!-- <a href="x"> -->`,
		`<textarea><a href="javascript:1"></textarea>`, `<a href="https://ok.example/a&amp;b">`, `<img srcset="https://ok.example/a.png 1x, https://ok.example/b.png 2x">`,
		`<a href="mailto:jane@ok.example">`, `<a	href="javascript:1">`, `<p>1 <3 2</p>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if pass, known := quickURLsPass(s); known && pass != bodyURLsPass(s) {
			t.Fatalf("quickURLsPass(%q) = %v, the tokenizer says %v", s, pass, !pass)
		}
	})
}
