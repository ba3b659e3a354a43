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
		Outcomes:    map[string]uint64{"stored": 1, "not_modified": 1, "fetch_error": 2, "parse_error": 1, "store_error": 0},
		ByStatus:    map[string]uint64{"2xx": 2, "3xx": 1, "4xx": 1, "5xx": 1, "error": 0},
		NotModified: 1,
		// Error responses' bodies are not read.
		Bytes:       uint64(len(sampleRSS) + len("plain text, not a feed")),
		ParseErrors: 1,
		ItemsAdded:  uint64(items),
		Passes:      2,
	}
	m.PassSeconds = 0
	for k, v := range want.Outcomes {
		if m.Outcomes[k] != v {
			t.Errorf("Outcomes[%s] = %d, want %d", k, m.Outcomes[k], v)
		}
	}
	for k, v := range want.ByStatus {
		if m.ByStatus[k] != v {
			t.Errorf("ByStatus[%s] = %d, want %d", k, m.ByStatus[k], v)
		}
	}
	m.Outcomes, want.Outcomes, m.ByStatus, want.ByStatus = nil, nil, nil, nil
	if items == 0 || m.NotModified != want.NotModified || m.Bytes != want.Bytes || m.ParseErrors != want.ParseErrors ||
		m.ItemsAdded != want.ItemsAdded || m.ItemsUpdated != 0 || m.Passes != want.Passes || m.StoreErrors != 0 {
		t.Errorf("metrics %+v\nwant    %+v", m, want)
	}

	var b bytes.Buffer
	f.Metrics().WritePrometheus(&b)
	for _, line := range []string{
		`feedmill_fetches_total{outcome="stored"} 1`,
		`feedmill_fetches_total{outcome="fetch_error"} 2`,
		`feedmill_fetches_total{outcome="store_error"} 0`,
		`feedmill_fetches_by_status_total{class="2xx"} 2`,
		"feedmill_store_errors_total 0",
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

// TestMetricsStoreError: a 200 the store cannot record (here: closed under
// the pass) is a store_error, never a success.
func TestMetricsStoreError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(sampleRSS)) }))
	defer srv.Close()
	st := openStore(t, nil)
	addSource(t, st, srv.URL+"/feed")
	f := newTestFetcher(st, nil, nil)
	rep := pass(t, f, PassOptions{All: true, OnStart: func(int) { st.Close() }})
	if r := onlyResult(t, rep); r.Status != 200 || !strings.HasPrefix(r.Err, "store: ") {
		t.Fatalf("result %+v, want a 200 with a store error", r)
	}
	m := f.Metrics()
	if m.Outcomes["store_error"] != 1 || m.Outcomes["stored"] != 0 || m.StoreErrors != 1 || m.ByStatus["2xx"] != 0 {
		t.Errorf("metrics %+v", m)
	}
	var b bytes.Buffer
	m.WritePrometheus(&b)
	for _, line := range []string{
		`feedmill_fetches_total{outcome="store_error"} 1`,
		`feedmill_fetches_total{outcome="stored"} 0`,
		`feedmill_fetches_by_status_total{class="2xx"} 0`,
		"feedmill_store_errors_total 1",
	} {
		if !strings.Contains(b.String(), line+"\n") {
			t.Errorf("exposition lacks %q:\n%s", line, b.String())
		}
	}
}
