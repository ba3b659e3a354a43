package feedserver

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// fakeCallbacks records what the handler passes on.
type fakeCallbacks struct {
	verified url.Values
	body     string
	sig      string
}

func (f *fakeCallbacks) Verify(id string, q url.Values) (string, int) {
	f.verified = q
	if id != "abc" {
		return "", http.StatusNotFound
	}
	return q.Get("hub.challenge"), http.StatusOK
}

func (f *fakeCallbacks) Deliver(id string, body []byte, h http.Header) int {
	f.body, f.sig = string(body), h.Get("X-Hub-Signature")
	return http.StatusAccepted
}

func TestWebSubCallbackRoutes(t *testing.T) {
	off, err := New(nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	off.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/websub/abc?hub.challenge=x", nil))
	if w.Code != http.StatusNotFound {
		t.Errorf("without a subscriber: %d", w.Code)
	}

	cb := &fakeCallbacks{}
	s, err := New(nil, Options{WebSub: cb, WebSubMaxBody: 16})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		method, target, body string
		code                 int
		answer               string
	}{
		{"GET", "/websub/abc?hub.mode=subscribe&hub.challenge=ch-1", "", 200, "ch-1"},
		{"GET", "/websub/other?hub.challenge=ch-1", "", 404, ""},
		{"POST", "/websub/abc", "<rss/>", 202, ""},
		{"POST", "/websub/abc", strings.Repeat("x", 17), 413, ""},
		{"PUT", "/websub/abc", "", 405, ""},
	} {
		req := httptest.NewRequest(c.method, c.target, strings.NewReader(c.body))
		req.Header.Set("X-Hub-Signature", "sha256=00")
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, req)
		b, _ := io.ReadAll(w.Body)
		if w.Code != c.code || (c.answer != "" && string(b) != c.answer) {
			t.Errorf("%s %s: %d %q, want %d %q", c.method, c.target, w.Code, b, c.code, c.answer)
		}
	}
	if cb.body != "<rss/>" || cb.sig != "sha256=00" {
		t.Errorf("delivered %q with %q", cb.body, cb.sig)
	}
}
