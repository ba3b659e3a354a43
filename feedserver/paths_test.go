package feedserver

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// rawGet sends path exactly as given (no client-side cleaning or
// escaping) and returns the status, Location and body.
func rawGet(t testing.TB, addr, target string) (int, string, string) {
	t.Helper()
	resp, body := rawDo(t, addr, "GET", target) // fastpath_test.go
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

// TestPathTraversal: traversal attempts in every spelling end in a 404 or
// a redirect to a clean path (that then is a 404 or a real channel), never
// in a file; unknown channels and formats are 404.
func TestPathTraversal(t *testing.T) {
	_, _, s := worldFixture(t, Channel{Name: "world", Tags: []string{"world"}})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	addr := ts.Listener.Addr().String()

	tests := []struct {
		target string
		final  int // status after following redirects
	}{
		{"/channels/../../etc/passwd", 404},
		{"/channels/..%2f..%2fetc%2fpasswd", 404},
		{"/channels/%2e%2e/%2e%2e/etc/passwd", 404},
		{"/channels/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", 404},
		{"/channels/..\\..\\etc\\passwd", 404},
		{"/channels/world.rss/../../../etc/passwd", 404},
		{"/../../../../etc/passwd", 404},
		{"/%2e%2e/%2e%2e/etc/passwd", 404},
		{"//etc/passwd", 404},
		{"/channels//etc/passwd", 404},
		{"/channels/world.rss%00.html", 404},
		{"/channels/%00", 404},
		{"/channels/../channels/world.rss", 200}, // cleaned to a real channel
		{"//channels//world.rss", 200},
		{"/channels/./world.json", 200},
		{"/channels/world.rss", 200},
		{"/channels/world", 200},
		{"/channels/nosuch.rss", 404},
		{"/channels/nosuch", 404},
		{"/channels/world.html", 404},
		{"/channels/world.xml", 404},
		{"/channels/world.rss.rss", 404},
		{"/channels/.rss", 404},
		{"/channels/", 404},
		{"/templates/index.html", 404},
		{"/feedserver/handlers.go", 404},
	}
	for _, tt := range tests {
		target := tt.target
		status, loc, body := rawGet(t, addr, target)
		for hops := 0; status >= 300 && status < 400 && hops < 5; hops++ {
			u, err := url.Parse(loc)
			if err != nil || (u.Host != "" && u.Host != addr) {
				t.Fatalf("%s: redirect to %q", tt.target, loc)
			}
			target = u.RequestURI()
			status, loc, body = rawGet(t, addr, target)
		}
		if status != tt.final {
			t.Errorf("%s: ended at %s with %d, want %d", tt.target, target, status, tt.final)
		}
		if strings.Contains(body, "root:") || strings.Contains(body, "package feedserver") || strings.Contains(body, "{{") {
			t.Errorf("%s: served a file: %.80q", tt.target, body)
		}
	}
}
