package fetcher

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/feedmill/feedmill/fetcher/fingerprint"
	"github.com/feedmill/feedmill/fetcher/fulltext"
	"github.com/feedmill/feedmill/fetcher/httpclient"
	"github.com/feedmill/feedmill/fetcher/normalize"
	"github.com/feedmill/feedmill/fetcher/robots"
	"github.com/feedmill/feedmill/storage"
)

// robotsAgent is the product token robots.txt rules are matched for.
const robotsAgent = "feedmill"

// pageFailure is why a page gave no story; retry when trying again later
// may help.
type pageFailure struct {
	reason string
	retry  bool
}

// fetchPage fetches j's page, extracts and cleans its story and records
// it with the item, or records why not. It returns how long to wait
// before trying again (0: done).
func (f *Fetcher) fetchPage(j *pageJob) time.Duration {
	ctx := context.Background()
	j.attempts++
	res := storage.FullTextResult{ItemID: j.itemID, Hash: j.hash, FullText: storage.FullText{
		URL: j.page.String(), Attempts: j.attempts, At: f.opts.Now(), Selector: j.rule.Selector.String()}}
	var wait time.Duration
	final, story, fail := f.pageStory(ctx, j)
	if fail == nil {
		clean := normalize.CleanStory(j.title, story.HTML, final)
		res.Content, res.Fingerprint, res.Lead, res.Cleaned = clean.Content, clean.Fingerprint, clean.Lead, clean.Cleaned
		if fp, lead, ok := fingerprintFromTeaser(j.title, clean.Content, j.teaser); ok {
			res.Fingerprint, res.Lead = fp, lead
		}
		res.Image, res.Author = story.Image, normalize.Text(story.Byline)
		res.FullText.URL, res.FullText.Fetched = final.String(), true
		res.FullText.Extractor = story.Extractor
		res.FullText.Words = len(fulltext.Words(fulltext.HTMLText(clean.Content)))
		if story.Extractor != fulltext.BySelector {
			res.FullText.Selector = ""
		}
	} else {
		res.FullText.Reason = fail.reason
		if fail.retry && j.attempts <= f.opts.FullText.Retries {
			wait = f.opts.FullText.Backoff << (j.attempts - 1)
			res.FullText.Reason += fmt.Sprintf(" (try %d of %d; again in %s)", j.attempts, f.opts.FullText.Retries+1, wait)
		}
	}
	if _, err := f.store.RecordFullText(ctx, res); errors.Is(err, storage.ErrClosed) {
		f.pages.close()
		return 0
	} else if err != nil && !errors.Is(err, storage.ErrNotFound) {
		f.log.Warn("full text not stored", "url", j.page.String(), "err", err)
	}
	f.log.Debug("full text", "url", j.page.String(), "fetched", res.FullText.Fetched, "reason", res.FullText.Reason)
	return wait
}

// Where the teaser's opening is found in a story.
const (
	// teaserOpening: the teaser's first words looked for in the story.
	teaserOpening = 8
	// maxFurnitureWords: at most this many words of the story before the
	// teaser's opening are furniture; further in, the teaser is not the
	// story's opening (a standfirst quoting a later paragraph).
	maxFurnitureWords = 64
)

// fingerprintFromTeaser fingerprints a story from where the teaser's
// opening begins in it, when that is within its first maxFurnitureWords
// words but not at the start: the feed's teaser marks where the story
// begins, and what the extraction kept before it (a headline, byline,
// dateline, photo credits) is not the story's text, which the other
// outlets' copies of it begin with. The item shows the story as
// extracted; only its fingerprint leaves that out.
func fingerprintFromTeaser(title, content, teaser string) (uint64, []uint32, bool) {
	tw := fulltext.Words(fulltext.HTMLText(teaser))
	if len(tw) < 5 {
		return 0, nil, false
	}
	tw = tw[:min(len(tw), teaserOpening)]
	sw := fulltext.Words(fulltext.HTMLText(content))
	for p := 0; p <= maxFurnitureWords && p+len(tw) <= len(sw); p++ {
		if !slices.EqualFunc(sw[p:p+len(tw)], tw, strings.EqualFold) {
			continue
		}
		if p > 0 {
			// Words are letters and digits only: as text they are valid
			// sanitized HTML, split into the same words.
			fp, lead := fingerprint.Of(title, strings.Join(sw[p:], " "))
			return fp, lead, true
		}
		return 0, nil, false // the story starts with it
	}
	return 0, nil, false
}

// recordPageFailure records that j's page was not fetched, and why.
func (f *Fetcher) recordPageFailure(j *pageJob, reason string) {
	res := storage.FullTextResult{ItemID: j.itemID, Hash: j.hash, FullText: storage.FullText{
		URL: j.page.String(), Reason: reason, At: f.opts.Now()}}
	if _, err := f.store.RecordFullText(context.Background(), res); err != nil && !errors.Is(err, storage.ErrNotFound) {
		f.log.Warn("full text not stored", "url", j.page.String(), "err", err)
	}
}

// pageStory gets j's page (robots.txt first) through the shared client
// within the host's slot, and extracts its story. It returns the page's
// final URL.
func (f *Fetcher) pageStory(ctx context.Context, j *pageJob) (*url.URL, fulltext.Story, *pageFailure) {
	host := hostKey(j.page.String())
	f.hosts.acquire(ctx, host)
	defer f.hosts.release(host)
	ok, err := f.robotsCache().Allowed(ctx, j.page)
	switch {
	case errors.Is(err, robots.ErrWait):
		return nil, fulltext.Story{}, &pageFailure{reason: err.Error(), retry: true}
	case !ok:
		return nil, fulltext.Story{}, &pageFailure{reason: "robots.txt disallows it"}
	}
	resp, err := f.get(ctx, j.page.String(), nil)
	defer resp.Free()
	if err != nil {
		var addrErr *httpclient.AddressError
		var tooLarge *httpclient.BodyTooLargeError
		retry := !errors.As(err, &addrErr) && !errors.As(err, &tooLarge)
		return nil, fulltext.Story{}, &pageFailure{reason: f.reason(err), retry: retry}
	}
	if resp.Status < 200 || resp.Status > 299 {
		return nil, fulltext.Story{}, &pageFailure{reason: fmt.Sprintf("HTTP %d", resp.Status), retry: true}
	}
	ct := resp.Header.Get("Content-Type")
	if ct == "" {
		ct = http.DetectContentType(resp.Body)
	}
	if mt, _, _ := mime.ParseMediaType(ct); mt != "text/html" && mt != "application/xhtml+xml" {
		return nil, fulltext.Story{}, &pageFailure{reason: "not HTML (" + mt + ")"}
	}
	page := httpclient.HTMLToUTF8(resp.Body, ct)
	story, err := fulltext.Extract(page, resp.FinalURL, fulltext.Options{Teaser: j.teaser, Selector: j.rule.Selector})
	if err != nil {
		return nil, fulltext.Story{}, &pageFailure{reason: shorten(err.Error())}
	}
	if story.Suspect && story.Extractor != fulltext.BySelector {
		return nil, fulltext.Story{}, &pageFailure{reason: "extraction does not contain the teaser's words"}
	}
	return resp.FinalURL, story, nil
}

// robotsCache is the fetcher's robots.txt cache, made on first use.
func (f *Fetcher) robotsCache() *robots.Cache {
	f.robotsOnce.Do(func() {
		f.robots = robots.New(func(ctx context.Context, u string) (int, []byte, error) {
			resp, err := f.get(ctx, u, nil)
			defer resp.Free()
			if err != nil {
				return 0, nil, err
			}
			return resp.Status, append([]byte(nil), resp.Body...), nil
		}, robotsAgent, f.opts.FullText.Robots, f.opts.Now)
	})
	return f.robots
}
