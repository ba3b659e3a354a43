package feedserver

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/feedmill/feedmill/feedserver/channel"
)

// Handler serves the HTTP paths of DESIGN.md: the index, the channel
// previews and feeds, /opml, /healthz and /metrics (GET and HEAD only), the
// admin API under /api/ when an admin token is set, and the WebSub
// subscriber callbacks under /websub/ when the daemon subscribes.
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
	root.HandleFunc("/websub/{id}", s.serveWebSub)
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
func feedPaths(chs []*channel.Channel) map[string]feedPath {
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

// serveHealth answers 200 "ok" when the daemon is healthy, else 503 with
// the reason.
func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if err := s.CheckHealth(); err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", "2")
	if r.Method != http.MethodHead {
		w.Write([]byte("ok"))
	}
}

// CheckHealth calls Options.Health and logs when the daemon turns
// unhealthy (with the reason) and when it is healthy again: one line per
// change, however often it is called. /healthz and /metrics call it; the
// daemon also calls it every few seconds, so that a change is logged when
// nobody asks.
func (s *Server) CheckHealth() error {
	var err error
	switch {
	case s.store == nil:
		err = errNoStore
	case s.health != nil:
		err = s.health()
	}
	unhealthy := err != nil
	if was := s.unhealthy.Swap(unhealthy); was != unhealthy {
		if unhealthy {
			s.log.Warn("unhealthy: /healthz answers 503", "reason", err.Error())
		} else {
			s.log.Info("healthy again: /healthz answers 200")
		}
	}
	return err
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
		if page, err = channel.ParsePage(r.URL.Query().Get("page"), ch.PageSize()); errors.Is(err, ErrNoPage) {
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
		s.readFailed(name, err, "channel", name, "path", r.URL.Path)
		http.Error(w, "feed unavailable", http.StatusServiceUnavailable)
		return
	}
	s.metrics.request(name, s.serveRendition(w, r, rend))
}

// htmlCSP forbids scripts and everything but inline and same-origin styles
// and images.
const htmlCSP = "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src * data:"

// serveRendition writes rend with its validators in the content coding
// the client prefers, answering 304 when the request's conditions allow.
// It reports whether it answered 304. Header values come prepared from
// the rendition (rendition.go): a cached answer formats nothing.
func (s *Server) serveRendition(w http.ResponseWriter, r *http.Request, rend *rendition) (notModifiedSent bool) {
	h := w.Header()
	c := &rend.codings[identity]
	if ae := r.Header["Accept-Encoding"]; len(ae) > 0 {
		c = &rend.codings[chooseCoding(ae)]
	}
	h["Etag"] = c.hdrETag
	h["Last-Modified"] = rend.hdrLastModified
	h["Cache-Control"] = hdrCacheControl
	h["Vary"] = hdrVary
	if notModified(r, rend) {
		w.WriteHeader(http.StatusNotModified)
		return true
	}
	h["Content-Type"] = rend.hdrContentType
	h["X-Content-Type-Options"] = hdrNoSniff
	if strings.HasPrefix(rend.contentType, "text/html") {
		h["Content-Security-Policy"] = hdrCSP
	}
	h["Content-Length"] = c.hdrLength
	if c.hdrEncoding != nil {
		h["Content-Encoding"] = c.hdrEncoding
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(c.body)
	}
	return false
}

// notModified decides a conditional GET or HEAD as RFC 9110 section 13.2.2
// orders it: If-None-Match when the request has one, else
// If-Modified-Since.
func notModified(r *http.Request, rend *rendition) bool {
	if fields, ok := r.Header["If-None-Match"]; ok {
		for _, f := range fields {
			if rend.anyTagIn(f) {
				return true
			}
		}
		return false
	}
	ims := r.Header["If-Modified-Since"]
	return len(ims) > 0 && rend.unmodifiedSince(ims[0])
}

// anyTagIn reports whether the If-None-Match field value names one of
// rend's entity tags (any coding's) or is "*". Comparison is weak, as
// RFC 9110 wants for If-None-Match: a W/ before a tag makes no difference.
func (rend *rendition) anyTagIn(field string) bool {
	for tag := range entityTags(field) {
		if tag == "*" {
			return true
		}
		for i := range rend.codings {
			if tag == rend.codings[i].etag {
				return true
			}
		}
	}
	return false
}

// entityTags yields the entity tags of an If-None-Match field value, each
// with its quotes and without a W/ prefix; "*" comes as itself. Reading
// stops at the first element that is not a quoted tag, so a malformed
// rest of the value matches nothing.
func entityTags(field string) func(yield func(string) bool) {
	return func(yield func(string) bool) {
		for {
			field = strings.TrimLeft(field, ", \t")
			if field == "" {
				return
			}
			if field[0] == '*' {
				yield("*")
				return
			}
			field = strings.TrimPrefix(field, "W/")
			if !strings.HasPrefix(field, `"`) {
				return
			}
			end := strings.IndexByte(field[1:], '"')
			if end < 0 {
				return
			}
			if !yield(field[:end+2]) {
				return
			}
			field = field[end+2:]
		}
	}
}

// unmodifiedSince reports whether rend has not changed since the time of
// an If-Modified-Since value ("" or a malformed date: false).
func (rend *rendition) unmodifiedSince(ims string) bool {
	if ims == "" {
		return false
	}
	if ims == rend.hdrLastModified[0] {
		return true // the value we sent: no need to parse it
	}
	t, err := http.ParseTime(ims)
	if err != nil {
		return false
	}
	return !rend.lastModified.After(t.Truncate(time.Second))
}

// chooseCoding picks the content coding for an Accept-Encoding header:
// brotli when the client takes it at least as gladly as gzip, else gzip,
// else the identity. A coding is taken when it is named, or covered by
// "*", with a quality above zero.
func chooseCoding(fields []string) coding {
	br, gz, star := -1.0, -1.0, -1.0 // -1: not mentioned
	for _, f := range fields {
		for elem := range strings.SplitSeq(f, ",") {
			name, params, _ := strings.Cut(elem, ";")
			q := quality(params)
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "br":
				br = max(br, q)
			case "gzip", "x-gzip":
				gz = max(gz, q)
			case "*":
				star = max(star, q)
			}
		}
	}
	if br < 0 {
		br = star
	}
	if gz < 0 {
		gz = star
	}
	switch {
	case br > 0 && br >= gz:
		return brotlied
	case gz > 0:
		return gzipped
	}
	return identity
}

// quality is the q parameter of an Accept-Encoding element's parameters
// (1 when absent, 0 when unreadable).
func quality(params string) float64 {
	for p := range strings.SplitSeq(params, ";") {
		k, v, _ := strings.Cut(p, "=")
		if !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || q < 0 {
			return 0
		}
		return q
	}
	return 1
}
