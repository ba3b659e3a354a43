package feedserver

import (
	"encoding/xml"
)

type opmlDoc struct {
	XMLName xml.Name      `xml:"opml"`
	Version string        `xml:"version,attr"`
	Title   string        `xml:"head>title"`
	Body    []opmlOutline `xml:"body>outline"`
}

type opmlOutline struct {
	Type        string `xml:"type,attr"`
	Text        string `xml:"text,attr"`
	Title       string `xml:"title,attr"`
	Description string `xml:"description,attr,omitempty"`
	Language    string `xml:"language,attr,omitempty"`
	XMLURL      string `xml:"xmlUrl,attr"`
	HTMLURL     string `xml:"htmlUrl,attr"`
}

// buildOPML renders the OPML list of the channels (their RSS feeds), so a
// reader can subscribe to all of them in one import. It depends only on the
// configuration, so it is built once.
func (s *Server) buildOPML() (*rendition, error) {
	doc := opmlDoc{Version: "2.0", Title: "feedmill channels"}
	for _, ch := range s.channels {
		doc.Body = append(doc.Body, opmlOutline{
			Type:        "rss",
			Text:        ch.Title,
			Title:       ch.Title,
			Description: ch.Description,
			Language:    ch.Language,
			XMLURL:      s.base + "/channels/" + ch.Name + ".rss",
			HTMLURL:     s.base + "/channels/" + ch.Name,
		})
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	body := append(append([]byte(xml.Header), out...), '\n')
	return newRendition(body, "text/x-opml; charset=utf-8", s.now())
}

// OPML returns the OPML list of the channels as served at "/opml" (and
// written as opml.xml by `feedmill render`).
func (s *Server) OPML() ([]byte, error) {
	return append([]byte(nil), s.opml.body()...), nil
}
