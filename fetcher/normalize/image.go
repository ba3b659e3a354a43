package normalize

import (
	"github.com/mmcdole/gofeed"

	"github.com/feedmill/feedmill/fetcher/parse"
)

// bodyImage is the first <img> with a src attribute in a body, as the
// cleaning pass met it: found even when src is empty (gofeed then stops
// there too, and the item has no image).
type bodyImage struct {
	found bool
	src   string
}

// itemImageURL returns the URL of it's image before canonicalization:
// the explicit one, or, for an item parse marked (parse.ImageScan), the
// first <img src> of the content, else of the description, as gofeed
// would have picked it.
func itemImageURL(it *gofeed.Item, content, description bodyImage) string {
	if it.Image == nil {
		return ""
	}
	switch c, d := parse.ImageScan(it.Image); {
	case c && d:
		if content.found {
			return content.src
		}
		return description.src
	case c:
		return content.src
	case d:
		return description.src
	}
	return it.Image.URL
}
