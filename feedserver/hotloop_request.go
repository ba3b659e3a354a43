package feedserver

import (
	"bytes"
	"strings"
)

// What the hot loop reads of a request (hotloop.go), and the strict form
// it answers. Everything else is hotOther: the loop hands the connection
// to fasthttp before answering anything.

// hotParse is parseHot's verdict on the bytes read so far.
type hotParse int

const (
	hotMore   hotParse = iota // could be a request the loop answers: read on
	hotAnswer                 // one whole request of the loop's form
	hotOther                  // fasthttp's
)

// maxHotETags is the most If-None-Match fields the loop takes.
const maxHotETags = 4

// hotRequest is a request the loop answers. Its slices point into the
// read buffer and are valid until the next read.
type hotRequest struct {
	head           bool
	target         []byte
	host           bool
	hasAE, hasIMS  bool
	acceptEncoding []byte
	ifNoneMatch    [maxHotETags][]byte
	nINM           int
	ifModSince     []byte // the first
}

// notModified is notModifiedFast for a hotRequest.
func (r *hotRequest) notModified(rend *rendition) bool {
	return rend.notModifiedBy(r.ifNoneMatch[:r.nINM], r.ifModSince, r.hasIMS)
}

var crlfcrlf = []byte("\r\n\r\n")

// parseHot reads the request at the start of b into r. With hotAnswer it
// returns the request's length.
func parseHot(b []byte, r *hotRequest) (int, hotParse) {
	*r = hotRequest{}
	var rest []byte
	switch {
	case len(b) < 5:
		if isPrefix(b, "GET ") || isPrefix(b, "HEAD ") {
			return 0, hotMore
		}
		return 0, hotOther
	case string(b[:4]) == "GET ":
		rest = b[4:]
	case string(b[:5]) == "HEAD ":
		r.head, rest = true, b[5:]
	default:
		return 0, hotOther
	}
	end := bytes.Index(b, crlfcrlf)
	if end < 0 {
		return 0, hotMore
	}
	// The request line's rest and the header lines, each ending in CRLF.
	lines := b[len(b)-len(rest) : end+2]
	line, lines := cutCRLF(lines)
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 || line[0] != '/' || string(line[sp+1:]) != "HTTP/1.1" {
		return 0, hotOther
	}
	r.target = line[:sp]
	for _, c := range r.target {
		if c <= ' ' || c >= 0x7f {
			return 0, hotOther
		}
	}
	for len(lines) > 0 {
		line, lines = cutCRLF(lines)
		if !r.header(line) {
			return 0, hotOther
		}
	}
	if !r.host {
		return 0, hotOther
	}
	return end + 4, hotAnswer
}

// isPrefix reports whether b is a start of p.
func isPrefix(b []byte, p string) bool {
	return len(b) <= len(p) && string(b) == p[:len(b)]
}

// cutCRLF returns b's first line (without its CRLF) and the rest.
func cutCRLF(b []byte) (line, rest []byte) {
	i := bytes.Index(b, crlfcrlf[:2])
	return b[:i], b[i+2:]
}

// header takes one header line; false: not the loop's form.
func (r *hotRequest) header(line []byte) bool {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return false
	}
	name := line[:colon]
	for _, c := range name {
		if !isTokenChar(c) {
			return false
		}
	}
	value := line[colon+1:]
	for _, c := range value {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	value = bytes.Trim(value, " \t")
	switch {
	case headerIs(name, "Host"):
		if r.host || !plainHost(value) {
			return false
		}
		r.host = true
	case headerIs(name, "Accept-Encoding"):
		if r.hasAE {
			return false
		}
		r.hasAE, r.acceptEncoding = true, value
	case headerIs(name, "If-None-Match"):
		if r.nINM == maxHotETags {
			return false
		}
		r.ifNoneMatch[r.nINM] = value
		r.nINM++
	case headerIs(name, "If-Modified-Since"):
		if !r.hasIMS {
			r.hasIMS, r.ifModSince = true, value
		}
	case headerIs(name, "Connection"):
		return headerIs(value, "keep-alive")
	case headerIs(name, "Content-Length"), headerIs(name, "Transfer-Encoding"),
		headerIs(name, "Trailer"), headerIs(name, "Expect"), headerIs(name, "Upgrade"):
		return false
	}
	return true
}

// plainHost reports whether a Host value is of the plainest form: a name
// or IPv4 address ([A-Za-z0-9] then [A-Za-z0-9._-]) and an optional port
// of 1-5 digits. Anything else (IPv6 literals included) fasthttp checks.
func plainHost(v []byte) bool {
	host := v
	if i := bytes.IndexByte(v, ':'); i >= 0 {
		port := v[i+1:]
		if len(port) == 0 || len(port) > 5 {
			return false
		}
		for _, c := range port {
			if c < '0' || c > '9' {
				return false
			}
		}
		host = v[:i]
	}
	for i, c := range host {
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && (i == 0 || (c != '.' && c != '-' && c != '_')) {
			return false
		}
	}
	return len(host) > 0
}

// headerIs compares ASCII case-insensitively.
func headerIs(b []byte, name string) bool {
	if len(b) != len(name) {
		return false
	}
	for i := range len(b) {
		if lowerASCII(b[i]) != lowerASCII(name[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// isTokenChar reports whether c may be in a header name (RFC 9110 tchar).
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return c != 0 && strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
