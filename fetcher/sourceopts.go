package fetcher

import (
	"net/url"
	"sync/atomic"

	"github.com/feedmill/feedmill/fetcher/httpclient"
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

// requestOptions returns the request options of src (nil = none). Its
// credentials are for the origin of the URL the source was added with: a
// permanent redirect to another origin does not take them along.
func (f *Fetcher) requestOptions(src storage.Source) *httpclient.RequestOptions {
	p := f.srcOpts.m.Load()
	if p == nil {
		return nil
	}
	key := src.Subscribed
	if key == "" {
		key = src.URL
	}
	so, ok := (*p)[key]
	if !ok {
		if so, ok = (*p)[src.URL]; !ok {
			return nil
		}
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
