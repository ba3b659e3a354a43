package fetcher

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/feedmill/feedmill/fetcher/httpclient"
	"github.com/feedmill/feedmill/fetcher/knowncut"
	"github.com/feedmill/feedmill/fetcher/normalize"
	"github.com/feedmill/feedmill/fetcher/parse"
	"github.com/feedmill/feedmill/fetcher/schedule"
	"github.com/feedmill/feedmill/storage"
)

// get fetches rawURL with the shared client and counts the body's bytes.
// st, when given, supplies the conditional headers.
func (f *Fetcher) get(ctx context.Context, rawURL string, st *storage.FetchState) (*httpclient.Response, error) {
	return f.getWith(ctx, rawURL, st, nil)
}

// getWith is get with a source's request options (nil = none).
func (f *Fetcher) getWith(ctx context.Context, rawURL string, st *storage.FetchState, ro *httpclient.RequestOptions) (*httpclient.Response, error) {
	var v *httpclient.Validators
	if st != nil {
		v = &httpclient.Validators{ETag: st.ETag, LastModified: st.LastModified}
	}
	resp, err := f.client.GetWith(ctx, rawURL, v, ro)
	if resp != nil {
		f.metrics.bytes.Add(uint64(len(resp.Body)))
	}
	return resp, err
}

// setValidators stores v in st.
func setValidators(st *storage.FetchState, v httpclient.Validators) {
	st.ETag, st.LastModified = v.ETag, v.LastModified
}

// fetchSource polls one source and returns what to record and the result
// to report (Added/Updated are filled in by record).
func (f *Fetcher) fetchSource(ctx context.Context, src storage.Source) (storage.Fetch, Result) {
	now := f.opts.Now()
	st := src.State
	st.LastFetch = now
	st.RetryUntil = time.Time{}
	st.NetworkDown = false
	fetch := storage.Fetch{SourceID: src.ID}
	res := Result{URL: src.URL}

	fail := func(status int, reason string) {
		st.LastStatus = status
		st.LastError = reason
		st.ErrorStreak++
		res.Status, res.Err = status, reason
	}
	succeed := func(status int) {
		st.LastStatus = status
		st.LastError = ""
		st.ErrorStreak = 0
		st.LastSuccess = now
		res.Status = status
	}

	started := time.Now()
	ro := f.requestOptions(src)
	resp, err := f.getWith(ctx, src.URL, &src.State, ro)
	defer resp.Free()
	switch {
	case err != nil:
		status := 0
		if resp != nil {
			status = resp.Status
		}
		fail(status, f.reason(err))
		f.forgiveIfNetworkDown(ctx, src.URL, started, err, resp, &st)
	case resp.Status == http.StatusNotModified:
		setValidators(&st, httpclient.Validators{ETag: st.ETag, LastModified: st.LastModified}.After304(resp.Header))
		succeed(resp.Status)
		res.NotModified = true
		if resp.Permanent {
			fetch.NewURL = resp.FinalURL.String()
		}
	case resp.Status >= 200 && resp.Status <= 299:
		f.takeFeed(ctx, src, ro, resp, now, &st, &fetch, fail, succeed)
	case resp.Status == http.StatusGone:
		st.Retired = true
		fail(resp.Status, "HTTP 410 Gone: source retired")
	case resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden:
		fail(resp.Status, fmt.Sprintf("HTTP %d: authentication failed", resp.Status))
	case resp.Status == http.StatusTooManyRequests || resp.Status == http.StatusServiceUnavailable:
		st.RetryUntil = schedule.RetryAfter(resp.Header, now)
		fail(resp.Status, fmt.Sprintf("HTTP %d", resp.Status))
	default:
		fail(resp.Status, fmt.Sprintf("HTTP %d", resp.Status))
	}
	if fetch.NewURL == src.URL {
		fetch.NewURL = ""
	}

	f.noteResponse(resp)
	st.CacheUntil = time.Time{}
	if err == nil && st.ErrorStreak == 0 {
		st.CacheUntil = schedule.CacheUntil(resp.Header, now)
	}
	sched := schedule.Next(f.scheduleInput(src, st, now))
	st.NextDue, st.Interval = sched.NextDue, sched.Interval
	res.NextDue = st.NextDue
	fetch.State = st
	return fetch, res
}

// takeFeed handles a 2xx response: charset, parse, and for an HTML page one
// hop to the feed it links to.
func (f *Fetcher) takeFeed(ctx context.Context, src storage.Source, ro *httpclient.RequestOptions, resp *httpclient.Response, now time.Time,
	st *storage.FetchState, fetch *storage.Fetch, fail func(int, string), succeed func(int)) {
	ct := resp.Header.Get("Content-Type")
	body := httpclient.ToUTF8(resp.Body, ct)
	doc, scanned := f.scanKnown(src, body)
	if scanned && f.takeCut(src, resp, body, doc, now, st, fetch) {
		succeed(resp.Status)
		return
	}
	feed, hints, err := f.parseBody(src, body, resp.FinalURL)
	if err != nil && f.scraper(src) != nil {
		fail(resp.Status, shorten(err.Error()))
		return
	}
	feedResp := resp
	if err != nil && (errors.Is(err, parse.ErrNotFeed) || parse.IsHTML(ct, body)) {
		if !parse.IsHTML(ct, body) {
			fail(resp.Status, "parse: not a feed")
			return
		}
		link := parse.DiscoverFeed(body, resp.FinalURL)
		if link == "" {
			fail(resp.Status, "parse: not a feed (HTML page without a feed link)")
			return
		}
		r2, err2 := f.getWith(ctx, link, nil, ro)
		defer r2.Free()
		if err2 != nil {
			fail(0, fmt.Sprintf("feed link %s: %s", link, f.reason(err2)))
			return
		}
		if r2.Status < 200 || r2.Status > 299 {
			fail(r2.Status, fmt.Sprintf("feed link %s: HTTP %d", link, r2.Status))
			return
		}
		feed, hints, err = parse.Feed(httpclient.ToUTF8(r2.Body, r2.Header.Get("Content-Type")), parse.Options{})
		if err != nil {
			fail(r2.Status, fmt.Sprintf("feed link %s: parse: %s", link, shorten(err.Error())))
			return
		}
		feedResp = r2
		fetch.NewURL = link
		if r2.Permanent {
			fetch.NewURL = r2.FinalURL.String()
		}
	} else if err != nil {
		fail(resp.Status, "parse: "+shorten(err.Error()))
		return
	} else if resp.Permanent {
		fetch.NewURL = resp.FinalURL.String()
	}

	known := func(items []storage.Item) []bool { return f.store.KnownRaw(src.ID, items) }
	meta, items := normalize.FeedSkipping(feed, feedResp.FinalURL, now, f.limits(), known)
	f.useFeed(src, feedResp == resp, feedResp, body, feed, hints, meta, items, now, st, fetch)
	if scanned && feedResp == resp {
		f.rememberKnown(src, doc, feed, feedResp.FinalURL, now, items, knowncut.Dates(feed))
	}
	succeed(feedResp.Status)
}

// useFeed records a parsed and normalized feed in st and fetch; sched is
// the feed whose items' dates the schedule reads. direct tells that the
// feed is the response to the source's own URL (not a discovered link).
func (f *Fetcher) useFeed(src storage.Source, direct bool, feedResp *httpclient.Response, body []byte, sched *gofeed.Feed, hints parse.Hints,
	meta normalize.Meta, items []storage.Item, now time.Time, st *storage.FetchState, fetch *storage.Fetch) {
	if direct {
		f.announceHub(src, feedResp, body)
	}
	setValidators(st, httpclient.ValidatorsOf(feedResp.Header))
	st.FeedTitle, st.SiteURL, st.Language = meta.Title, meta.SiteURL, meta.Language
	st.TTL, st.SkipHours, st.SkipDays = hints.TTL, hints.SkipHours, hints.SkipDays
	st.UpdatePeriod = schedule.SyndicationPeriod(sched)
	st.PublishGap, st.NewestItem = schedule.PublishGap(sched, now)
	fetch.Items = items
}

// limits are the caps normalize applies to one document.
func (f *Fetcher) limits() normalize.Limits {
	return normalize.Limits{MaxItems: f.opts.MaxItems, MaxItemBytes: f.opts.MaxItemBytes}
}

// scheduleInput gathers the input of schedule.Next for src after a fetch at
// now that produced state st.
func (f *Fetcher) scheduleInput(src storage.Source, st storage.FetchState, now time.Time) schedule.Input {
	in := schedule.Input{
		Now:          now,
		URL:          src.URL,
		Every:        src.Every,
		Cron:         src.Cron,
		Default:      f.opts.Every,
		MinInterval:  f.opts.MinInterval,
		MaxInterval:  f.opts.MaxInterval,
		TTL:          st.TTL,
		UpdatePeriod: st.UpdatePeriod,
		SkipHours:    st.SkipHours,
		SkipDays:     st.SkipDays,
		PublishGap:   st.PublishGap,
		NewestItem:   st.NewestItem,
		CacheUntil:   st.CacheUntil,
		ErrorStreak:  st.ErrorStreak,
		RetryUntil:   st.RetryUntil,
	}
	if f.pushed(src) {
		// Pushed by its hub: polled only as a safety net.
		in.Every, in.MinInterval = f.opts.MaxInterval, f.opts.MaxInterval
	}
	return in
}

// reason turns a fetch error into the short human reason stored as
// State.LastError.
func (f *Fetcher) reason(err error) string {
	var addrErr *httpclient.AddressError
	var tooLarge *httpclient.BodyTooLargeError
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var proxyErr *httpclient.ProxyError
	if errors.As(err, &proxyErr) {
		return "proxy " + proxyErr.Proxy + ": " + f.reason(proxyErr.Err)
	}
	switch {
	case errors.As(err, &addrErr):
		return addrErr.Error()
	case errors.As(err, &tooLarge):
		return tooLarge.Error()
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return fmt.Sprintf("timeout after %s", f.opts.Timeout)
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, httpclient.ErrRedirectLoop):
		return "redirect loop"
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return "dns: no such host " + dnsErr.Name
		}
		return "dns: " + dnsErr.Err
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr):
		return "tls: " + shorten(err.Error())
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return shorten(ue.Err.Error())
	}
	return shorten(err.Error())
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// shorten keeps error texts fit for a status column.
func shorten(s string) string {
	const max = 300
	if len(s) <= max {
		return s
	}
	return normalize.Text(s[:max]) + "…"
}
