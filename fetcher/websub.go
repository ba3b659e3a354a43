package fetcher

import (
	"context"
	"net/http"
	"net/url"

	"github.com/feedmill/feedmill/fetcher/httpclient"
	"github.com/feedmill/feedmill/fetcher/parse"
	"github.com/feedmill/feedmill/fetcher/websub"
	"github.com/feedmill/feedmill/storage"
)

// startWebSub makes the subscriber when Options.WebSubCallback is set;
// rt is the guarded transport the hub requests go through.
func (f *Fetcher) startWebSub(rt http.RoundTripper) {
	if f.opts.WebSubCallback == "" {
		return
	}
	sub, err := websub.New(websub.Options{
		Store:        f.store,
		Client:       &http.Client{Transport: rt, Timeout: f.opts.Timeout},
		CallbackBase: f.opts.WebSubCallback,
		Lease:        f.opts.WebSubLease,
		Ingest:       f.ingestPush,
		Logger:       f.log,
		Now:          f.opts.Now,
	})
	if err != nil {
		f.log.Error("websub: subscriptions unavailable", "err", err)
		return
	}
	f.websub = sub
}

// WebSub returns the WebSub subscriber (nil when Options.WebSubCallback
// is unset): the daemon routes the callbacks to it and runs its Run.
func (f *Fetcher) WebSub() *websub.Subscriber { return f.websub }

// announceHub passes the hub and self URL a fetched feed names to the
// subscriber. body is the feed document (nil: look at the header only).
func (f *Fetcher) announceHub(src storage.Source, resp *httpclient.Response, body []byte) {
	if f.websub == nil || resp == nil {
		return
	}
	hub, self := parse.HubLinks(resp.Header, body, resp.FinalURL)
	f.websub.Announce(src.ID, hub, self)
}

// pushed reports whether src has a running WebSub subscription: it is
// then polled at MaxInterval only, as a safety net.
func (f *Fetcher) pushed(src storage.Source) bool {
	return f.websub != nil && f.websub.Active(src.ID)
}

// ingestPush takes a content distribution of a source as a fetch of it:
// the same parsing, cleaning and recording (dedup, channels). A push is
// not a poll: the source's validators, schedule and fetch status stay.
func (f *Fetcher) ingestPush(sourceID uint64, body []byte, contentType string) {
	ctx := context.Background()
	src, err := f.store.Source(sourceID)
	if err != nil {
		f.log.Warn("websub: push for a source that is gone", "source", sourceID, "err", err)
		return
	}
	u, err := url.Parse(src.URL)
	if err != nil {
		return
	}
	now := f.opts.Now()
	st := src.State
	fetch := storage.Fetch{SourceID: src.ID}
	resp := &httpclient.Response{Status: http.StatusOK, Header: http.Header{"Content-Type": {contentType}}, Body: body, FinalURL: u}
	failed := ""
	f.takeFeed(ctx, src, nil, resp, now, &st, &fetch, func(_ int, reason string) { failed = reason }, func(int) {})
	if failed != "" {
		f.log.Warn("websub: pushed content not taken", "url", src.URL, "err", failed)
		return
	}
	keep := src.State
	keep.FeedTitle, keep.SiteURL, keep.Language = st.FeedTitle, st.SiteURL, st.Language
	fetch.State, fetch.NewURL = keep, ""
	ing, err := f.record(ctx, src, fetch)
	if err != nil {
		f.log.Warn("websub: push not stored", "url", src.URL, "err", err)
		return
	}
	f.log.Info("websub: push", "url", src.URL, "added", ing.Added, "updated", ing.Updated)
}
