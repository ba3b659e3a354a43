package fetcher

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"time"

	"github.com/feedmill/feedmill/fetcher/schedule"
	"github.com/feedmill/feedmill/storage"
)

// response is what get keeps of one HTTP exchange.
type response struct {
	status    int
	header    http.Header
	body      []byte     // decoded; only for 2xx; valid until free
	bodies    *bodyCache // takes body's buffer back (free)
	finalURL  *url.URL   // after redirects
	permanent bool       // redirected, and only by 301/308
}

// get fetches rawURL with the shared client within Options.Timeout (the
// body included). st, when given, supplies the conditional headers.
func (f *Fetcher) get(ctx context.Context, rawURL string, st *storage.FetchState) (*response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("bad URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("unsupported URL scheme %q", u.Scheme)
	}
	ctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()
	req, trace, err := f.newRequest(ctx, rawURL, st)
	if err != nil {
		return nil, fmt.Errorf("bad URL: %w", err)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	r := &response{
		status:    resp.StatusCode,
		header:    resp.Header,
		finalURL:  resp.Request.URL,
		permanent: trace.hops > 0 && trace.permanent,
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Drain a little so the connection can be reused.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		return r, nil
	}
	r.bodies = &f.bodies
	r.body, err = readBody(resp, f.opts.MaxBody, f.bodies.get())
	f.metrics.bytes.Add(uint64(len(r.body)))
	if err != nil {
		return r, err
	}
	return r, nil
}

// free gives the body's buffer back for the next response: r.body must
// not be used after it (nothing parsed from it refers to its bytes: the
// parsers copy what they keep). A nil r is fine.
func (r *response) free() {
	if r == nil || r.bodies == nil {
		return
	}
	r.bodies.put(r.body)
	r.bodies, r.body = nil, nil
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
	resp, err := f.get(ctx, src.URL, &src.State)
	defer resp.free()
	switch {
	case err != nil:
		status := 0
		if resp != nil {
			status = resp.status
		}
		fail(status, f.reason(err))
		f.forgiveIfNetworkDown(ctx, src.URL, started, err, resp, &st)
	case resp.status == http.StatusNotModified:
		keepValidators(&st, resp.header)
		succeed(resp.status)
		res.NotModified = true
		if resp.permanent {
			fetch.NewURL = resp.finalURL.String()
		}
	case resp.status >= 200 && resp.status <= 299:
		f.takeFeed(ctx, src, resp, now, &st, &fetch, fail, succeed)
	case resp.status == http.StatusGone:
		st.Retired = true
		fail(resp.status, "HTTP 410 Gone: source retired")
	case resp.status == http.StatusTooManyRequests || resp.status == http.StatusServiceUnavailable:
		st.RetryUntil = schedule.RetryAfter(resp.header, now)
		fail(resp.status, fmt.Sprintf("HTTP %d", resp.status))
	default:
		fail(resp.status, fmt.Sprintf("HTTP %d", resp.status))
	}
	if fetch.NewURL == src.URL {
		fetch.NewURL = ""
	}

	f.noteResponse(resp)
	st.CacheUntil = time.Time{}
	if err == nil && st.ErrorStreak == 0 {
		st.CacheUntil = schedule.CacheUntil(resp.header, now)
	}
	sched := schedule.Next(f.scheduleInput(src, st, now))
	st.NextDue, st.Interval = sched.NextDue, sched.Interval
	res.NextDue = st.NextDue
	fetch.State = st
	return fetch, res
}

// takeFeed handles a 2xx response: charset, parse, and for an HTML page one
// hop to the feed it links to.
func (f *Fetcher) takeFeed(ctx context.Context, src storage.Source, resp *response, now time.Time,
	st *storage.FetchState, fetch *storage.Fetch, fail func(int, string), succeed func(int)) {
	ct := resp.header.Get("Content-Type")
	body := toUTF8(resp.body, ct)
	feed, hints, err := parseFeed(body)
	feedResp := resp
	if err != nil && (errors.Is(err, errNotFeed) || isHTML(ct, body)) {
		if !isHTML(ct, body) {
			fail(resp.status, "parse: not a feed")
			return
		}
		link := discoverFeed(body, resp.finalURL)
		if link == "" {
			fail(resp.status, "parse: not a feed (HTML page without a feed link)")
			return
		}
		r2, err2 := f.get(ctx, link, nil)
		defer r2.free()
		if err2 != nil {
			fail(0, fmt.Sprintf("feed link %s: %s", link, f.reason(err2)))
			return
		}
		if r2.status < 200 || r2.status > 299 {
			fail(r2.status, fmt.Sprintf("feed link %s: HTTP %d", link, r2.status))
			return
		}
		feed, hints, err = parseFeed(toUTF8(r2.body, r2.header.Get("Content-Type")))
		if err != nil {
			fail(r2.status, fmt.Sprintf("feed link %s: parse: %s", link, shorten(err.Error())))
			return
		}
		feedResp = r2
		fetch.NewURL = link
		if r2.permanent {
			fetch.NewURL = r2.finalURL.String()
		}
	} else if err != nil {
		fail(resp.status, "parse: "+shorten(err.Error()))
		return
	} else if resp.permanent {
		fetch.NewURL = resp.finalURL.String()
	}

	takeValidators(st, feedResp.header)
	capParsed(feed, f.opts.MaxItems, f.opts.MaxItemBytes)
	meta, items := normalizeFeed(feed, feedResp.finalURL, now)
	items = applyLimits(items, f.opts.MaxItems, f.opts.MaxItemBytes)
	st.FeedTitle, st.SiteURL, st.Language = meta.Title, meta.SiteURL, meta.Language
	st.TTL, st.SkipHours, st.SkipDays = hints.TTL, hints.SkipHours, hints.SkipDays
	st.UpdatePeriod = schedule.SyndicationPeriod(feed)
	st.PublishGap, st.NewestItem = schedule.PublishGap(feed, now)
	fetch.Items = items
	succeed(feedResp.status)
}

// scheduleInput gathers the input of schedule.Next for src after a fetch at
// now that produced state st.
func (f *Fetcher) scheduleInput(src storage.Source, st storage.FetchState, now time.Time) schedule.Input {
	return schedule.Input{
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
}

// reason turns a fetch error into the short human reason stored as
// State.LastError.
func (f *Fetcher) reason(err error) string {
	var addrErr *AddressError
	var tooLarge *BodyTooLargeError
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case errors.As(err, &addrErr):
		return addrErr.Error()
	case errors.As(err, &tooLarge):
		return tooLarge.Error()
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return fmt.Sprintf("timeout after %s", f.opts.Timeout)
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, errRedirectLoop):
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
	return cleanText(s[:max]) + "…"
}
