package feedserver

import (
	"bytes"
	"cmp"
	"embed"
	"html/template"
	"slices"
	"strings"
	"time"

	"github.com/feedmill/feedmill/feedserver/admin"

	"github.com/feedmill/feedmill/feedserver/channel"
	"github.com/feedmill/feedmill/feedserver/render"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"date": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"iso":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"excerpt": func(s string) string {
		s = strings.Join(strings.Fields(channel.PlainText(s)), " ")
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
func channelLinks(base string, ch *channel.Channel, relPrefix string) []feedLink {
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
	Sources                           []indexSource
}

// indexSource is one source of a channel on the index page.
type indexSource struct {
	Title, URL, Status, Error string
	Updated                   time.Time // last new or changed item; zero = never
}

// buildIndex renders the index page from the channels and, when res is
// not nil, the sources each selects with their status.
func (s *Server) buildIndex(res *channel.Resolution) (*rendition, error) {
	data := struct {
		Version  string
		Sources  bool
		Channels []indexChannel
	}{Version: s.version, Sources: res != nil}
	for _, ch := range s.channels {
		ic := indexChannel{
			Name:        ch.Name,
			Title:       ch.Title,
			Description: ch.Description,
			Preview:     "channels/" + ch.Name,
			Feeds:       channelLinks(s.base, ch, "channels/"),
		}
		if res != nil {
			ic.Sources = indexSources(res, ch.Name)
		}
		data.Channels = append(data.Channels, ic)
	}
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, "index.html", data); err != nil {
		return nil, err
	}
	r, err := newRendition(b.Bytes(), contentTypes[formatHTML], s.now())
	if err != nil {
		return nil, err
	}
	if res != nil {
		r.version = res.Version
	}
	return r, nil
}

// indexSources lists the sources a channel selects, by title.
func indexSources(res *channel.Resolution, channel string) []indexSource {
	ids, all := res.IDs[channel], res.IDs[channel] == nil
	var out []indexSource
	for id, src := range res.Sources {
		if !all && !slices.Contains(ids, id) {
			continue
		}
		out = append(out, indexSource{
			Title:   src.DisplayTitle(),
			URL:     render.SourceHome(src),
			Status:  admin.Status(src),
			Error:   src.State.LastError,
			Updated: src.Stats.ChangedAt,
		})
	}
	slices.SortFunc(out, func(a, b indexSource) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Title), strings.ToLower(b.Title)), strings.Compare(a.URL, b.URL))
	})
	return out
}

// indexPage returns the index page, rebuilt when the store's sources or
// items changed (its version moved). Without a store, or when the store
// fails, it is the page built at New.
func (s *Server) indexPage() *rendition {
	if s.store == nil {
		return s.index
	}
	res, err := s.resolve()
	if err != nil {
		s.readFailed("", err)
		return s.index
	}
	if r := s.indexCur.Load(); r != nil && r.version == res.Version {
		return r
	}
	s.indexMu.Lock()
	defer s.indexMu.Unlock()
	if r := s.indexCur.Load(); r != nil && r.version == res.Version {
		return r
	}
	r, err := s.buildIndex(res)
	if err != nil {
		s.readFailed("", err)
		return s.index
	}
	s.readOK("")
	s.indexCur.Store(r)
	return r
}

type previewItem struct {
	Title, Link, Source, SourceURL, Summary string
	Published                               time.Time
}

// renderPreview renders the HTML preview of a channel, as
// render.Publishable makes it.
func renderPreview(d *render.Doc) ([]byte, error) {
	d = render.Publishable(d)
	data := struct {
		Title, Description, Version string
		Updated                     time.Time
		Feeds                       []feedLink
		Items                       []previewItem
	}{
		Title:       d.Channel.Title,
		Description: d.Channel.Description,
		Version:     d.Version,
		Updated:     d.Updated(),
		Feeds:       channelLinks(d.Base, d.Channel, ""),
	}
	for i := range d.Items {
		it := &d.Items[i]
		src := d.Source(it)
		title := it.Title
		if title == "" {
			title = it.Link
		}
		data.Items = append(data.Items, previewItem{
			Title:     title,
			Link:      it.Link,
			Source:    src.DisplayTitle(),
			SourceURL: render.SourceHome(src),
			Summary:   render.Description(it),
			Published: render.ItemPublished(it),
		})
	}
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, "channel.html", data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
