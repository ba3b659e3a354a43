package fetcher

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"strconv"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/rss"
)

// errNotFeed is returned by parseFeed for a body gofeed does not recognise.
var errNotFeed = errors.New("not a feed")

// feedHints are what an RSS channel says about its own schedule; gofeed's
// universal Feed drops them, so a wrapping translator keeps them.
type feedHints struct {
	TTL       time.Duration
	SkipHours []int
	SkipDays  []string
}

// hintsTranslator is gofeed's RSS translator that also records the
// channel's ttl, skipHours and skipDays, and leaves the search for an
// item's first <img> to the cleaning pass (see image.go): gofeed's own
// search runs a full html.Parse of every content and description (about
// 30 % of gofeed's CPU time on BenchmarkIngest's feeds), and the cleaning
// pass tokenizes those bodies anyway. The translator must be built with
// DisableContentImageScan set (newFeedParser does).
type hintsTranslator struct {
	gofeed.DefaultRSSTranslator
	hints *feedHints
}

// Translate implements gofeed.Translator.
func (t *hintsTranslator) Translate(feed interface{}) (*gofeed.Feed, error) {
	if rf, ok := feed.(*rss.Feed); ok && rf != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(rf.TTL)); err == nil && n > 0 && n < 1<<20 {
			t.hints.TTL = time.Duration(n) * time.Minute
		}
		for _, h := range rf.SkipHours {
			if n, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && n >= 0 && n <= 24 {
				t.hints.SkipHours = append(t.hints.SkipHours, n%24)
			}
		}
		for _, d := range rf.SkipDays {
			if d = strings.TrimSpace(d); d != "" {
				t.hints.SkipDays = append(t.hints.SkipDays, d)
			}
		}
	}
	out, err := t.DefaultRSSTranslator.Translate(feed)
	if rf, ok := feed.(*rss.Feed); ok && rf != nil && out != nil && t.DisableContentImageScan {
		markImageScans(rf, out)
	}
	return out, err
}

// newFeedParser returns the gofeed parser parseFeed uses: the default one,
// with the RSS translator above.
func newFeedParser(hints *feedHints) *gofeed.Parser {
	p := gofeed.NewParser()
	p.RSSTranslator = &hintsTranslator{
		DefaultRSSTranslator: gofeed.DefaultRSSTranslator{DisableContentImageScan: true},
		hints:                hints,
	}
	return p
}

// parseFeed parses a UTF-8 body (see toUTF8) with gofeed. It never panics:
// a panic inside the parser becomes an error.
func parseFeed(body []byte) (feed *gofeed.Feed, hints feedHints, err error) {
	defer func() {
		if r := recover(); r != nil {
			feed, err = nil, fmt.Errorf("parser crashed: %v", r)
		}
	}()
	feed, err = newFeedParser(&hints).Parse(bytes.NewReader(body))
	if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
		return nil, hints, errNotFeed
	}
	if err != nil {
		return nil, hints, err
	}
	if feed == nil {
		return nil, hints, errNotFeed
	}
	return feed, hints, nil
}

// isHTML reports whether a response is an HTML page rather than a feed:
// by its Content-Type, or, for a vague one, by how the body starts.
func isHTML(contentType string, body []byte) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "text/html", "application/xhtml+xml":
		return true
	}
	head := bytes.TrimLeft(body, " \t\r\n\ufeff")
	if len(head) > 512 {
		head = head[:512]
	}
	lower := bytes.ToLower(head)
	for _, p := range []string{"<!doctype html", "<html", "<head", "<body"} {
		if bytes.HasPrefix(lower, []byte(p)) {
			return true
		}
	}
	return false
}
