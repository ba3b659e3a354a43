package feedserver

import (
	"bytes"
	"embed"
	"html/template"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"date": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"iso":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"excerpt": func(s string) string {
		s = strings.Join(strings.Fields(plainText(s)), " ")
		if r := []rune(s); len(r) > 280 {
			return string(r[:280]) + "…"
		}
		return s
	},
}).ParseFS(templateFS, "templates/*.html"))

// feedLink is one format of a channel, for the pages.
type feedLink struct {
	Format, Label, Type, URL, Rel string
	// TypeAttr is type="..." ready-made: html/template would write the
	// "+" of the media types as "&#43;", which naive autodiscovery code
	// does not decode.
	TypeAttr template.HTMLAttr
}

// channelLinks are the subscribe links of a channel: absolute URLs (for
// autodiscovery) and paths relative to the page (for the body, so a static
// copy made by Render works from any directory).
func channelLinks(base string, ch *channel, relPrefix string) []feedLink {
	labels := map[string]string{"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}
	types := map[string]string{"rss": "application/rss+xml", "atom": "application/atom+xml", "json": "application/feed+json"}
	var out []feedLink
	for _, f := range Formats {
		out = append(out, feedLink{
			Format: f,
			Label:  labels[f],
			Type:   types[f],
			// The media types are constants, safe to write as they are.
			TypeAttr: template.HTMLAttr(`type="` + types[f] + `"`),
			URL:      base + "/channels/" + ch.Name + "." + f,
			Rel:      relPrefix + ch.Name + "." + f,
		})
	}
	return out
}

type indexChannel struct {
	Name, Title, Description, Preview string
	Feeds                             []feedLink
}

// buildIndex renders the index page: it depends only on the configuration,
// so it is built once.
func (s *Server) buildIndex() (*rendition, error) {
	data := struct {
		Version  string
		Channels []indexChannel
	}{Version: s.version}
	for _, ch := range s.channels {
		data.Channels = append(data.Channels, indexChannel{
			Name:        ch.Name,
			Title:       ch.Title,
			Description: ch.Description,
			Preview:     "channels/" + ch.Name,
			Feeds:       channelLinks(s.base, ch, "channels/"),
		})
	}
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, "index.html", data); err != nil {
		return nil, err
	}
	return newRendition(b.Bytes(), contentTypes[formatHTML], s.now())
}

type previewItem struct {
	Title, Link, Source, SourceURL, Summary string
	Published                               time.Time
}

// renderPreview renders the HTML preview of a channel.
func renderPreview(d *feedDoc) ([]byte, error) {
	data := struct {
		Title, Description, Version string
		Updated                     time.Time
		Feeds                       []feedLink
		Items                       []previewItem
	}{
		Title:       d.ch.Title,
		Description: d.ch.Description,
		Version:     d.gen,
		Updated:     d.updated(),
		Feeds:       channelLinks(d.base, d.ch, ""),
	}
	for i := range d.items {
		it := &d.items[i]
		src := d.source(it)
		title := it.Title
		if title == "" {
			title = it.Link
		}
		data.Items = append(data.Items, previewItem{
			Title:     title,
			Link:      it.Link,
			Source:    src.DisplayTitle(),
			SourceURL: sourceHome(src),
			Summary:   description(it),
			Published: itemPublished(it),
		})
	}
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, "channel.html", data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
