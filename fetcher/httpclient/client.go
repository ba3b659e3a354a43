package httpclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// acceptHeader asks for feeds first, then generic XML/JSON, then anything
// (an HTML page can still name its feed).
const acceptHeader = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"

// MaxRedirects is how many redirects one request follows.
const MaxRedirects = 10

// ErrRedirectLoop is returned (wrapped) when a redirect leads back to a
// URL of the same chain.
var ErrRedirectLoop = errors.New("redirect loop")

// Options configure a Client.
type Options struct {
	Transport http.RoundTripper // see NewTransport
	Timeout   time.Duration     // whole request, body included
	MaxBody   int64             // bytes after decompression
	UserAgent string
}

// Client gets feeds: one shared keep-alive http.Client, feedmill's
// headers, conditional GET, redirects followed and traced, bodies
// decoded within a size limit into reused buffers. Safe for concurrent
// use.
type Client struct {
	hc     *http.Client
	opts   Options
	bodies bodyCache
}

// New returns a Client.
func New(o Options) *Client {
	return &Client{
		opts: o,
		hc: &http.Client{
			Transport:     o.Transport,
			CheckRedirect: checkRedirect,
			// The per-request context deadline (Options.Timeout)
			// covers the body too; this is only a backstop.
			Timeout: 2 * o.Timeout,
		},
	}
}

// Response is what Get keeps of one HTTP exchange.
type Response struct {
	Status    int
	Header    http.Header
	Body      []byte   // decoded; only for 2xx; valid until Free
	FinalURL  *url.URL // after redirects
	Permanent bool     // redirected, and only by 301/308

	bodies *bodyCache // takes Body's buffer back
}

// Free gives the body's buffer back for the next response: r.Body must
// not be used after it (what is parsed from it must be copies). A nil r
// is fine.
func (r *Response) Free() {
	if r == nil || r.bodies == nil {
		return
	}
	r.bodies.put(r.Body)
	r.bodies, r.Body = nil, nil
}

// Get fetches rawURL within Options.Timeout (the body included), with
// the conditional headers of v when given. A non-2xx answer is a Response
// without a body and no error; an error with a non-nil Response is a 2xx
// whose body could not be read (too large, bad compression).
func (c *Client) Get(ctx context.Context, rawURL string, v *Validators) (*Response, error) {
	return c.GetWith(ctx, rawURL, v, nil)
}

// GetWith is Get with a source's request options (nil = none).
func (c *Client) GetWith(ctx context.Context, rawURL string, v *Validators, ro *RequestOptions) (*Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("bad URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("unsupported URL scheme %q", u.Scheme)
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req, trace, err := c.newRequest(ctx, rawURL, v, ro)
	if err != nil {
		return nil, fmt.Errorf("bad URL: %w", err)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	r := &Response{
		Status:    resp.StatusCode,
		Header:    resp.Header,
		FinalURL:  resp.Request.URL,
		Permanent: trace.hops > 0 && trace.permanent,
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Drain a little so the connection can be reused.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		return r, nil
	}
	r.bodies = &c.bodies
	r.Body, err = readBody(resp, c.opts.MaxBody, c.bodies.get())
	return r, err
}

// redirectTrace records the redirects one request followed.
type redirectTrace struct {
	hops      int
	permanent bool // every hop was a 301 or 308
}

type traceKey struct{}

// checkRedirect follows at most MaxRedirects redirects, refuses loops, and
// notes in the request's trace whether the chain was permanent.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= MaxRedirects {
		return fmt.Errorf("stopped after %d redirects", MaxRedirects)
	}
	next := req.URL.String()
	for _, v := range via {
		if v.URL.String() == next {
			return ErrRedirectLoop
		}
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return fmt.Errorf("redirect to unsupported scheme %q", req.URL.Scheme)
	}
	credentialsForHop(req)
	if tr, ok := req.Context().Value(traceKey{}).(*redirectTrace); ok {
		if tr.hops == 0 {
			tr.permanent = true
		}
		tr.hops++
		if req.Response == nil || (req.Response.StatusCode != http.StatusMovedPermanently && req.Response.StatusCode != http.StatusPermanentRedirect) {
			tr.permanent = false
		}
	}
	return nil
}

// newRequest builds a GET for rawURL with feedmill's headers, the
// source's options ro (credentials only when rawURL is on their origin)
// and, when v is given, the conditional headers from its validators.
func (c *Client) newRequest(ctx context.Context, rawURL string, v *Validators, ro *RequestOptions) (*http.Request, *redirectTrace, error) {
	tr := &redirectTrace{}
	ctx = context.WithValue(ctx, traceKey{}, tr)
	ua := c.opts.UserAgent
	if ro != nil {
		o := *ro
		if o.Origin == "" {
			o.Origin = originOf(rawURL)
		}
		if o.UserAgent != "" {
			ua = o.UserAgent
		}
		ctx = withOptions(ctx, &o)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("User-Agent", ua)
	req.Header.Set("Accept", acceptHeader)
	req.Header.Set("Accept-Encoding", acceptEncoding)
	if v != nil {
		v.setConditional(req)
	}
	credentialsForHop(req)
	return req, tr, nil
}
