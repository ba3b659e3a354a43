package fetcher

import (
	"net/url"
	"sync/atomic"

	"github.com/mmcdole/gofeed"

	"github.com/feedmill/feedmill/fetcher/httpclient"
	"github.com/feedmill/feedmill/fetcher/parse"
	"github.com/feedmill/feedmill/fetcher/scrape"
	"github.com/feedmill/feedmill/storage"
)

// SourceOptions are what the config says about one source beyond what
// the store keeps: how to ask for it. They stay in memory (the store, the
// admin API and the CLI never see them), since they carry secrets.
type SourceOptions struct {
	Username  string
	Password  string
	Cookie    string
	Headers   map[string]string
	UserAgent string   // "" = Options.UserAgent
	Proxy     *url.URL // nil = Options.Proxy
	// Scrape, when set, makes the source a page without a feed: its
	// items are built from the page with these selectors.
	Scrape *scrape.Scraper
}

// sourceOptions holds the SourceOptions by the URL the config names.
type sourceOptions struct {
	m atomic.Pointer[map[string]SourceOptions]
}

// SetSourceOptions replaces the options of every source, keyed by the URL
// the source was added with (the one the config lists). A source without
// an entry is asked for with the defaults.
func (f *Fetcher) SetSourceOptions(m map[string]SourceOptions) {
	f.srcOpts.m.Store(&m)
}

// optionsOf returns the SourceOptions of src and whether it has any.
func (f *Fetcher) optionsOf(src storage.Source) (SourceOptions, bool) {
	p := f.srcOpts.m.Load()
	if p == nil {
		return SourceOptions{}, false
	}
	if so, ok := (*p)[src.Subscribed]; ok && src.Subscribed != "" {
		return so, true
	}
	so, ok := (*p)[src.URL]
	return so, ok
}

// scraper returns the scraper of a page source, nil for a feed.
func (f *Fetcher) scraper(src storage.Source) *scrape.Scraper {
	so, _ := f.optionsOf(src)
	return so.Scrape
}

// parseBody makes a feed of a source's UTF-8 body: by its selectors for
// a page without a feed, else by parsing it.
func (f *Fetcher) parseBody(src storage.Source, body []byte, pageURL *url.URL) (*gofeed.Feed, parse.Hints, error) {
	if sc := f.scraper(src); sc != nil {
		feed, err := sc.Feed(body, pageURL)
		return feed, parse.Hints{}, err
	}
	return parse.Feed(body, parse.Options{})
}

// requestOptions returns the request options of src (nil = none). Its
// credentials are for the origin of the URL the source was added with: a
// permanent redirect to another origin does not take them along.
func (f *Fetcher) requestOptions(src storage.Source) *httpclient.RequestOptions {
	so, ok := f.optionsOf(src)
	if !ok || (so.Username == "" && so.Password == "" && so.Cookie == "" && len(so.Headers) == 0 && so.UserAgent == "" && so.Proxy == nil) {
		return nil
	}
	key := src.Subscribed
	if key == "" {
		key = src.URL
	}
	ro := &httpclient.RequestOptions{
		Username: so.Username, Password: so.Password, Cookie: so.Cookie,
		UserAgent: so.UserAgent, Proxy: so.Proxy,
	}
	if u, err := url.Parse(key); err == nil {
		ro.Origin = httpclient.Origin(u)
	}
	if len(so.Headers) > 0 {
		ro.Header = make(map[string][]string, len(so.Headers))
		for k, v := range so.Headers {
			ro.Header.Set(k, v)
		}
	}
	return ro
}
