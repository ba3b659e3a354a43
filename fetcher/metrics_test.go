package fetcher

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestMetrics(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/feed":
			if r.Header.Get("If-None-Match") == `"v1"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", `"v1"`)
			w.Write([]byte(sampleRSS))
		case "/page":
			w.Header().Set("Content-Type", "text/plain")
			w.Write([]byte("plain text, not a feed"))
		case "/broken":
			http.Error(w, "down", http.StatusServiceUnavailable)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	st := openStore(t, nil)
	for _, p := range []string{"/feed", "/page", "/broken", "/gone"} {
		addSource(t, st, srv.URL+p)
	}
	f := newTestFetcher(st, nil, nil)
	pass(t, f, PassOptions{All: true})
	pass(t, f, PassOptions{URLs: []string{srv.URL + "/feed"}})

	m := f.Metrics()
	items := countItems(t, st, getSource(t, st, srv.URL+"/feed").ID)
	want := Metrics{
		Fetches:     map[string]uint64{"2xx": 2, "3xx": 1, "4xx": 1, "5xx": 1, "error": 0},
		NotModified: 1,
		// Error responses' bodies are not read.
		Bytes:       uint64(len(sampleRSS) + len("plain text, not a feed")),
		ParseErrors: 1,
		ItemsAdded:  uint64(items),
		Passes:      2,
	}
	m.PassSeconds = 0
	for k, v := range want.Fetches {
		if m.Fetches[k] != v {
			t.Errorf("Fetches[%s] = %d, want %d", k, m.Fetches[k], v)
		}
	}
	m.Fetches, want.Fetches = nil, nil
	if items == 0 || m.NotModified != want.NotModified || m.Bytes != want.Bytes || m.ParseErrors != want.ParseErrors ||
		m.ItemsAdded != want.ItemsAdded || m.ItemsUpdated != 0 || m.Passes != want.Passes {
		t.Errorf("metrics %+v\nwant    %+v", m, want)
	}

	var b bytes.Buffer
	f.Metrics().WritePrometheus(&b)
	for _, line := range []string{
		`feedmill_fetches_total{class="2xx"} 2`,
		"feedmill_fetches_not_modified_total 1",
		"feedmill_fetches_not_modified_ratio 0.2",
		"feedmill_parse_errors_total 1",
		"feedmill_pass_duration_seconds_count 2",
		"# TYPE feedmill_items_total counter",
	} {
		if !strings.Contains(b.String(), line+"\n") {
			t.Errorf("exposition lacks %q:\n%s", line, b.String())
		}
	}
}
