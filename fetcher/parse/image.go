package parse

import (
	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/rss"
)

// An item's image (Item.Image) is, as gofeed's default RSS translator
// picks it: itunes:image, a media:content image, an image enclosure, else
// the src of the first <img> that has one in the item's content:encoded,
// else in its <description>. gofeed finds that last one with a full
// html.Parse of both bodies for every item; Feed switches that off
// (DisableContentImageScan) and leaves it to the item cleaning, which
// tokenizes the bodies anyway. Atom and JSON items never had that
// fallback and get none.
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

// ImageScan reports which bodies of an item Feed parsed the first <img
// src> is to be taken from, content before description, for an item
// whose Image is one of Feed's marks; both false for any other image
// (nil, or an explicit one).
func ImageScan(img *gofeed.Image) (content, description bool) {
	switch img {
	case scanBothImages:
		return true, true
	case scanContentImage:
		return true, false
	case scanDescriptionImage:
		return false, true
	}
	return false, false
}

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
