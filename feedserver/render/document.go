package render

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/feedmill/feedmill/feedserver/channel"
	"github.com/feedmill/feedmill/internal/urlpolicy"
	"github.com/feedmill/feedmill/storage"
)

// Formats are the feed formats a channel is rendered in, by file extension.
var Formats = []string{"rss", "atom", "json"}

// ContentTypes are the formats' Content-Type values.
var ContentTypes = map[string]string{
	"rss":  "application/rss+xml; charset=utf-8",
	"atom": "application/atom+xml; charset=utf-8",
	"json": "application/feed+json; charset=utf-8",
}

// ErrUnknownFormat is returned (wrapped) by Render for a format it does
// not write.
var ErrUnknownFormat = errors.New("unknown format")

// Doc is everything a renderer needs: pure data, no store.
type Doc struct {
	Channel *channel.Channel
	Base    string // base URL without a trailing slash ("" = site-relative links)
	Version string // feedmill's version, for the generator
	Items   []storage.Item
	Sources map[uint64]storage.Source
	Page    int    // 1 = newest; see links.go
	More    bool   // a next page exists
	Hub     string // WebSub hub URL; "" = none

	// Also maps an item ID to the copies collapsed into it.
	Also map[uint64][]storage.Item
}

// FeedURL is the URL of the channel's first page in a format.
func (d *Doc) FeedURL(format string) string {
	return d.Base + "/channels/" + d.Channel.Name + "." + format
}

// PageURL is the URL of the channel's HTML preview.
func (d *Doc) PageURL() string { return d.Base + "/channels/" + d.Channel.Name }

func (d *Doc) generator() string {
	if d.Version == "" {
		return "feedmill"
	}
	return "feedmill " + d.Version
}

// itemID is an item's id/guid in every format: the story's ID when the
// channel collapses duplicates (so a story keeps its id when another copy
// becomes the one shown), else the item's own ID (so kept copies do not
// share an id). Both are stable across renders and restarts. The channel's
// name is part of it: readers such as newsboat keep one item per id across
// all their feeds, so an item in two channels needs two ids.
func (d *Doc) itemID(it *storage.Item) string {
	id := it.ID
	if d.Channel.Collapses() {
		id = channel.StoryID(it)
	}
	return "urn:feedmill:channel:" + d.Channel.Name + ":item:" + strconv.FormatUint(id, 10)
}

// Updated is the feed's last change: the newest Updated or Published of its
// items, so the same items always render to the same bytes. An empty feed
// has the Unix epoch.
func (d *Doc) Updated() time.Time {
	var t time.Time
	for i := range d.Items {
		t = Later(t, itemUpdated(&d.Items[i]))
	}
	if t.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return t.UTC().Truncate(time.Second)
}

// Later returns the later of a and b.
func Later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func itemUpdated(it *storage.Item) time.Time {
	return Later(it.Published, it.Updated).UTC().Truncate(time.Second)
}

// ItemPublished is an item's publication time as the feeds show it.
func ItemPublished(it *storage.Item) time.Time {
	return it.Published.UTC().Truncate(time.Second)
}

// language is the channel's language, else the one language all its items
// (or their sources) agree on, else "".
func (d *Doc) language() string {
	if d.Channel.Language != "" {
		return d.Channel.Language
	}
	lang := ""
	for i := range d.Items {
		l := d.Items[i].Language
		if l == "" {
			l = d.Sources[d.Items[i].SourceID].State.Language
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

// Source returns the item's source (a zero Source with the ID if unknown).
func (d *Doc) Source(it *storage.Item) storage.Source {
	if src, ok := d.Sources[it.SourceID]; ok {
		return src
	}
	return storage.Source{ID: it.SourceID}
}

// SourceHome is the source's site, else its feed URL: the first that the
// URL policy allows, as it publishes it ("" = neither).
func SourceHome(src storage.Source) string {
	if u := publishableURL(src.State.SiteURL, urlpolicy.Web); u != "" {
		return u
	}
	return publishableURL(src.URL, urlpolicy.Web)
}

// Description is the item's summary, else its content.
func Description(it *storage.Item) string {
	if it.Summary != "" {
		return it.Summary
	}
	return it.Content
}

// Body is the item's body: its content, else its summary ("" = none).
func Body(it *storage.Item) string {
	if it.Content != "" {
		return it.Content
	}
	return it.Summary
}

// Render writes d in one of Formats, as Publishable makes it.
func Render(format string, d *Doc) ([]byte, error) {
	if !slices.Contains(Formats, format) {
		return nil, fmt.Errorf("%w %q", ErrUnknownFormat, format)
	}
	d = Publishable(d)
	switch format {
	case "rss":
		return renderRSS(d)
	case "atom":
		return renderAtom(d)
	case "json":
		return renderJSON(d)
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownFormat, format)
}
