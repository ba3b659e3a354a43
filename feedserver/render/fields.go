package render

import (
	"html"
	"mime"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/feedmill/feedmill/feedserver/channel"
	"github.com/feedmill/feedmill/storage"
)

// What a channel carries (README): every format maps an item's fields by
// the same rules; the helpers below are the parts the formats share.
//
//   - author: the item's (the fetcher already fell back to the feed's);
//     none is made up (Atom's required author is the source's, inside
//     <source>, never the entry's);
//   - body: content, else summary, else none (never the title);
//   - summary: HTML in RSS and Atom, its text in JSON Feed;
//   - images: every image, as media:content in RSS, enclosure links in
//     Atom, image and attachments in JSON Feed;
//   - duration: the enclosure's, as itunes:duration in RSS and Atom and
//     duration_in_seconds in JSON Feed.

// rssText is a text field (title, author, category) as RSS carries it.
// Many readers take RSS text as HTML: text that would read as markup or
// as an entity there ("<b>", "&amp;") is HTML-escaped once more, so that
// they show its characters; other text goes as it is, for the readers
// that take it as text.
func rssText(s string) string {
	if strings.Contains(s, "<") || strings.Contains(s, "&") && html.UnescapeString(s) != s {
		return html.EscapeString(s)
	}
	return s
}

func rssTexts(ss []string) []string {
	var out []string
	for _, s := range ss {
		out = append(out, rssText(s))
	}
	return out
}

// authorName is the name the formats show for the item's author: its
// name, else its e-mail address.
func authorName(it *storage.Item) string {
	if it.Author != "" {
		return it.Author
	}
	return it.AuthorMail
}

// plainSummary is the item's summary as text (JSON Feed's summary).
func plainSummary(it *storage.Item) string {
	if it.Summary == "" {
		return ""
	}
	return strings.Join(strings.Fields(channel.PlainText(it.Summary)), " ")
}

// duration is the playing time of the item's first enclosure that has one,
// in seconds; 0 = none.
func duration(it *storage.Item) int64 {
	for _, e := range it.Enclosures {
		if e.Duration > 0 {
			return e.Duration
		}
	}
	return 0
}

// itunesDuration is a duration as itunes:duration writes it (H:MM:SS).
func itunesDuration(sec int64) string {
	if sec <= 0 {
		return ""
	}
	return strconv.FormatInt(sec/3600, 10) + ":" + twoDigits(sec/60%60) + ":" + twoDigits(sec%60)
}

func twoDigits(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

// imageType is the MIME type an image URL's extension names, "" when it
// names none.
func imageType(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	t, _, _ := strings.Cut(mime.TypeByExtension(strings.ToLower(path.Ext(p.Path))), ";")
	if !strings.HasPrefix(t, "image/") {
		return ""
	}
	return t
}

// extraImages are the item's images that are not already among its
// enclosures (an image enclosure is an image too).
func extraImages(it *storage.Item) []string {
	var out []string
images:
	for _, u := range it.AllImages() {
		for _, e := range it.Enclosures {
			if e.URL == u {
				continue images
			}
		}
		out = append(out, u)
	}
	return out
}
