package feedserver

// The feeds' hot path on fasthttp.
//
// The daemon's public HTTP server is github.com/valyala/fasthttp, the one
// serving library this package takes on, and only for the hot path: GET and
// HEAD of a channel's cached feed (200, 304, gzip, validators). A cached
// answer costs the handler ~200 ns, while net/http's own work per request
// (a goroutine and a context for each, the header map, the background read
// that watches the connection, the response's buffers) cost several µs:
// with it feedmill answered 0.7 × nginx's rate of 304s and of 200s on the
// same machine, against targets of 1 × and 0.9 × (issue 7,
// docs/BENCHMARKS.md). fasthttp reuses its request state per connection and
// writes a large body with the header in one writev. Measured with the same
// wrk command on a 158 KB channel (2 cores, shared): the daemon's CPU per
// 304 went from ~15 µs to ~10 µs (nginx ~10 µs), per 200 from ~40 µs to
// ~30-35 µs (nginx ~25-29 µs, which sends the file with sendfile; zero-copy
// from memory was tried and gained nothing here, see the issue 7 notes).
//
// Every other path (the index, previews, /opml, /healthz, /metrics, the
// admin API, feeds with a query, anything spelled differently) keeps its
// net/http handler, Handler, reached through fasthttpadaptor: same code,
// same answers.
//
// In the daemon most hot requests never reach this file: hotloop.go
// answers them on its own connection loop, with header bytes captured
// from serveRenditionFast (captureWire), so the two answer alike.

import (
	"unsafe"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
)

// FastHandler returns the paths of Handler as a fasthttp handler: the hot
// path is served natively (fastpath.go), everything else by Handler.
func (s *Server) FastHandler() fasthttp.RequestHandler { return s.fast }

func (s *Server) fastRoutes() fasthttp.RequestHandler {
	std := fasthttpadaptor.NewFastHTTPHandler(s.handler)
	return func(ctx *fasthttp.RequestCtx) {
		if !s.serveFast(ctx) {
			std(ctx)
		}
	}
}

// serveFast answers a GET or HEAD whose request target is exactly a feed's
// path (no query, escapes or dot segments: those go the long way, where
// net/http cleans and redirects as before) and reports true. Errors
// (unknown channel, store down) report false too, so that Handler answers
// and logs them.
func (s *Server) serveFast(ctx *fasthttp.RequestCtx) bool {
	if !ctx.IsGet() && !ctx.IsHead() {
		return false
	}
	fp, ok := s.feeds[string(ctx.Request.Header.RequestURI())]
	if !ok {
		return false
	}
	rend, err := s.get(fp.channel, fp.format, 1)
	if err != nil {
		return false
	}
	s.metrics.request(fp.channel, serveRenditionFast(ctx, rend))
	return true
}

// Response header names, in fasthttp's normalized spelling (which is also
// net/http's: "Etag"), so that fasthttp finds them again.
var (
	fhETag         = []byte("Etag")
	fhLastModified = []byte("Last-Modified")
	fhCacheControl = []byte("Cache-Control")
	fhVary         = []byte("Vary")
	fhNoSniff      = []byte("X-Content-Type-Options")
	fhCSP          = []byte("Content-Security-Policy")
)

// serveRenditionFast is serveRendition for fasthttp: the same headers,
// 304s and gzip. It reports whether it answered 304. The body is not
// copied: fasthttp writes it from rend, which never changes.
func serveRenditionFast(ctx *fasthttp.RequestCtx, rend *rendition) (notModifiedSent bool) {
	req, h := &ctx.Request.Header, &ctx.Response.Header
	gz := false
	if ae := req.Peek("Accept-Encoding"); ae != nil {
		gz = acceptsGzip(b2s(ae))
	}
	hv := &rend.hdr
	if gz {
		h.SetCanonical(fhETag, s2b(hv.etagGzip[0]))
	} else {
		h.SetCanonical(fhETag, s2b(hv.etag[0]))
	}
	h.SetCanonical(fhLastModified, s2b(hv.lastModified[0]))
	h.SetCanonical(fhCacheControl, s2b(hdrCacheControl[0]))
	h.SetCanonical(fhVary, s2b(hdrVary[0]))
	if notModifiedFast(req, rend) {
		ctx.SetStatusCode(fasthttp.StatusNotModified)
		return true
	}
	h.SetContentTypeBytes(s2b(hv.contentType[0]))
	h.SetCanonical(fhNoSniff, s2b(hdrNoSniff[0]))
	if len(rend.contentType) >= 9 && rend.contentType[:9] == "text/html" {
		h.SetCanonical(fhCSP, s2b(htmlCSP))
	}
	body := rend.body
	if gz {
		body = rend.gzipped
		h.SetContentEncodingBytes(s2b(hdrGzip[0]))
	}
	// Content-Length is the body's; for a HEAD the server sends it without
	// the body.
	ctx.Response.SetBodyRaw(body)
	return false
}

// notModifiedFast is notModified for fasthttp's request header: every
// If-None-Match field, else the first If-Modified-Since.
func notModifiedFast(req *fasthttp.RequestHeader, rend *rendition) bool {
	ims := req.Peek("If-Modified-Since")
	return rend.notModifiedBy(req.PeekAll("If-None-Match"), ims, ims != nil)
}

// notModifiedBy reports whether a request with these If-None-Match
// fields, else this If-Modified-Since (when it has one), gets a 304; the
// fast path and the hot loop share it.
func (rend *rendition) notModifiedBy(inm [][]byte, ims []byte, hasIMS bool) bool {
	if len(inm) > 0 {
		for _, v := range inm {
			if rend.matchesETag(b2s(v)) {
				return true
			}
		}
		return false
	}
	return hasIMS && rend.unmodifiedSince(b2s(ims))
}

// b2s views b as a string without copying; only while b is not modified
// (here: while the request is being handled, and never kept).
func b2s(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// s2b views s as bytes without copying, for fasthttp calls that copy what
// they are given and never write to it.
func s2b(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
