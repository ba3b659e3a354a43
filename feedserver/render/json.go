package render

import (
	"bytes"
	"encoding/json"

	"github.com/gorilla/feeds"
)

// gorilla/feeds' JSON Feed writes attachment sizes as "size" (JSON Feed
// says "size_in_bytes") and has no extension fields; these types embed its
// structs and replace or add what is missing.

type jsonFeed struct {
	feeds.JSONFeed
	NextURL string      `json:"next_url,omitempty"` // the next page (links.go)
	Hubs    []jsonHub   `json:"hubs,omitempty"`     // WebSub
	Items   []*jsonItem `json:"items"`              // replaces JSONFeed.Items; always present
}

type jsonHub struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

type jsonItem struct {
	feeds.JSONItem
	// ContentText replaces JSONItem.ContentText: JSON Feed wants
	// content_html or content_text, and an item without a body has an
	// empty content_text rather than a made-up one.
	ContentText *string          `json:"content_text,omitempty"`
	Attachments []jsonAttachment `json:"attachments,omitempty"` // replaces JSONItem.Attachments
	Feedmill    *jsonExtension   `json:"_feedmill,omitempty"`
}

type jsonAttachment struct {
	URL      string `json:"url"`
	MIMEType string `json:"mime_type"`
	Size     int64  `json:"size_in_bytes,omitempty"`
	Duration int64  `json:"duration_in_seconds,omitempty"`
}

// jsonExtension is feedmill's JSON Feed extension object on every item.
type jsonExtension struct {
	Source jsonSource `json:"source"`
	// AlsoRanIn lists where else a collapsed story ran (package channel).
	AlsoRanIn []jsonCopy `json:"also_ran_in,omitempty"`
}

// jsonCopy is another copy of a story: its source and link.
type jsonCopy struct {
	Source string `json:"source"`
	URL    string `json:"url,omitempty"`
}

type jsonSource struct {
	Title       string `json:"title"`
	FeedURL     string `json:"feed_url"`
	HomePageURL string `json:"home_page_url,omitempty"`
}

func renderJSON(d *Doc) ([]byte, error) {
	f := &jsonFeed{
		JSONFeed: feeds.JSONFeed{
			Version:     "https://jsonfeed.org/version/1.1",
			Title:       d.Channel.Title,
			Language:    d.language(),
			HomePageUrl: d.PageURL(),
			FeedUrl:     d.selfURL("json"),
			Description: d.Channel.Description,
		},
		Items: make([]*jsonItem, 0, len(d.Items)),
	}
	for _, l := range d.links("json") {
		switch l.Rel {
		case "next":
			f.NextURL = l.Href
		case "hub":
			f.Hubs = append(f.Hubs, jsonHub{Type: "WebSub", URL: l.Href})
		}
	}
	for i := range d.Items {
		it := &d.Items[i]
		src := d.Source(it)
		pub, upd := ItemPublished(it), itemUpdated(it)
		ji := &jsonItem{
			JSONItem: feeds.JSONItem{
				Id:            d.itemID(it),
				Url:           it.Link,
				Title:         it.Title,
				ContentHTML:   Body(it),
				Summary:       plainSummary(it),
				Image:         it.Image,
				PublishedDate: &pub,
				ModifiedDate:  &upd,
				Tags:          it.Categories,
			},
			Feedmill: &jsonExtension{Source: jsonSource{
				Title:   src.DisplayTitle(),
				FeedURL: src.URL,
			}},
		}
		if src.State.SiteURL != "" {
			ji.Feedmill.Source.HomePageURL = src.State.SiteURL
		}
		for _, c := range d.Also[it.ID] {
			ji.Feedmill.AlsoRanIn = append(ji.Feedmill.AlsoRanIn, jsonCopy{Source: d.Source(&c).DisplayTitle(), URL: c.Link})
		}
		if ji.ContentHTML == "" {
			empty := ""
			ji.ContentText = &empty
		}
		if name := authorName(it); name != "" {
			// "author" is deprecated in 1.1 but still all some readers
			// (gofeed among them) look at.
			a := &feeds.JSONAuthor{Name: name}
			ji.Author, ji.Authors = a, []*feeds.JSONAuthor{a}
		}
		for _, e := range it.Enclosures {
			typ := e.Type
			if typ == "" {
				typ = "application/octet-stream"
			}
			ji.Attachments = append(ji.Attachments, jsonAttachment{URL: e.URL, MIMEType: typ, Size: max(e.Length, 0), Duration: max(e.Duration, 0)})
		}
		for i, u := range extraImages(it) {
			// The first image is the item's image; the others are
			// attachments when their type is known (JSON Feed needs one).
			if typ := imageType(u); typ != "" && (i > 0 || u != it.Image) {
				ji.Attachments = append(ji.Attachments, jsonAttachment{URL: u, MIMEType: typ})
			}
		}
		f.Items = append(f.Items, ji)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
