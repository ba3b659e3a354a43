package normalize

import (
	"bytes"
	"net/url"
	"strings"

	"github.com/feedmill/feedmill/fetcher/urlclean"
	"github.com/feedmill/feedmill/internal/urlpolicy"
)

// The cleaning pass's shortcut (fastURL) for the commonest URLs of all,
// the links and images of news stories: "https://www.example.com/2025/
// jan/01/a-story". cleanURL parses such a URL three times
// and writes it twice (Canonical, then the round-trip check) only to
// return it as it was; fastURL tells from its bytes, without allocating.
//
// A plain URL, which cleanURL returns unchanged with ok, for links
// (Canonical) and other URLs alike, whatever the base:
//   - "http://" or "https://", lower-case: an allowed scheme, absolute
//     (no base is used), written back as it is;
//   - a host of lower-case letters, digits, '.' and '-': nothing for
//     Canonical to lower-case, no port, no user info, no IP literal; and
//     nothing the URL policy looks at closer (plainHostLen);
//   - then nothing, or a path: '/' followed by unreserved bytes, sub-delims,
//     ':', '@', '/' and well-formed %XX escapes, which net/url writes back
//     byte for byte (EscapedPath keeps a valid RawPath that decodes to the
//     Path, and when there is no RawPath the path's escaping is its own);
//   - no query and no fragment (nothing for Canonical to remove), no white
//     space or other byte (nothing for TrimSpace, no control characters).
//
// Anything else goes the long way (but see fastURL for two more kinds).
// TestFastURL and FuzzFastURL check every answer against cleanURL itself.

// cutHTTPScheme returns v after "http://" or "https://".
func cutHTTPScheme(v []byte) ([]byte, bool) {
	switch {
	case len(v) > 8 && string(v[:8]) == "https://":
		return v[8:], true
	case len(v) > 7 && string(v[:7]) == "http://":
		return v[7:], true
	}
	return nil, false
}

// plainHostPath reports whether v is a host and a path as a plain URL
// has them.
func plainHostPath(v []byte) bool {
	i := plainHostLen(v)
	return i > 0 && (i == len(v) || plainPath(v[i:]))
}

// plainHostLen returns the length of the plain host v starts with: 0
// when it is one the URL policy looks at more closely (a numeric last
// label, which must be an IPv4 address; punycode; empty labels).
func plainHostLen(v []byte) int {
	i := 0
	for i < len(v) && urlHostByte[v[i]] {
		i++
	}
	h := v[:i]
	last := h[bytes.LastIndexByte(h, '.')+1:]
	if len(h) == 0 || h[0] == '.' || h[len(h)-1] == '.' || len(last) == 0 || '0' <= last[0] && last[0] <= '9' ||
		bytes.Contains(h, []byte("..")) || bytes.Contains(h, []byte("xn--")) {
		return 0
	}
	return i
}

// policyEscapes are the bytes of a query that the URL policy
// percent-encodes (urlpolicy.Clean).
var policyEscapes = [256]bool{'"': true, '<': true, '>': true, '\\': true, '^': true, '`': true, '{': true, '|': true, '}': true}

// plainPath reports whether v is a path as a plain URL has it: '/' and
// path bytes.
func plainPath(v []byte) bool {
	if len(v) == 0 || v[0] != '/' {
		return false
	}
	for i := 1; i < len(v); i++ {
		c := v[i]
		if urlPathByte[c] {
			continue
		}
		if c != '%' || i+2 >= len(v) || !isHexByte(v[i+1]) || !isHexByte(v[i+2]) {
			return false
		}
		i += 2
	}
	return true
}

// The shortcut goes a little further for two more kinds of URL that
// stories link to (fastURL):
//   - a plain URL with a query ("https://example.com/a?id=1&utm_source=rss"):
//     the query is everything after the first '?', printable ASCII without
//     '#' or a byte the URL policy escapes; net/url keeps it raw (RawQuery), so a link is the URL before
//     the '?' and the query as Canonical cleans it (cleanQuery, "?" only
//     when something is left of it), any other URL is v itself;
//   - a path from the root ("/world/2025/a-story", a query allowed),
//     resolved against a plain base ("https://" and a plain host, nothing
//     else that ResolveReference would copy or Canonical change): without
//     "." or ".." segments (no "/." at all) ResolveReference keeps the path
//     as it is, so the URL is the base's scheme and host before it, its
//     query cleaned as above for a link. A path that starts with "//" is
//     a host, and goes the long way.

// fastURL returns what cleanURL(string(v), c.base, link) returns, when it
// can tell without parsing: known is false when it cannot. The URL
// returned may be v or c.urlBuf, valid until the next call.
func (c *cleaner) fastURL(v []byte, link bool) (u []byte, ok, known bool) {
	path, query, hasQuery := v, []byte(nil), false
	if q := bytes.IndexByte(v, '?'); q >= 0 {
		path, query, hasQuery = v[:q], v[q+1:], true
		for _, b := range query {
			if b <= ' ' || b >= 0x7f || b == '#' || policyEscapes[b] {
				return nil, false, false
			}
		}
	}
	var prefix []byte
	if rest, abs := cutHTTPScheme(path); abs {
		if !plainHostPath(rest) {
			return nil, false, false
		}
		if !hasQuery || !link {
			return v, true, true
		}
	} else {
		if len(path) > 1 && path[1] == '/' || !plainPath(path) || bytes.Contains(path, []byte("/.")) {
			return nil, false, false
		}
		prefix = c.basePrefix()
		if prefix == nil {
			return nil, false, false
		}
		if !link {
			c.urlBuf = append(append(c.urlBuf[:0], prefix...), v...)
			return c.urlBuf, true, true
		}
	}
	c.urlBuf = append(append(c.urlBuf[:0], prefix...), path...)
	if hasQuery {
		if cq := urlclean.CleanQuery(string(query)); cq != "" {
			c.urlBuf = append(append(c.urlBuf, '?'), cq...)
		}
	}
	return c.urlBuf, true, true
}

// basePrefix returns "scheme://host" of the pass's base when it is plain
// (see fastURL), else nil; worked out once per pass.
func (c *cleaner) basePrefix() []byte {
	if !c.baseChecked {
		c.baseChecked = true
		b := c.base
		if b != nil && (b.Scheme == "http" || b.Scheme == "https") && b.Opaque == "" && b.User == nil &&
			b.Host != "" && plainHostLen([]byte(b.Host)) == len(b.Host) {
			c.basePre = append(append(append(c.basePre[:0], b.Scheme...), "://"...), b.Host...)
		} else {
			c.basePre = c.basePre[:0]
		}
	}
	if len(c.basePre) == 0 {
		return nil
	}
	return c.basePre
}

func isHexByte(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// urlHostByte and urlPathByte are the bytes a plain URL has in its host
// and in a path ('%' apart).
var urlHostByte, urlPathByte = func() (host, path [256]bool) {
	for c := '0'; c <= '9'; c++ {
		host[c], path[c] = true, true
	}
	for c := 'a'; c <= 'z'; c++ {
		host[c], path[c] = true, true
		path[c-'a'+'A'] = true
	}
	host['.'], host['-'] = true, true
	for _, c := range "-._~/!$&'()*+,;=:@" {
		path[c] = true
	}
	return host, path
}()

// cleanURL resolves v against base and applies the URL policy (package
// urlpolicy: browser-like parsing, http, https and mailto only, valid
// hosts), makes links canonical (tracking parameters out), and reports
// whether the result is allowed. A fragment-only link ("#notes") points
// into the item's page and keeps its fragment. Without an http(s) base a
// relative URL is left relative (checked to be parseable, stable and
// without white space), for the tests that clean
// fragments of HTML on their own.
func cleanURL(v string, base *url.URL, link bool) (string, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", false
	}
	if !hasHTTPBase(base) && !hasScheme(v) {
		return relativeURL(v)
	}
	u, err := urlpolicy.Clean(v, base, urlpolicy.Person)
	if err != nil {
		return "", false
	}
	if link && v[0] != '#' && urlclean.IsHTTP(u) {
		if u, err = urlclean.Canonical(u, nil); err != nil {
			return "", false
		}
	}
	return u, true
}

// hasHTTPBase reports whether base is an absolute http(s) URL.
func hasHTTPBase(base *url.URL) bool {
	return base != nil && (base.Scheme == "http" || base.Scheme == "https") && base.Host != ""
}

// hasScheme reports whether v starts with something like a scheme.
func hasScheme(v string) bool {
	i := strings.IndexByte(v, ':')
	return i > 0 && !strings.ContainsAny(v[:i], "/?#")
}

// relativeURL checks a relative URL left as it is: parseable and stable
// through url.Parse and String, no white space.
func relativeURL(v string) (string, bool) {
	if strings.ContainsAny(v, " \t\n\r\f") {
		return "", false
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "" || u.String() != v {
		return "", false
	}
	return v, true
}
