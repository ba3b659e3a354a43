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

// pagePlan is what a fetch of a source asks of full text: its rule and
// the items (by index) whose pages are wanted.
type pagePlan struct {
	rule  FullTextRule
	pages map[int]bool
}

// planPages decides, under src's rule, which of a fetch's items want their
// article page, and marks each item's FullText with why not or "pending"
// (explain shows it; a page fetched later replaces it).
func (f *Fetcher) planPages(src storage.Source, items []storage.Item) pagePlan {
	p := pagePlan{rule: f.opts.FullText.rule(src)}
	if p.rule.Mode != FullTextAuto && p.rule.Mode != FullTextAlways {
		return p
	}
	p.pages = make(map[int]bool)
	for i := range items {
		it := &items[i]
		why := ""
		switch {
		case it.Link == "":
			why = "the item has no link"
		case p.rule.Mode == FullTextAuto:
			if teaser, words := fulltext.IsTeaser(itemBody(it), it.Link); !teaser {
				why = "not a teaser (" + words + ")"
			}
		}
		if why == "" {
			why = "page fetch pending"
			p.pages[i] = true
		}
		it.FullText = &storage.FullText{Reason: why}
	}
	return p
}

// itemBody is the item's body as the feed gave it: content, else summary.
func itemBody(it *storage.Item) string {
	if it.Content != "" {
		return it.Content
	}
	return it.Summary
}

// queuePages queues the article pages of the items a fetch added or
// updated (changed) that plan wants.
func (f *Fetcher) queuePages(plan pagePlan, items []storage.Item, changed []storage.Changed) {
	for _, c := range changed {
		if !plan.pages[c.Index] || c.Index >= len(items) {
			continue
		}
		it := items[c.Index]
		u, err := url.Parse(it.Link)
		if err != nil {
			continue
		}
		j := &pageJob{itemID: c.ID, hash: it.BodyHash(), page: u, title: it.Title, teaser: itemBody(&it), rule: plan.rule}
		if !f.pages.add(j) {
			f.recordPageFailure(j, "page queue full")
		}
	}
}
