package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/feedmill/feedmill/fetcher"
	"github.com/feedmill/feedmill/fetcher/httpclient"
	pagescrape "github.com/feedmill/feedmill/fetcher/scrape"
)

// validateRequest checks the request options of source p.
func (c *Config) validateRequest(p string, s SourceConfig, bad func(path, format string, args ...any)) {
	if s.Proxy != "" {
		if _, err := httpclient.ParseProxy(s.Proxy); err != nil {
			bad(p+".proxy", "%v", err)
		}
	}
	if s.Password != "" && s.Username == "" {
		bad(p+".password", "needs a username")
	}
	for _, k := range sortedKeys(s.Headers) {
		if !validHeaderName(k) {
			bad(p+".headers."+k, "not a valid HTTP header name")
		}
		if strings.ContainsAny(s.Headers[k], "\r\n") {
			bad(p+".headers."+k, "value must be one line")
		}
	}
	if strings.ContainsAny(s.Cookie, "\r\n") {
		bad(p+".cookie", "must be one line")
	}
	if strings.ContainsAny(s.UserAgent, "\r\n") {
		bad(p+".user_agent", "must be one line")
	}
	if s.Scrape != nil {
		if _, err := s.Scrape.compile(); err != nil {
			var se *pagescrape.SelectorError
			key := p + ".scrape"
			if errors.As(err, &se) && se.Selector != "" {
				key += "." + se.Key
				err = fmt.Errorf("bad CSS selector %q: %w", se.Selector, se.Err)
			} else if errors.As(err, &se) {
				err = fmt.Errorf("%s is missing: %w", se.Key, se.Err)
			}
			bad(key, "%v", err)
		}
	}
}

// compile compiles the selectors.
func (sc *ScrapeConfig) compile() (*pagescrape.Scraper, error) {
	return pagescrape.Compile(pagescrape.Selectors{
		Item: sc.Item, Title: sc.Title, Link: sc.Link, Date: sc.Date, Summary: sc.Summary, Content: sc.Content,
	})
}

// validHeaderName reports whether k is an HTTP token fit for a header
// name that is not one the client sets itself.
func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if r > 126 || r <= 32 || strings.ContainsRune("()<>@,;:\\\"/[]?={}", r) {
			return false
		}
	}
	switch http.CanonicalHeaderKey(k) {
	case "Host", "Content-Length", "Transfer-Encoding", "Connection":
		return false
	}
	return true
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// mustProxy parses a proxy URL validate has checked ("" = nil).
func mustProxy(raw string) *url.URL {
	if raw == "" {
		return nil
	}
	u, err := httpclient.ParseProxy(raw)
	if err != nil {
		return nil
	}
	return u
}

// sourceOptions are the request options of the config's sources, by URL.
func (c *Config) sourceOptions() map[string]fetcher.SourceOptions {
	m := map[string]fetcher.SourceOptions{}
	for _, s := range c.Sources {
		so := fetcher.SourceOptions{
			Username: s.Username, Password: s.Password, Cookie: s.Cookie,
			Headers: s.Headers, UserAgent: s.UserAgent, Proxy: mustProxy(s.Proxy),
		}
		if s.Scrape != nil {
			so.Scrape, _ = s.Scrape.compile() // validate compiled it once
		}
		if s.Username != "" || s.Password != "" || s.Cookie != "" || len(s.Headers) > 0 || s.UserAgent != "" || so.Proxy != nil || so.Scrape != nil {
			m[strings.TrimSpace(s.URL)] = so
		}
	}
	return m
}

// requestSummary says what a source's request options are, without a
// secret: for `feedmill check`.
func requestSummary(s SourceConfig) string {
	var parts []string
	if s.Username != "" {
		parts = append(parts, "basic auth")
	}
	if n := len(s.Headers); n > 0 {
		parts = append(parts, fmt.Sprintf("headers %s", strings.Join(sortedKeys(s.Headers), ",")))
	}
	if s.Cookie != "" {
		parts = append(parts, "cookie")
	}
	if s.UserAgent != "" {
		parts = append(parts, "own user agent")
	}
	if p := mustProxy(s.Proxy); p != nil {
		parts = append(parts, "proxy "+redactProxy(p))
	}
	if s.Scrape != nil {
		parts = append(parts, fmt.Sprintf("a page without a feed: items %q", s.Scrape.Item))
	}
	return strings.Join(parts, ", ")
}

// redactProxy is the proxy URL without its credentials.
func redactProxy(p *url.URL) string {
	q := *p
	q.User = nil
	return q.String()
}
