package normalize

import (
	"mime"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"

	"github.com/feedmill/feedmill/fetcher/parse"
	"github.com/feedmill/feedmill/storage"
)

// One rule per field (README, "What a channel carries"): what the source
// says about an item, else what the feed says for all its items, else
// nothing. Nothing is made up from other fields (no author from the feed's
// title, no body from the item's title).

// maxImages caps the images of one item.
const maxImages = 16

// feedDefaults are a feed's fallbacks for its items.
type feedDefaults struct {
	author, authorMail string
	categories         []string
	// episodeImage is the feed's itunes:image, the artwork of its
	// episodes (items with an audio or video enclosure) that have none.
	episodeImage string
}

func feedDefaultsOf(feed *gofeed.Feed, base *url.URL) feedDefaults {
	var d feedDefaults
	if feed.Author != nil {
		d.author, d.authorMail = plainText(feed.Author.Name), Text(strings.TrimSpace(feed.Author.Email))
	}
	if d.author == "" {
		d.author = firstText(dcAuthors(feed.DublinCoreExt), itunesAuthor(feed.ITunesExt, nil))
	}
	d.categories = cleanCategories(feed.Categories)
	if feed.ITunesExt != nil && feed.ITunesExt.Image != "" {
		d.episodeImage = httpURL(feed.ITunesExt.Image, base)
	}
	return d
}

// itemAuthor is the item's author: gofeed's, else the raw text of the
// element gofeed could not split into a name ("A (now), B and C"), else
// the feed's.
func itemAuthor(it *gofeed.Item, d *feedDefaults) (name, mail string) {
	author := it.Author
	if len(it.Authors) > 0 && it.Authors[0] != nil {
		author = it.Authors[0]
	}
	if author != nil {
		name, mail = plainText(author.Name), Text(strings.TrimSpace(author.Email))
	}
	if name == "" {
		name = firstText(dcAuthors(it.DublinCoreExt), itunesAuthor(nil, it.ITunesExt))
	}
	if name == "" && mail == "" {
		name, mail = d.author, d.authorMail
	}
	return name, mail
}

func dcAuthors(dc *ext.DublinCoreExtension) []string {
	if dc == nil {
		return nil
	}
	return append(append([]string(nil), dc.Creator...), dc.Author...)
}

func itunesAuthor(feed *ext.ITunesFeedExtension, item *ext.ITunesItemExtension) []string {
	switch {
	case item != nil:
		return []string{item.Author}
	case feed != nil:
		return []string{feed.Author}
	}
	return nil
}

// firstText is the first of the lists' strings with text left after
// plainText.
func firstText(lists ...[]string) string {
	for _, l := range lists {
		for _, s := range l {
			if t := plainText(s); t != "" {
				return t
			}
		}
	}
	return ""
}

// explicitImages are the images an item names, in this order, each once:
// gofeed's image (itunes:image, a media:content image, an image
// enclosure), the item's itunes:image, its media:content images (also
// inside media:group) and media:thumbnails, its image enclosures. Only
// http(s) URLs, resolved against base and canonical.
func explicitImages(it *gofeed.Item, base *url.URL) []string {
	var out []string
	add := func(raw string) {
		u := httpURL(raw, base)
		if u == "" || len(u) > maxURLBytes {
			return
		}
		for _, have := range out {
			if have == u {
				return
			}
		}
		out = append(out, u)
	}
	if it.Image != nil {
		if c, d := parse.ImageScan(it.Image); !c && !d {
			add(it.Image.URL)
		}
	}
	if it.ITunesExt != nil {
		add(it.ITunesExt.Image)
	}
	for _, m := range mediaElements(it.Extensions) {
		if m.Name == "thumbnail" || isImageMedia(m.Attrs) {
			add(m.Attrs["url"])
		}
	}
	for _, e := range it.Enclosures {
		if e != nil && strings.HasPrefix(strings.ToLower(strings.TrimSpace(e.Type)), "image/") {
			add(e.URL)
		}
	}
	return out
}

// mediaElements are an item's Media RSS content and thumbnail elements,
// those inside media:group included, in document order of each kind.
func mediaElements(exts ext.Extensions) []ext.Extension {
	media := exts["media"]
	if media == nil {
		return nil
	}
	var out []ext.Extension
	for _, name := range []string{"content", "thumbnail"} {
		out = append(out, media[name]...)
	}
	for _, g := range media["group"] {
		for _, name := range []string{"content", "thumbnail"} {
			out = append(out, g.Children[name]...)
		}
	}
	return out
}

// isImageMedia reports whether a media:content element is an image: by
// its medium or type, else, when it has neither, by its URL's extension.
func isImageMedia(attrs map[string]string) bool {
	medium := strings.ToLower(strings.TrimSpace(attrs["medium"]))
	typ := strings.ToLower(strings.TrimSpace(attrs["type"]))
	switch {
	case medium != "":
		return medium == "image"
	case typ != "":
		return strings.HasPrefix(typ, "image/")
	}
	return strings.HasPrefix(ImageType(attrs["url"]), "image/")
}

// ImageType is the MIME type an image URL's extension names ("" when it
// names none).
func ImageType(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil {
		return ""
	}
	t := mime.TypeByExtension(strings.ToLower(path.Ext(p.Path)))
	t, _, _ = strings.Cut(t, ";")
	if !strings.HasPrefix(t, "image/") {
		return ""
	}
	return t
}

// httpURL is raw resolved against base and canonical when it is an
// http(s) URL, else "".
func httpURL(raw string, base *url.URL) string {
	raw = strings.TrimSpace(Text(raw))
	if raw == "" {
		return ""
	}
	u, err := webLink(raw, base)
	if err != nil {
		return ""
	}
	return u
}

// setImages sets Image to the first of images and Images to all of them
// when there are several.
func setImages(it *storage.Item, images []string) {
	if len(images) == 0 {
		return
	}
	if len(images) > maxImages {
		images = images[:maxImages]
	}
	it.Image = images[0]
	if len(images) > 1 {
		it.Images = images
	}
}

// hasEpisode reports whether an item is a podcast episode: it has an
// audio or video enclosure.
func hasEpisode(encs []storage.Enclosure) bool {
	return episodeIndex(encs) >= 0
}

func episodeIndex(encs []storage.Enclosure) int {
	for i, e := range encs {
		t := strings.ToLower(e.Type)
		if strings.HasPrefix(t, "audio/") || strings.HasPrefix(t, "video/") {
			return i
		}
	}
	return -1
}

// addDuration gives the item's itunes:duration to its audio or video
// enclosure, else to its only enclosure.
func addDuration(encs []storage.Enclosure, it *gofeed.Item) {
	if it.ITunesExt == nil || len(encs) == 0 {
		return
	}
	d := Duration(it.ITunesExt.Duration)
	if d <= 0 {
		return
	}
	i := episodeIndex(encs)
	if i < 0 && len(encs) == 1 {
		i = 0
	}
	if i >= 0 {
		encs[i].Duration = d
	}
}

// Duration reads an itunes:duration in seconds: "SS", "MM:SS" or
// "HH:MM:SS" (fractions of a second dropped); 0 when it is none of them.
func Duration(s string) int64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ":")
	if len(parts) > 3 {
		return 0
	}
	var total int64
	for _, p := range parts {
		n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
		if err != nil || n < 0 || n > 1<<32 {
			return 0
		}
		total = total*60 + n
	}
	return total
}

// parsedDate is gofeed's parse of a date, else the lenient one (dates.go)
// of its raw text; zero when neither reads it.
func parsedDate(parsed *time.Time, raw string) time.Time {
	if parsed != nil {
		return correctZone(*parsed, raw)
	}
	t, _ := ParseDate(raw)
	return t
}
