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
	// lifted, when not nil, holds the item bodies (CDATA sections or
	// escaped text) parseFeed took out of the body (parse_cdata.go);
	// Translate puts them back first and sets restored, or fails with
	// errLiftMismatch.
	lifted   *liftedCDATA
	restored bool
}

// errLiftMismatch: the lifted item bodies could not all be put back;
// parseFeed parses the original body instead.
var errLiftMismatch = errors.New("lifted item bodies not where they were")

// Translate implements gofeed.Translator.
func (t *hintsTranslator) Translate(feed interface{}) (*gofeed.Feed, error) {
	if t.lifted != nil {
		rf, ok := feed.(*rss.Feed)
		if !ok || rf == nil || !restoreCDATA(rf, *t.lifted) {
			return nil, errLiftMismatch
		}
		t.restored = true
	}
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
func newFeedParser(t *hintsTranslator) *gofeed.Parser {
	p := gofeed.NewParser()
	t.DefaultRSSTranslator = gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	p.RSSTranslator = t
	return p
}

// parseFeed parses a UTF-8 body (see toUTF8) with gofeed. It never panics:
// a panic inside the parser becomes an error.
//
// An RSS body whose item bodies are CDATA sections or escaped text is
// parsed without them first (liftCDATA, parse_cdata.go: the same result for a fraction of
// gofeed's work); if that parse fails in any way, the body is parsed as it
// came, so every error is gofeed's own on the original bytes.
func parseFeed(body []byte) (*gofeed.Feed, feedHints, error) {
	if feed, hints, ok := parseLifted(body, liftMinBytes); ok {
		return feed, hints, nil
	}
	return parseWhole(body)
}

// parseWhole is gofeed on the body as it came (the lifting's oracle in
// the tests).
func parseWhole(body []byte) (feed *gofeed.Feed, hints feedHints, err error) {
	defer func() {
		if r := recover(); r != nil {
			feed, err = nil, fmt.Errorf("parser crashed: %v", r)
		}
	}()
	feed, err = newFeedParser(&hintsTranslator{hints: &hints}).Parse(bytes.NewReader(body))
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

// parseLifted is parseFeed's first try: gofeed on the body with its large
// item bodies (of minBytes or more) lifted out. ok is false when
// nothing was lifted or the parse did not succeed whole, panics included.
func parseLifted(body []byte, minBytes int) (feed *gofeed.Feed, hints feedHints, ok bool) {
	small, lifted, ok := liftCDATA(body, minBytes)
	if !ok {
		return nil, hints, false
	}
	defer func() {
		if r := recover(); r != nil {
			feed, ok = nil, false
		}
	}()
	t := &hintsTranslator{hints: &hints, lifted: &lifted}
	feed, err := newFeedParser(t).Parse(bytes.NewReader(small))
	if err != nil || feed == nil || !t.restored {
		return nil, feedHints{}, false
	}
	return feed, hints, true
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
