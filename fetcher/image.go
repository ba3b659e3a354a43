package fetcher

import (
	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/rss"
)

// An item's image (Item.Image) is, as gofeed's default RSS translator
// picks it: itunes:image, a media:content image, an image enclosure, else
// the src of the first <img> that has one in the item's content:encoded,
// else in its <description>. gofeed finds that last one with a full
// html.Parse of both bodies for every item; we switch that off
// (DisableContentImageScan, parse.go) and let the cleaning pass, which
// tokenizes the bodies anyway, note the first <img src> it meets
// (clean.go). Atom and JSON items never had that fallback and get none.
//
// The translator marks the items that need the fallback by setting
// Item.Image to one of the sentinels below (compared by address, so no
// feed can produce them; their URL is empty for any other reader):
// which bodies gofeed would have scanned, because Item.Content and
// Item.Description may come from elsewhere (an Atom extension,
// dc:description, itunes:summary) when the RSS elements are empty, and
// gofeed only ever scanned the RSS elements themselves.
var (
	scanContentImage     = &gofeed.Image{}
	scanDescriptionImage = &gofeed.Image{}
	scanBothImages       = &gofeed.Image{}
)

// markImageScans marks the translated items of rf (same order, one for
// one) that have no explicit image with the bodies to scan for one.
func markImageScans(rf *rss.Feed, out *gofeed.Feed) {
	if len(out.Items) != len(rf.Items) {
		return
	}
	for i, it := range out.Items {
		ri := rf.Items[i]
		if it == nil || ri == nil || it.Image != nil {
			continue
		}
		switch content, desc := ri.Content != "", ri.Description != ""; {
		case content && desc:
			it.Image = scanBothImages
		case content:
			it.Image = scanContentImage
		case desc:
			it.Image = scanDescriptionImage
		}
	}
}

// bodyImage is the first <img> with a src attribute in a body, as the
// cleaning pass met it: found even when src is empty (gofeed then stops
// there too, and the item has no image).
type bodyImage struct {
	found bool
	src   string
}

// itemImageURL returns the URL of it's image before canonicalization:
// the explicit one, or, for a marked item, the first <img src> of the
// content, else of the description, as gofeed would have picked it.
func itemImageURL(it *gofeed.Item, content, description bodyImage) string {
	switch it.Image {
	case nil:
		return ""
	case scanBothImages:
		if content.found {
			return content.src
		}
		return description.src
	case scanContentImage:
		return content.src
	case scanDescriptionImage:
		return description.src
	}
	return it.Image.URL
}
