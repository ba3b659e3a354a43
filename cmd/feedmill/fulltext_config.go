package main

import (
	"fmt"
	"strconv"

	"github.com/feedmill/feedmill/fetcher"
	"github.com/feedmill/feedmill/fetcher/fulltext"
	"github.com/feedmill/feedmill/storage"
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

// fullTextLine says for explain what became of an item's article page.
func fullTextLine(ft *storage.FullText) string {
	switch {
	case ft == nil:
		return "not fetched (full_text: never for its source)"
	case ft.Fetched:
		how := "automatic extraction (" + ft.Extractor + ")"
		if ft.Extractor == fulltext.BySelector {
			how = "content_selector " + strconv.Quote(ft.Selector)
		}
		return fmt.Sprintf("fetched from %s by %s, %d words", ft.URL, how, ft.Words)
	case ft.URL != "":
		return fmt.Sprintf("not fetched: %s (%s)", ft.Reason, ft.URL)
	}
	return "not fetched: " + ft.Reason
}
