package feedserver

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/feedmill/feedmill/feedserver/channel"
	"github.com/feedmill/feedmill/storage"
)

// Formats are the feed formats a channel is rendered in, by file extension.
var Formats = []string{"rss", "atom", "json"}

// formatHTML is the HTML preview of a channel; Render accepts it too.
const formatHTML = "html"

// contentTypes by format.
var contentTypes = map[string]string{
	"rss":      "application/rss+xml; charset=utf-8",
	"atom":     "application/atom+xml; charset=utf-8",
	"json":     "application/feed+json; charset=utf-8",
	formatHTML: "text/html; charset=utf-8",
}

// ErrUnknownChannel and ErrUnknownFormat are returned (wrapped) by Render
// for a channel or format that does not exist.
var (
	ErrUnknownChannel = errors.New("unknown channel")
	ErrUnknownFormat  = errors.New("unknown format")
)

// feedDoc is everything a renderer needs: pure data, no store.
type feedDoc struct {
	ch      *channel.Channel
	base    string // base URL without a trailing slash ("" = site-relative links)
	gen     string // generator version
	items   []storage.Item
	sources map[uint64]storage.Source
	page    int    // 1 = newest; see pagination.go
	more    bool   // a next page exists
	hub     string // WebSub hub URL; "" = none (websub.go)

	// also maps an item ID to the copies collapsed into it (collapse.go).
	also map[uint64][]storage.Item
}

func (d *feedDoc) feedURL(format string) string {
	return d.base + "/channels/" + d.ch.Name + "." + format
}

func (d *feedDoc) pageURL() string { return d.base + "/channels/" + d.ch.Name }

func (d *feedDoc) generator() string {
	if d.gen == "" {
		return "feedmill"
	}
	return "feedmill " + d.gen
}

// itemID is an item's id/guid in every format: the story's ID when the
// channel collapses duplicates (so a story keeps its id when another copy
// becomes the one shown), else the item's own ID (so kept copies do not
// share an id). Both are stable across renders and restarts. The channel's
// name is part of it: readers such as newsboat keep one item per id across
// all their feeds, so an item in two channels needs two ids.
func (d *feedDoc) itemID(it *storage.Item) string {
	id := it.ID
	if d.ch.Collapses() {
		id = channel.StoryID(it)
	}
	return "urn:feedmill:channel:" + d.ch.Name + ":item:" + strconv.FormatUint(id, 10)
}

// updated is the feed's last change: the newest Updated or Published of its
// items, so the same items always render to the same bytes. An empty feed
// has the Unix epoch.
func (d *feedDoc) updated() time.Time {
	var t time.Time
	for i := range d.items {
		t = later(t, itemUpdated(&d.items[i]))
	}
	if t.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return t.UTC().Truncate(time.Second)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func itemUpdated(it *storage.Item) time.Time {
	return later(it.Published, it.Updated).UTC().Truncate(time.Second)
}

func itemPublished(it *storage.Item) time.Time {
	return it.Published.UTC().Truncate(time.Second)
}

// language is the channel's language, else the one language all its items
// (or their sources) agree on, else "".
func (d *feedDoc) language() string {
	if d.ch.Language != "" {
		return d.ch.Language
	}
	lang := ""
	for i := range d.items {
		l := d.items[i].Language
		if l == "" {
			l = d.sources[d.items[i].SourceID].State.Language
		}
		switch {
		case l == "":
		case lang == "":
			lang = l
		case lang != l:
			return ""
		}
	}
	return lang
}

// source returns the item's source (a zero Source with the ID if unknown).
func (d *feedDoc) source(it *storage.Item) storage.Source {
	if src, ok := d.sources[it.SourceID]; ok {
		return src
	}
	return storage.Source{ID: it.SourceID}
}

// sourceHome is the source's site, else its feed URL.
func sourceHome(src storage.Source) string {
	if src.State.SiteURL != "" {
		return src.State.SiteURL
	}
	return src.URL
}

// description is the item's summary, else its content.
func description(it *storage.Item) string {
	if it.Summary != "" {
		return it.Summary
	}
	return it.Content
}

// render renders d in one format.
func render(format string, d *feedDoc) ([]byte, error) {
	switch format {
	case "rss":
		return renderRSS(d)
	case "atom":
		return renderAtom(d)
	case "json":
		return renderJSON(d)
	case formatHTML:
		return renderPreview(d)
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownFormat, format)
}
