package feedserver

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/storage"
)

// FuzzHandlerPath sends arbitrary request targets to the public handler.
// Nothing may panic or answer 5xx; a 200 only comes for a clean path (a
// traversal is redirected or refused first) that is a route or a known
// channel.
//
//	go test -run '^$' -fuzz '^FuzzHandlerPath$' -fuzztime 30s ./feedserver/
func FuzzHandlerPath(f *testing.F) {
	for _, seed := range []string{
		"/", "/opml", "/healthz", "/metrics", "/channels/world", "/channels/world.rss", "/channels/world.atom",
		"/channels/world.json?page=2", "/channels/../../etc/passwd", "/channels/%2e%2e/%2e%2e/etc/passwd",
		"/channels/..%2f..%2fetc%2fpasswd", "//channels//world.rss", "/channels/world.rss/..", "/channels/%00",
		"/api/sources", "*", "http://evil.example/channels/world.rss", "/channels/w%6frld.rss",
	} {
		f.Add(seed)
	}
	fx := newFixture(f)
	a := fx.source("https://a.example/feed", "world")
	fx.items(a, storage.Item{Title: "First"})
	s := fx.server(Channel{Name: "world", Tags: []string{"world"}})
	h := s.Handler()
	f.Fuzz(func(t *testing.T, target string) {
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader("GET " + target + " HTTP/1.1\r\nHost: feeds.example.org\r\n\r\n")))
		if err != nil {
			return // the server answers 400 before any handler runs
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		code := rec.Code
		if code >= 500 {
			t.Fatalf("%q: status %d", target, code)
		}
		if code != http.StatusOK {
			return
		}
		p := req.URL.Path
		if p != path.Clean(p) && p != "/" || strings.Contains(p, "..") {
			t.Fatalf("%q: 200 for the unclean path %q", target, p)
		}
		if name, ok := strings.CutPrefix(p, "/channels/"); ok {
			if i := strings.LastIndexByte(name, '.'); i >= 0 {
				name = name[:i]
			}
			if name != "world" {
				t.Fatalf("%q: 200 for channel %q", target, name)
			}
		}
	})
}
