package fetcher

import (
	"net/url"
	"time"

	"github.com/feedmill/feedmill/fetcher/fulltext"
	"github.com/feedmill/feedmill/storage"
)

// Full-text modes (fetch.full_text and a source's full_text).
const (
	FullTextNever  = "never"
	FullTextAuto   = "auto"
	FullTextAlways = "always"
)

// FullTextRule is how one source's items get their article pages.
type FullTextRule struct {
	Mode     string            // FullTextNever (""), FullTextAuto or FullTextAlways
	Selector fulltext.Selector // content_selector; zero = automatic
}

// FullTextOptions configure full text.
type FullTextOptions struct {
	Default FullTextRule
	// BySource overrides Default for the sources with these URLs (the
	// configured URL: Source.Subscribed or Source.URL).
	BySource map[string]FullTextRule
	Workers  int           // page fetches at once (default: a quarter of Options.Workers, at least 1)
	Queue    int           // pages waiting at most (default 10000); more are not fetched
	Retries  int           // a failed page is tried again this often (default 3)
	Backoff  time.Duration // before the first retry, doubled each time (default 1m)
	Robots   int           // hosts whose robots.txt is kept (default 1000)
}

func (o FullTextOptions) withDefaults(workers int) FullTextOptions {
	if o.Workers <= 0 {
		o.Workers = max(workers/4, 1)
	}
	if o.Queue <= 0 {
		o.Queue = 10000
	}
	if o.Retries < 0 {
		o.Retries = 0
	} else if o.Retries == 0 {
		o.Retries = 3
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Minute
	}
	if o.Robots <= 0 {
		o.Robots = 1000
	}
	return o
}

// rule is src's full-text rule.
func (o FullTextOptions) rule(src storage.Source) FullTextRule {
	for _, u := range []string{src.Subscribed, src.URL} {
		if r, ok := o.BySource[u]; ok && u != "" {
			return r
		}
	}
	return o.Default
}

// queuePages queues the article pages of the items a fetch of src added
// or updated, as src's rule says. done is called once each queued page
// had its first try.
func (f *Fetcher) queuePages(src storage.Source, items []storage.Item, changed []storage.Changed) {
	rule := f.opts.FullText.rule(src)
	if rule.Mode != FullTextAuto && rule.Mode != FullTextAlways {
		return
	}
	for _, c := range changed {
		if c.Index < 0 || c.Index >= len(items) {
			continue
		}
		it := items[c.Index]
		if it.Link == "" {
			continue
		}
		body := it.Content
		if body == "" {
			body = it.Summary
		}
		if rule.Mode == FullTextAuto {
			if teaser, _ := fulltext.IsTeaser(body, it.Link); !teaser {
				continue
			}
		}
		u, err := url.Parse(it.Link)
		if err != nil {
			continue
		}
		f.pages.add(&pageJob{
			itemID: c.ID, hash: it.BodyHash(), page: u, title: it.Title, teaser: body,
			rule: rule, auto: rule.Mode == FullTextAuto,
		})
	}
}
