package render

import (
	"strconv"
	"time"

	"encoding/xml"

	"github.com/gorilla/feeds"

	"github.com/feedmill/feedmill/storage"
)

// gorilla/feeds' Atom takes the feed <id> from the link, has one feed link
// and a single category string; these types embed its structs and add
// several links, categories with a term, xml:lang and <source>.

type atomFeed struct {
	XMLName xml.Name `xml:"feed"`
	feeds.AtomFeed
	NSITunes  string           `xml:"xmlns:itunes,attr"`
	Lang      string           `xml:"xml:lang,attr,omitempty"`
	Links     []feeds.AtomLink `xml:"link"` // replaces AtomFeed.Link
	Generator *atomGenerator
	Entries   []*atomEntry `xml:"entry"` // replaces AtomFeed.Entries
}

type atomGenerator struct {
	XMLName xml.Name `xml:"generator"`
	Version string   `xml:"version,attr,omitempty"`
	Name    string   `xml:",chardata"`
}

type atomEntry struct {
	XMLName xml.Name `xml:"entry"`
	feeds.AtomEntry
	Categories []atomCategory `xml:"category"` // replaces AtomEntry.Category
	Source     *atomSource    `xml:"source"`   // replaces AtomEntry.Source
	Duration   string         `xml:"itunes:duration,omitempty"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

type atomSource struct {
	ID     string            `xml:"id,omitempty"`
	Title  string            `xml:"title"`
	Links  []feeds.AtomLink  `xml:"link"`
	Author *feeds.AtomAuthor `xml:"author"`
}

// atomContentOrLink gives an entry without an alternate link and without
// content, which Atom does not allow, the summary as its content, else an
// empty text content: nothing is made up.
func atomContentOrLink(e *atomEntry, it *storage.Item) {
	if e.Content != nil || it.Link != "" {
		return
	}
	if it.Summary != "" {
		e.Content = &feeds.AtomContent{Content: it.Summary, Type: "html"}
		return
	}
	e.Content = &feeds.AtomContent{Type: "text"}
}

func renderAtom(d *Doc) ([]byte, error) {
	f := &atomFeed{
		AtomFeed: feeds.AtomFeed{
			Xmlns:    "http://www.w3.org/2005/Atom",
			Title:    d.Channel.Title,
			Id:       d.FeedURL("atom"),
			Updated:  d.Updated().Format(time.RFC3339),
			Subtitle: d.Channel.Description,
		},
		NSITunes: "http://www.itunes.com/dtds/podcast-1.0.dtd",
		Lang:     d.language(),
		Links: []feeds.AtomLink{
			{Href: d.selfURL("atom"), Rel: "self", Type: "application/atom+xml"},
			{Href: d.PageURL(), Rel: "alternate", Type: "text/html"},
		},
		Generator: &atomGenerator{Name: "feedmill", Version: d.Version},
		Entries:   make([]*atomEntry, 0, len(d.Items)),
	}
	for _, l := range d.links("atom") {
		f.Links = append(f.Links, feeds.AtomLink{Href: l.Href, Rel: l.Rel, Type: l.Type})
	}
	for i := range d.Items {
		it := &d.Items[i]
		src := d.Source(it)
		e := &atomEntry{
			AtomEntry: feeds.AtomEntry{
				Title:     it.Title,
				Id:        d.itemID(it),
				Updated:   itemUpdated(it).Format(time.RFC3339),
				Published: ItemPublished(it).Format(time.RFC3339),
			},
			Source: &atomSource{ID: src.URL, Title: src.DisplayTitle()},
		}
		if src.URL != "" {
			e.Source.Links = append(e.Source.Links, feeds.AtomLink{Href: src.URL, Rel: "self"})
		}
		if home := src.State.SiteURL; home != "" {
			e.Source.Links = append(e.Source.Links, feeds.AtomLink{Href: home, Rel: "alternate", Type: "text/html"})
		}
		if it.Link != "" {
			e.Links = append(e.Links, feeds.AtomLink{Href: it.Link, Rel: "alternate", Type: "text/html"})
		}
		for _, enc := range it.Enclosures {
			l := feeds.AtomLink{Href: enc.URL, Rel: "enclosure", Type: enc.Type}
			if enc.Length > 0 {
				l.Length = strconv.FormatInt(enc.Length, 10)
			}
			e.Links = append(e.Links, l)
		}
		for _, u := range extraImages(it) {
			// A typeless enclosure link is no image to a reader: images
			// whose type is not known are left out.
			if typ := imageType(u); typ != "" {
				e.Links = append(e.Links, feeds.AtomLink{Href: u, Rel: "enclosure", Type: typ})
			}
		}
		e.Duration = itunesDuration(duration(it))
		if it.Summary != "" {
			e.Summary = &feeds.AtomSummary{Content: it.Summary, Type: "html"}
		}
		if it.Content != "" {
			e.Content = &feeds.AtomContent{Content: it.Content, Type: "html"}
		}
		atomContentOrLink(e, it)
		// Atom wants an author for every entry: the item's; an item without
		// one has none, and its <source> names the source as the author of
		// that feed, which satisfies Atom without making one up for the
		// entry.
		if name := authorName(it); name != "" {
			e.Author = &feeds.AtomAuthor{AtomPerson: feeds.AtomPerson{Name: name, Email: it.AuthorMail}}
		} else {
			e.Source.Author = &feeds.AtomAuthor{AtomPerson: feeds.AtomPerson{Name: src.DisplayTitle()}}
		}
		for _, c := range it.Categories {
			e.Categories = append(e.Categories, atomCategory{Term: c})
		}
		f.Entries = append(f.Entries, e)
	}
	return marshalXML(f)
}
