package feedserver

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Handler serves the HTTP paths of DESIGN.md: the index, the channel
// previews and feeds, /opml, /healthz and /metrics (GET and HEAD only), and
// the admin API under /api/ when an admin token is set.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() http.Handler {
	root := http.NewServeMux()
	root.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		if s.admin == nil {
			http.NotFound(w, r)
			return
		}
		s.admin.ServeHTTP(w, r)
	})
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		s.serveRendition(w, r, s.indexPage())
	})
	mux.HandleFunc("/opml", func(w http.ResponseWriter, r *http.Request) {
		s.serveRendition(w, r, s.opml)
	})
	mux.HandleFunc("/channels/{file}", s.serveChannel)
	mux.HandleFunc("/healthz", s.serveHealth)
	mux.HandleFunc("/metrics", s.serveMetrics)
	root.Handle("/", allowGetHead(mux))
	// The feeds themselves, the hot path, skip the muxes: one map lookup
	// on the exact path (anything else, a query included, goes the long
	// way and gets the same answer).
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fp, ok := s.feeds[r.URL.Path]; ok && r.URL.RawQuery == "" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			s.serveFeed(w, r, fp.channel, fp.format, 1)
			return
		}
		root.ServeHTTP(w, r)
	})
}

// feedPath is what a /channels/{name}.{format} path names.
type feedPath struct{ channel, format string }

// feedPaths maps the path of every channel's feed in every format to what
// it names.
func feedPaths(chs []*channel) map[string]feedPath {
	feeds := make(map[string]feedPath, len(chs)*len(Formats))
	for _, ch := range chs {
		for _, f := range Formats {
			feeds["/channels/"+ch.Name+"."+f] = feedPath{ch.Name, f}
		}
	}
	return feeds
}

// allowGetHead answers 405 to every method but GET and HEAD.
func allowGetHead(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if s.store == nil {
		http.Error(w, "no store", http.StatusServiceUnavailable)
		return
	}
	if err := s.store.Ping(); err != nil {
		s.log.Warn("feedserver: health check failed", "err", err)
		http.Error(w, "store unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", "2")
	if r.Method != http.MethodHead {
		w.Write([]byte("ok"))
	}
}

// serveChannel serves /channels/{name} (the preview) and
// /channels/{name}.{rss,atom,json}.
func (s *Server) serveChannel(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	name, format := file, formatHTML
	if _, ok := s.byName[file]; !ok {
		i := strings.LastIndexByte(file, '.')
		if i < 0 {
			http.NotFound(w, r)
			return
		}
		name, format = file[:i], file[i+1:]
		if format == formatHTML {
			// The preview is served without an extension only.
			http.NotFound(w, r)
			return
		}
	}
	page := 1
	if ch, ok := s.byName[name]; ok && format != formatHTML {
		var err error
		if page, err = parsePage(r.URL.Query().Get("page"), ch.limit); errors.Is(err, ErrNoPage) {
			http.NotFound(w, r)
			return
		} else if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	s.serveFeed(w, r, name, format, page)
}

// serveFeed serves page of channel name in format (formatHTML: the
// preview), or 404 when there is no such thing.
func (s *Server) serveFeed(w http.ResponseWriter, r *http.Request, name, format string, page int) {
	rend, err := s.get(name, format, page)
	switch {
	case errors.Is(err, ErrUnknownChannel), errors.Is(err, ErrUnknownFormat), errors.Is(err, ErrNoPage):
		http.NotFound(w, r)
		return
	case err != nil:
		s.log.Error("feedserver: serve", "path", r.URL.Path, "err", err)
		http.Error(w, "feed unavailable", http.StatusServiceUnavailable)
		return
	}
	s.metrics.request(name, s.serveRendition(w, r, rend))
}

// htmlCSP forbids scripts and everything but inline and same-origin styles
// and images.
const htmlCSP = "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src * data:"

// serveRendition writes rend with its validators, answering 304 when the
// request's conditions allow and gzip when the client accepts it. It
// reports whether it answered 304.
func (s *Server) serveRendition(w http.ResponseWriter, r *http.Request, rend *rendition) (notModifiedSent bool) {
	h := w.Header()
	var gz bool
	if ae := r.Header["Accept-Encoding"]; len(ae) > 0 {
		gz = acceptsGzip(ae[0])
	}
	// Pre-built values under canonical keys: no canonicalization, no
	// formatting and no allocation per request (cache.go).
	hv := &rend.hdr
	if gz {
		h["Etag"] = hv.etagGzip
	} else {
		h["Etag"] = hv.etag
	}
	h["Last-Modified"] = hv.lastModified
	h["Cache-Control"] = hdrCacheControl
	h["Vary"] = hdrVary
	if notModified(r, rend) {
		w.WriteHeader(http.StatusNotModified)
		return true
	}
	h["Content-Type"] = hv.contentType
	h["X-Content-Type-Options"] = hdrNoSniff
	if strings.HasPrefix(rend.contentType, "text/html") {
		h["Content-Security-Policy"] = hdrCSP
	}
	body := rend.body
	h["Content-Length"] = hv.length
	if gz {
		body = rend.gzipped
		h["Content-Encoding"] = hdrGzip
		h["Content-Length"] = hv.lengthGzip
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return false
	}
	w.Write(body)
	return false
}

// notModified evaluates If-None-Match (weak comparison, lists and "*"), or
// when it is absent If-Modified-Since, as RFC 9110 section 13.2.2 orders.
func notModified(r *http.Request, rend *rendition) bool {
	if inm := r.Header["If-None-Match"]; len(inm) > 0 {
		for _, v := range inm {
			if rend.matchesETag(v) {
				return true
			}
		}
		return false
	}
	ims := r.Header["If-Modified-Since"]
	return len(ims) > 0 && rend.unmodifiedSince(ims[0])
}

// matchesETag reports whether an If-None-Match field value matches rend
// (either encoding's tag, weak comparison).
func (rend *rendition) matchesETag(inm string) bool {
	return etagListMatches(inm, rend.etag, rend.etagGzip)
}

// unmodifiedSince reports whether rend has not changed since the time of
// an If-Modified-Since value ("" or a malformed date: false).
func (rend *rendition) unmodifiedSince(ims string) bool {
	if ims == "" {
		return false
	}
	if ims == rend.hdr.lastModified[0] {
		return true // the value we sent: no need to parse it
	}
	t, err := http.ParseTime(ims)
	if err != nil {
		return false
	}
	return !rend.lastModified.After(t.Truncate(time.Second))
}

// etagListMatches reports whether an If-None-Match field value ("*" or a
// comma-separated list of entity tags) matches one of the tags by weak
// comparison: W/ prefixes are ignored. Malformed entries never match.
func etagListMatches(list string, tags ...string) bool {
	for {
		list = strings.TrimLeft(list, " \t,")
		if list == "" {
			return false
		}
		if list[0] == '*' {
			return true
		}
		tag, rest, ok := scanETag(list)
		if !ok {
			return false
		}
		for _, t := range tags {
			if tag == t {
				return true
			}
		}
		list = rest
	}
}

// scanETag reads one entity tag from the start of s and returns its opaque
// (quoted) part without any W/ prefix, and the rest of s.
func scanETag(s string) (tag, rest string, ok bool) {
	s = strings.TrimPrefix(s, "W/")
	if len(s) < 2 || s[0] != '"' {
		return "", "", false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			return s[:i+1], s[i+1:], true
		case c == 0x21 || (c >= 0x23 && c <= 0x7E) || c >= 0x80:
		default:
			return "", "", false
		}
	}
	return "", "", false
}

// acceptsGzip reports whether an Accept-Encoding value allows gzip (by
// name or by "*", with a non-zero quality).
func acceptsGzip(ae string) bool {
	star, gzip := false, -1
	for ae != "" {
		var part string
		part, ae, _ = strings.Cut(ae, ",")
		coding, params, _ := strings.Cut(part, ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		switch coding {
		case "gzip", "x-gzip":
			if qualityNonZero(params) {
				gzip = 1
			} else if gzip < 0 {
				gzip = 0
			}
		case "*":
			star = qualityNonZero(params)
		}
	}
	if gzip >= 0 {
		return gzip == 1
	}
	return star
}

func qualityNonZero(params string) bool {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(k), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return err == nil && q > 0
		}
	}
	return true
}
