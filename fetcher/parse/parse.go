package parse

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

	"github.com/feedmill/feedmill/fetcher/parse/lift"
)

// ErrNotFeed is returned by Feed for a body gofeed does not recognise.
var ErrNotFeed = errors.New("not a feed")

// Hints are what an RSS channel says about its own schedule (ttl,
// skipHours, skipDays); gofeed's universal Feed drops them, so a wrapping
// translator keeps them.
type Hints struct {
	TTL       time.Duration
	SkipHours []int
	SkipDays  []string
}

// hintsTranslator is gofeed's RSS translator that also records the
// channel's ttl, skipHours and skipDays, and leaves the search for an
// item's first <img> to the item cleaning (see image.go): gofeed's own
// search runs a full html.Parse of every content and description (about
// 30 % of gofeed's CPU time on BenchmarkIngest's feeds), and the cleaning
// pass tokenizes those bodies anyway. The translator must be built with
// DisableContentImageScan set (newFeedParser does).
type hintsTranslator struct {
	gofeed.DefaultRSSTranslator
	hints *Hints
	// lifted, when not nil, holds the CDATA sections Feed took out of the
	// body (package lift); Translate puts them back first and sets
	// restored, or fails with errLiftMismatch.
	lifted   *lift.Lifted
	restored bool
}

// errLiftMismatch: the lifted item bodies could not all be put back;
// Feed parses the original body instead.
var errLiftMismatch = errors.New("lifted item bodies not where they were")

// Translate implements gofeed.Translator.
func (t *hintsTranslator) Translate(feed interface{}) (*gofeed.Feed, error) {
	if t.lifted != nil {
		rf, ok := feed.(*rss.Feed)
		if !ok || rf == nil || !t.lifted.Restore(rf) {
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

// newFeedParser returns the gofeed parser Feed uses: the default one,
// with the RSS translator above.
func newFeedParser(t *hintsTranslator) *gofeed.Parser {
	p := gofeed.NewParser()
	t.DefaultRSSTranslator = gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	p.RSSTranslator = t
	return p
}

// Options are Feed's switches.
type Options struct {
	// NoLift parses every body whole, as it came, instead of trying the
	// lifted parse first (package lift).
	NoLift bool
}

// Feed parses a UTF-8 body with gofeed. It never panics: a panic inside
// the parser becomes an error.
//
// Unless opts.NoLift, an RSS body whose item bodies are large CDATA
// sections is parsed without them first (package lift: the same result
// for a fraction of gofeed's work); if that parse fails in any way, the
// body is parsed as it came, so every error is gofeed's own on the
// original bytes.
func Feed(body []byte, opts Options) (*gofeed.Feed, Hints, error) {
	if !opts.NoLift {
		if feed, hints, ok := parseLifted(body, lift.MinBytes); ok {
			markTextFields(feed, body)
			return feed, hints, nil
		}
	}
	feed, hints, err := parseWhole(body)
	if err == nil {
		markTextFields(feed, body)
	}
	return feed, hints, err
}

// parseWhole is gofeed on the body as it came.
func parseWhole(body []byte) (feed *gofeed.Feed, hints Hints, err error) {
	defer func() {
		if r := recover(); r != nil {
			feed, err = nil, fmt.Errorf("parser crashed: %v", r)
		}
	}()
	feed, err = newFeedParser(&hintsTranslator{hints: &hints}).Parse(bytes.NewReader(body))
	if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
		return nil, hints, ErrNotFeed
	}
	if err != nil {
		return nil, hints, err
	}
	if feed == nil {
		return nil, hints, ErrNotFeed
	}
	return feed, hints, nil
}

// parseLifted is Feed's first try: gofeed on the body with its CDATA
// item bodies of minBytes or more lifted out. ok is false when nothing
// was lifted or the parse did not succeed whole, panics included.
func parseLifted(body []byte, minBytes int) (feed *gofeed.Feed, hints Hints, ok bool) {
	small, lifted, ok := lift.Lift(body, minBytes)
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
		return nil, Hints{}, false
	}
	return feed, hints, true
}

// IsHTML reports whether a response is an HTML page rather than a feed:
// by its Content-Type, or, for a vague one, by how the body starts.
func IsHTML(contentType string, body []byte) bool {
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
