package render

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/feedmill/feedmill/storage"
)

// TestRenderFieldRules: the same item through the three formats: no
// author made up from the source's title, no body from the title, a
// plain-text JSON summary, every image, the enclosure's duration.
func TestRenderFieldRules(t *testing.T) {
	d := sampleDoc(t)
	d.Items = []storage.Item{
		{
			ID: 1, SourceID: 1, Link: "https://a.example/1", Title: "Bare item", Published: t0,
		},
		{
			ID: 2, SourceID: 1, Link: "https://a.example/2", Title: "Episode", Published: t0.Add(-time.Hour),
			Summary: "<p>Show <b>notes</b> &amp; more</p>", Author: "Host",
			Image:      "https://a.example/i1.jpg",
			Images:     []string{"https://a.example/i1.jpg", "https://a.example/i2.png"},
			Enclosures: []storage.Enclosure{{URL: "https://a.example/e.mp3", Type: "audio/mpeg", Length: 10, Duration: 3725}},
		},
	}
	out := map[string]*gofeed.Feed{}
	raw := map[string][]byte{}
	for _, f := range Formats {
		body, err := Render(f, d)
		if err != nil {
			t.Fatal(err)
		}
		feed, err := gofeed.NewParser().ParseString(string(body))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[f], raw[f] = feed, body
	}
	for f, feed := range out {
		bare, ep := feed.Items[0], feed.Items[1]
		if bare.Author != nil && bare.Author.Name != "" {
			t.Errorf("%s: an item without an author has %q", f, bare.Author.Name)
		}
		if bare.Content != "" || bare.Description != "" {
			t.Errorf("%s: an item without a body has %q / %q", f, bare.Content, bare.Description)
		}
		if ep.Author == nil || ep.Author.Name != "Host" {
			t.Errorf("%s: author %v", f, ep.Author)
		}
	}
	if got := out["rss"].Items[1].ITunesExt; got == nil || got.Duration != "1:02:05" {
		t.Errorf("rss itunes:duration: %+v", got)
	}
	if !strings.Contains(string(raw["rss"]), `<media:content url="https://a.example/i2.png" medium="image" type="image/png">`) {
		t.Errorf("rss lacks the second image:\n%s", raw["rss"])
	}
	if !strings.Contains(string(raw["atom"]), `<link href="https://a.example/i2.png" rel="enclosure" type="image/png">`) ||
		!strings.Contains(string(raw["atom"]), `<itunes:duration>1:02:05</itunes:duration>`) {
		t.Errorf("atom lacks the image or the duration:\n%s", raw["atom"])
	}
	if strings.Count(string(raw["atom"]), "<name>Alpha Times</name>") != 1 {
		t.Errorf("atom: the source, not the entry, names the bare item's author:\n%s", raw["atom"])
	}
	var jf struct {
		Items []struct {
			ContentText *string `json:"content_text"`
			Summary     string  `json:"summary"`
			Image       string  `json:"image"`
			Attachments []struct {
				URL      string `json:"url"`
				Duration int64  `json:"duration_in_seconds"`
			} `json:"attachments"`
		} `json:"items"`
	}
	if err := json.Unmarshal(raw["json"], &jf); err != nil {
		t.Fatal(err)
	}
	if ct := jf.Items[0].ContentText; ct == nil || *ct != "" {
		t.Errorf("json: a bare item's content_text is %v, want present and empty", ct)
	}
	ep := jf.Items[1]
	if ep.Summary != "Show notes & more" || ep.Image != "https://a.example/i1.jpg" || len(ep.Attachments) != 2 ||
		ep.Attachments[0].Duration != 3725 || ep.Attachments[1].URL != "https://a.example/i2.png" {
		t.Errorf("json episode: %+v", ep)
	}
}
