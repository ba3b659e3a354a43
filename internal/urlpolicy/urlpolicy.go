package urlpolicy

import (
	"html"
	"net/mail"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
)

// Use says where a URL is published, which decides the schemes it may
// have.
type Use int

const (
	// Web is a page, an image, a media file or a feed: http or https.
	Web Use = iota
	// Person is where a person's address belongs (author URIs, links in
	// item bodies): http, https or mailto.
	Person
)

// Schemes are the schemes a URL of the use may have, lower-case.
func Schemes(use Use) []string {
	if use == Person {
		return []string{"http", "https", "mailto"}
	}
	return []string{"http", "https"}
}

// Error is a URL the policy refuses, with the reason.
type Error struct {
	URL    string
	Reason string
}

func (e *Error) Error() string { return "URL " + strconv.Quote(e.URL) + " refused: " + e.Reason }

// MaxLen is the longest URL the policy allows, in bytes.
const MaxLen = 8 << 10

// Clean returns raw as feedmill publishes it, or an *Error: raw is read
// as a browser reads an attribute's value (after the parser decoded its
// entities), resolved against base when relative (base nil: a relative
// URL is refused), and must be an http(s) URL with a valid host and port
// and without credentials, or, for Person, a mailto: URL of e-mail
// addresses. The result is absolute and stable: Clean of it returns it.
func Clean(raw string, base *url.URL, use Use) (string, error) {
	s := prepare(raw)
	refuse := func(reason string) (string, error) { return "", &Error{URL: raw, Reason: reason} }
	switch {
	case s == "":
		return refuse("empty")
	case len(s) > MaxLen:
		return refuse("longer than " + strconv.Itoa(MaxLen) + " bytes")
	}
	if d := disguisedScheme(s); d != "" {
		return refuse("scheme " + strconv.Quote(d) + " hidden by escapes")
	}
	scheme, rest, ok := cutScheme(s)
	if !ok {
		if base == nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
			return refuse("relative URL without an http(s) base")
		}
		return resolve(raw, base, s)
	}
	switch scheme {
	case "http", "https":
		rest = slashes(rest)
		if base != nil && base.Scheme == scheme && base.Host != "" && !strings.HasPrefix(rest, "/") {
			// "https:x" against an https base is relative to it.
			return resolve(raw, base, rest)
		}
		return web(raw, scheme+"://"+strings.TrimLeft(rest, "/"))
	case "mailto":
		if use == Person {
			return mailto(raw, rest)
		}
		return refuse("mailto: where no person's address belongs")
	}
	return refuse("scheme " + strconv.Quote(scheme) + " not allowed")
}

// Allowed reports whether s passes the policy as it is: Clean(s, nil,
// use) returns s itself.
func Allowed(s string, use Use) bool {
	if plain(s) {
		return true
	}
	out, err := Clean(s, nil, use)
	return err == nil && out == s
}

// plain reports, from its bytes alone, whether s is an http(s) URL that
// Clean returns as it is: "http://" or "https://", a host of lower-case
// letters, digits, '-' and '.' that needs no closer look (hostName: no
// numeric last label, no punycode, no empty label), no port, then a path,
// query and fragment of bytes that need no escaping. Most URLs are plain;
// Allowed answers them without parsing.
func plain(s string) bool {
	rest, ok := strings.CutPrefix(s, "https://")
	if !ok {
		if rest, ok = strings.CutPrefix(s, "http://"); !ok {
			return false
		}
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		return false // no path: rare, the long way
	}
	host := rest[:end]
	if host == "" || host[0] == '.' || host[len(host)-1] == '.' || strings.Contains(host, "..") || strings.Contains(host, "xn--") {
		return false
	}
	for i := 0; i < len(host); i++ {
		if c := host[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	if last := host[strings.LastIndexByte(host, '.')+1:]; '0' <= last[0] && last[0] <= '9' {
		return false
	}
	tail, seenQuery, seenFragment := rest[end:], false, false
	for i := 0; i < len(tail); i++ {
		c := tail[i]
		switch {
		case plainByte[c]:
		case c == '%' && i+2 < len(tail) && isHex(tail[i+1]) && isHex(tail[i+2]):
			i += 2
		case c == '?' && !seenQuery && !seenFragment:
			seenQuery = true
		case c == '#' && !seenFragment:
			seenFragment = true
		default:
			return false
		}
	}
	return true
}

// plainByte are the bytes a plain URL's path, query and fragment hold as
// they are: unreserved, sub-delims, ':', '@' and '/'.
var plainByte = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "-._~!$&'()*+,;=:@/" {
		t[c] = true
	}
	return t
}()

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// prepare strips leading and trailing C0 controls and spaces and removes
// tabs and newlines, as browsers do before parsing.
func prepare(s string) string {
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	if strings.ContainsAny(s, "\t\n\r") {
		s = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(s)
	}
	return s
}

// cutScheme splits s at the end of a scheme as browsers read one: a
// letter, then letters, digits, '+', '-' or '.', then ':'. The scheme is
// lower-cased; ok is false when s has none (a relative URL).
func cutScheme(s string) (scheme, rest string, ok bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return strings.ToLower(s[:i]), s[i+1:], true
		default:
			return "", s, false
		}
	}
	return "", s, false
}

// disguisedScheme returns the scheme that the start of s spells once its
// percent escapes and character references are decoded (twice over) and
// controls and spaces dropped, when that differs from what s itself says
// and is not an allowed one: "%6Aavascript:", "&#106;avascript:",
// "java%09script:", "java script:". A browser reads these as relative
// paths, but a reader that decodes once more would run them.
func disguisedScheme(s string) string {
	head := s[:min(len(s), 256)]
	if !strings.ContainsAny(head, "%&") && !strings.ContainsFunc(head, func(r rune) bool { return r <= ' ' }) {
		return ""
	}
	d := head
	for range 2 {
		if u, err := url.PathUnescape(d); err == nil {
			d = u
		}
		d = html.UnescapeString(d)
	}
	d = strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return -1
		}
		return r
	}, d)
	scheme, _, ok := cutScheme(d)
	if !ok || scheme == "http" || scheme == "https" || scheme == "mailto" {
		return ""
	}
	if own, _, ownOK := cutScheme(head); ownOK && own == scheme {
		return "" // not disguised: refused as what it is
	}
	return scheme
}

// slashes turns backslashes into slashes before the query and fragment,
// as browsers do in http(s) URLs.
func slashes(s string) string {
	end := len(s)
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		end = i
	}
	if !strings.Contains(s[:end], `\`) {
		return s
	}
	return strings.ReplaceAll(s[:end], `\`, "/") + s[end:]
}

// resolve resolves the relative ref against the http(s) base and checks
// the result.
func resolve(raw string, base *url.URL, ref string) (string, error) {
	ref = slashes(ref)
	if strings.HasPrefix(ref, "//") {
		return web(raw, base.Scheme+"://"+strings.TrimLeft(ref, "/"))
	}
	first := ref
	if i := strings.IndexAny(ref, "/?#"); i >= 0 {
		first = ref[:i]
	}
	if strings.Contains(first, ":") {
		ref = "./" + ref // a colon in the first segment is not a scheme here
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", &Error{URL: raw, Reason: "unparseable: " + errReason(err)}
	}
	return web(raw, base.ResolveReference(r).String())
}

// web checks and normalizes the absolute http(s) URL s.
func web(raw, s string) (string, error) {
	refuse := func(reason string) (string, error) { return "", &Error{URL: raw, Reason: reason} }
	s, ok := decodeHost(s)
	if !ok {
		return refuse("bad escapes in the host")
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return refuse("unparseable: " + errReason(err))
	case u.Scheme != "http" && u.Scheme != "https", u.Opaque != "":
		return refuse("not an http(s) URL")
	case u.User != nil:
		return refuse("credentials in the URL")
	}
	host, reason := hostName(u.Hostname(), strings.HasPrefix(u.Host, "["))
	if reason != "" {
		return refuse(reason)
	}
	port := u.Port()
	if port != "" {
		n, perr := strconv.Atoi(port)
		switch {
		case perr != nil || n > 65535:
			return refuse("bad port " + strconv.Quote(port))
		case u.Scheme == "http" && n == 80, u.Scheme == "https" && n == 443:
			port = ""
		default:
			port = strconv.Itoa(n)
		}
	}
	u.Host = host
	u.RawQuery = escapeQuery(u.RawQuery)
	if port != "" {
		u.Host += ":" + port
	}
	out := u.String()
	if len(out) > MaxLen {
		return refuse("longer than " + strconv.Itoa(MaxLen) + " bytes")
	}
	return out, nil
}

// escapeQuery percent-encodes the bytes of a raw query that a URL may
// not hold as they are (spaces, controls, non-ASCII, quotes, angle
// brackets...), as browsers encode most of them; Go's parser keeps a
// query as it was given.
func escapeQuery(q string) string {
	const hex = "0123456789ABCDEF"
	var b []byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		if c > ' ' && c < 0x7f && !strings.ContainsRune("\"<>\\^`{|}", rune(c)) {
			if b != nil {
				b = append(b, c)
			}
			continue
		}
		if b == nil {
			b = append(make([]byte, 0, len(q)+8), q[:i]...)
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	if b == nil {
		return q
	}
	return string(b)
}

// decodeHost decodes the percent escapes of the host of the absolute
// URL s, as browsers do ("ok%2Eexample"); ok is false when the decoded
// host holds a character that would change how s reads.
func decodeHost(s string) (string, bool) {
	_, after, _ := strings.Cut(s, "://")
	start := len(s) - len(after)
	end := len(s)
	if i := strings.IndexAny(after, "/?#"); i >= 0 {
		end = start + i
	}
	auth := s[start:end]
	if !strings.Contains(auth, "%") || strings.ContainsAny(auth, "@[") {
		return s, true
	}
	host, port := auth, ""
	if i := strings.LastIndexByte(auth, ':'); i >= 0 {
		host, port = auth[:i], auth[i:]
	}
	d, err := url.PathUnescape(host)
	if err != nil || strings.ContainsAny(d, "/?#@:[]\\%") || strings.ContainsFunc(d, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return "", false
	}
	return s[:start] + d + port + s[end:], true
}

// hostName checks a host as url.Parse decoded it and returns it as
// published: lower-case ASCII (IDNA for other names), IPv6 in brackets.
// The error is "" when the host is fine.
func hostName(h string, bracketed bool) (string, string) {
	if bracketed {
		a, err := netip.ParseAddr(h)
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", "bad IPv6 host " + strconv.Quote(h)
		}
		return "[" + a.String() + "]", ""
	}
	if h == "" {
		return "", "no host"
	}
	h = strings.ToLower(h)
	if !isASCII(h) || strings.Contains(h, "xn--") {
		a, err := idna.Lookup.ToASCII(h)
		if err != nil {
			return "", "bad host " + strconv.Quote(h)
		}
		h = a
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_') {
			return "", "bad host " + strconv.Quote(h)
		}
	}
	labels := strings.Split(strings.TrimSuffix(h, "."), ".")
	if last := labels[len(labels)-1]; last == "" || '0' <= last[0] && last[0] <= '9' {
		// A name whose last label is numeric is an IPv4 address to a
		// browser, or nothing.
		if a, err := netip.ParseAddr(h); err != nil || !a.Is4() {
			return "", "bad host " + strconv.Quote(h)
		}
	}
	return h, ""
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// mailto checks the rest of a mailto: URL: one or more e-mail addresses,
// then an optional query (subject=..., body=...).
func mailto(raw, rest string) (string, error) {
	refuse := func(reason string) (string, error) { return "", &Error{URL: raw, Reason: reason} }
	to, query, _ := strings.Cut(rest, "?")
	if i := strings.IndexByte(query, '#'); i >= 0 {
		query = query[:i]
	}
	query = escapeQuery(query)
	dec, err := url.PathUnescape(to)
	if err != nil || dec == "" {
		return refuse("mailto: without an address")
	}
	for _, a := range strings.Split(dec, ",") {
		if !IsEmail(a) {
			return refuse("mailto: " + strconv.Quote(a) + " is not an e-mail address")
		}
	}
	u := &url.URL{Scheme: "mailto", Opaque: (&url.URL{Path: dec}).EscapedPath(), RawQuery: query}
	out := u.String()
	if v, err := url.Parse(out); err != nil || v.RawQuery != query {
		return refuse("unparseable mailto: query")
	}
	return out, nil
}

// IsEmail reports whether s is one plain e-mail address ("a@b.example"),
// without a display name, angle brackets or comments.
func IsEmail(s string) bool {
	if s == "" || strings.ContainsAny(s, " <>()\",;:\\[]") || strings.Count(s, "@") != 1 {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	local, domain, _ := strings.Cut(s, "@")
	if local == "" || domain == "" || strings.HasPrefix(domain, ".") {
		return false
	}
	_, herr := hostName(domain, false)
	return herr == ""
}

// errReason is the message of a url.Parse error without the URL, which
// Error carries already.
func errReason(err error) string {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err.Error()
	}
	return err.Error()
}
