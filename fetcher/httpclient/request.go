package httpclient

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// RequestOptions are what one source asks of its requests beyond
// feedmill's defaults. The credentials among them (basic auth, the
// cookie, the extra headers) go only to Origin: a redirect to any other
// scheme, host or port, and a link on another origin, get none of them.
type RequestOptions struct {
	// Origin is the only scheme://host:port the credentials are sent to;
	// "" = the origin of the URL asked for.
	Origin   string
	Username string // HTTP basic auth, with Password
	Password string
	Cookie   string      // the Cookie header
	Header   http.Header // extra headers
	// UserAgent replaces Options.UserAgent; it is no secret and follows
	// redirects.
	UserAgent string
	// Proxy replaces TransportOptions.Proxy for these requests: an
	// http, https or socks5 URL.
	Proxy *url.URL
}

// credentialed reports whether o carries anything that must stay on its
// origin.
func (o *RequestOptions) credentialed() bool {
	return o != nil && (o.Username != "" || o.Password != "" || o.Cookie != "" || len(o.Header) > 0)
}

// setCredentials adds o's credentials to h.
func (o *RequestOptions) setCredentials(req *http.Request) {
	for k, vs := range o.Header {
		req.Header.Del(k)
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if o.Username != "" || o.Password != "" {
		req.SetBasicAuth(o.Username, o.Password)
	}
	if o.Cookie != "" {
		req.Header.Set("Cookie", o.Cookie)
	}
}

// dropCredentials removes from req what setCredentials adds (and what
// net/http itself would carry over from the first request).
func (o *RequestOptions) dropCredentials(req *http.Request) {
	for k := range o.Header {
		req.Header.Del(k)
	}
	req.Header.Del("Authorization")
	req.Header.Del("Cookie")
}

// Origin returns the scheme://host:port of u, lower case, with the
// scheme's default port made explicit, so that equal origins compare
// equal; "" for a URL without scheme or host.
func Origin(u *url.URL) string {
	if u == nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return scheme + "://" + host + ":" + port
}

// originOf is Origin of a URL string ("" when it does not parse).
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return Origin(u)
}

type optionsKey struct{}

// withOptions returns ctx carrying o for the transport (its proxy) and
// the redirect check (its credentials).
func withOptions(ctx context.Context, o *RequestOptions) context.Context {
	if o == nil {
		return ctx
	}
	return context.WithValue(ctx, optionsKey{}, o)
}

// optionsOf returns the RequestOptions ctx carries, or nil.
func optionsOf(ctx context.Context) *RequestOptions {
	o, _ := ctx.Value(optionsKey{}).(*RequestOptions)
	return o
}

// credentialsForHop gives req, a hop of a redirect chain, the
// credentials of its options when it goes to their origin and takes them
// away when it does not.
func credentialsForHop(req *http.Request) {
	o := optionsOf(req.Context())
	if !o.credentialed() {
		return
	}
	if Origin(req.URL) == o.Origin {
		o.setCredentials(req)
		return
	}
	o.dropCredentials(req)
}
