package normalize

import (
	"bytes"
	"net/url"
	"strings"

	"github.com/feedmill/feedmill/fetcher/urlclean"
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
//     Canonical to lower-case, no port, no user info, no IP literal;
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

// plainHostLen returns the length of the plain host v starts with.
func plainHostLen(v []byte) int {
	i := 0
	for i < len(v) && urlHostByte[v[i]] {
		i++
	}
	return i
}

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
//     '#'; net/url keeps it raw (RawQuery), so a link is the URL before
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
			if b <= ' ' || b >= 0x7f || b == '#' {
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

// urlSchemes are the schemes a URL in the output may have ("" is a
// relative URL, left only when there was no base to resolve it against).
var urlSchemes = map[string]bool{"": true, "http": true, "https": true, "mailto": true}

// cleanURL resolves v against base (nil: left relative), makes links
// canonical (tracking parameters out), and reports whether the result is
// allowed: parseable, stable through url.Parse and String, no white
// space, an allowed scheme. A fragment-only link ("#notes") stays as it
// is.
func cleanURL(v string, base *url.URL, link bool) (string, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", false
	}
	if link && isHTTPish(v, base) {
		// Canonical resolves too: one parse less than resolving first,
		// on the commonest URL of all (a link of a news story).
		c, err := urlclean.Canonical(v, base)
		if err != nil {
			return "", false
		}
		v = c
	} else if v[0] != '#' {
		u, err := url.Parse(v)
		if err != nil {
			return "", false
		}
		if !u.IsAbs() && base != nil {
			u = base.ResolveReference(u)
		}
		v = u.String()
	}
	if v == "" || strings.ContainsAny(v, " \t\n\r\f") {
		return "", false
	}
	u, err := url.Parse(v)
	if err != nil || !urlSchemes[u.Scheme] || u.String() != v {
		return "", false
	}
	return v, true
}

// isHTTPish reports whether the link v is, or resolves against base to,
// an http(s) URL (then Canonical applies): it starts with http: or
// https:, or has no scheme and base is http(s). Fragment-only links stay
// as they are.
func isHTTPish(v string, base *url.URL) bool {
	if v[0] == '#' {
		return false
	}
	if i := strings.IndexByte(v, ':'); i >= 0 && !strings.ContainsAny(v[:i], "/?#") {
		scheme := strings.ToLower(v[:i])
		return scheme == "http" || scheme == "https"
	}
	return base != nil && (base.Scheme == "http" || base.Scheme == "https")
}
