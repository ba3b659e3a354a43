package main

import (
	"fmt"

	"github.com/feedmill/feedmill/fetcher"
	"github.com/feedmill/feedmill/fetcher/fulltext"
)

// validateFullText checks fetch.full_text and each source's full_text
// and content_selector.
func (c *Config) validateFullText(bad func(path, format string, args ...any)) {
	if !fullTextMode(c.Fetch.FullText) {
		bad("fetch.full_text", "want never, auto or always, got %q", c.Fetch.FullText)
	}
	for i, s := range c.Sources {
		p := fmt.Sprintf("sources[%d]", i)
		if !fullTextMode(s.FullText) {
			bad(p+".full_text", "want never, auto or always, got %q", s.FullText)
		}
		if s.ContentSelector != "" {
			if _, err := fulltext.CompileSelector(s.ContentSelector); err != nil {
				bad(p+".content_selector", "%v", err)
			}
		}
	}
}

func fullTextMode(m string) bool {
	switch m {
	case "", fetcher.FullTextNever, fetcher.FullTextAuto, fetcher.FullTextAlways:
		return true
	}
	return false
}

// fullTextOptions are the fetcher's full-text rules: fetch.full_text for
// every source, a source's full_text and content_selector for its own
// (a selector alone keeps the mode of fetch.full_text).
func (c *Config) fullTextOptions() fetcher.FullTextOptions {
	o := fetcher.FullTextOptions{Default: fetcher.FullTextRule{Mode: c.Fetch.FullText}}
	for _, s := range c.Sources {
		if s.FullText == "" && s.ContentSelector == "" {
			continue
		}
		r := o.Default
		if s.FullText != "" {
			r.Mode = s.FullText
		}
		if s.ContentSelector != "" {
			sel, err := fulltext.CompileSelector(s.ContentSelector)
			if err == nil {
				r.Selector = sel
			}
		}
		if o.BySource == nil {
			o.BySource = map[string]fetcher.FullTextRule{}
		}
		o.BySource[s.URL] = r
	}
	return o
}
