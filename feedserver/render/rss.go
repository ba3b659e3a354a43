package render

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"time"

	"github.com/gorilla/feeds"
)

// gorilla/feeds' RSS lacks the atom:link self reference, several
// categories per item, dc:creator and <source url>; these types embed its
// structs and add (or, by being shallower, replace) the missing elements.

type rssDoc struct {
	XMLName   xml.Name `xml:"rss"`
	Version   string   `xml:"version,attr"`
	NSContent string   `xml:"xmlns:content,attr"`
	NSAtom    string   `xml:"xmlns:atom,attr"`
	NSDC      string   `xml:"xmlns:dc,attr"`
	NSMedia   string   `xml:"xmlns:media,attr"`
	NSITunes  string   `xml:"xmlns:itunes,attr"`
	Channel   *rssChannel
}

type rssChannel struct {
	XMLName   xml.Name      `xml:"channel"`
	AtomLinks []rssAtomLink // self, then pages (RFC 5005) and the WebSub hub
	feeds.RssFeed
	Items []*rssItem `xml:"item"` // replaces RssFeed.Items
}

type rssAtomLink struct {
	XMLName xml.Name `xml:"atom:link"`
	Href    string   `xml:"href,attr"`
	Rel     string   `xml:"rel,attr"`
	Type    string   `xml:"type,attr,omitempty"`
}

type rssItem struct {
	XMLName xml.Name `xml:"item"`
	// Title and Link replace RssItem's, which are written even when
	// empty: an item without a link has no <link>.
	Title string `xml:"title,omitempty"`
	Link  string `xml:"link,omitempty"`
	feeds.RssItem
	Categories []string   `xml:"category"` // replaces RssItem.Category
	Creator    string     `xml:"dc:creator,omitempty"`
	Source     *rssSource `xml:"source"` // replaces RssItem.Source
	Duration   string     `xml:"itunes:duration,omitempty"`
	Images     []rssMedia `xml:"media:content"`
}

// rssMedia is a Media RSS image.
type rssMedia struct {
	URL    string `xml:"url,attr"`
	Medium string `xml:"medium,attr"`
	Type   string `xml:"type,attr,omitempty"`
}

type rssSource struct {
	URL   string `xml:"url,attr"`
	Title string `xml:",chardata"`
}

func renderRSS(d *Doc) ([]byte, error) {
	ch := &rssChannel{
		AtomLinks: []rssAtomLink{{Href: d.selfURL("rss"), Rel: "self", Type: "application/rss+xml"}},
		RssFeed: feeds.RssFeed{
			Title:         d.Channel.Title,
			Link:          d.PageURL(),
			Description:   d.Channel.Description,
			Language:      d.language(),
			LastBuildDate: d.Updated().Format(time.RFC1123Z),
			Generator:     d.generator(),
		},
		Items: make([]*rssItem, 0, len(d.Items)),
	}
	for _, l := range d.links("rss") {
		ch.AtomLinks = append(ch.AtomLinks, rssAtomLink{Href: l.Href, Rel: l.Rel, Type: l.Type})
	}
	for i := range d.Items {
		it := &d.Items[i]
		src := d.Source(it)
		ri := &rssItem{
			Title: rssText(it.Title),
			Link:  it.Link,
			RssItem: feeds.RssItem{
				Description: Description(it),
				Guid:        &feeds.RssGuid{Id: d.itemID(it), IsPermaLink: "false"},
				PubDate:     ItemPublished(it).Format(time.RFC1123Z),
			},
			Categories: rssTexts(it.Categories),
			Creator:    rssText(authorName(it)),
			Duration:   itunesDuration(duration(it)),
		}
		if src.URL != "" {
			ri.Source = &rssSource{URL: src.URL, Title: src.DisplayTitle()}
		}
		for _, u := range extraImages(it) {
			ri.Images = append(ri.Images, rssMedia{URL: u, Medium: "image", Type: imageType(u)})
		}
		if it.Content != "" {
			ri.Content = &feeds.RssContent{Content: it.Content}
		}
		if len(it.Enclosures) > 0 {
			// RSS allows one enclosure per item.
			e := it.Enclosures[0]
			typ := e.Type
			if typ == "" {
				typ = "application/octet-stream"
			}
			ri.Enclosure = &feeds.RssEnclosure{Url: e.URL, Length: strconv.FormatInt(max(e.Length, 0), 10), Type: typ}
		}
		ch.Items = append(ch.Items, ri)
	}
	doc := &rssDoc{
		Version:   "2.0",
		NSContent: "http://purl.org/rss/1.0/modules/content/",
		NSAtom:    "http://www.w3.org/2005/Atom",
		NSDC:      "http://purl.org/dc/elements/1.1/",
		NSMedia:   "http://search.yahoo.com/mrss/",
		NSITunes:  "http://www.itunes.com/dtds/podcast-1.0.dtd",
		Channel:   ch,
	}
	return marshalXML(doc)
}

func marshalXML(v any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}
