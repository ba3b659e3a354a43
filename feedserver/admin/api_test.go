package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage/bolt"

	"golang.org/x/time/rate"

	"github.com/feedmill/feedmill/storage"
)

// openStore opens a bbolt store in the test's folder, closed at the end.
func openStore(t *testing.T) storage.Store {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "feedmill.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// adminServer is the admin API on st with token "s3cret", behind an
// httptest server.
func adminServer(t *testing.T, st storage.Store, burst int) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(New(st, Options{Token: "s3cret", Rate: 0.001, Burst: burst}))
	t.Cleanup(ts.Close)
	return ts
}

func adminDo(t *testing.T, method, url, token, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestAdminAPISources(t *testing.T) {
	st := openStore(t)
	if _, err := st.UpsertSource(context.Background(), storage.Source{URL: "https://a.example/feed", Tags: []string{"world"}, Origin: storage.OriginConfig}); err != nil {
		t.Fatal(err)
	}
	ts := adminServer(t, st, 100)
	api := ts.URL + "/api"

	for _, tok := range []string{"", "wrong", "s3cre", "s3crett"} {
		resp, body := adminDo(t, "GET", api+"/sources", tok, "")
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `"error"`) {
			t.Errorf("token %q: %d %s, want 401 with a JSON error", tok, resp.StatusCode, body)
		}
	}

	resp, body := adminDo(t, "GET", api+"/sources", "s3cret", "")
	var list []SourceStatus
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &list) != nil || len(list) != 1 ||
		list[0].URL != "https://a.example/feed" || list[0].Status != "new" {
		t.Fatalf("list: %d %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}

	tests := []struct {
		method, path, body string
		code               int
		status             string // of the source afterwards ("" = not checked)
	}{
		{"POST", "/sources/pause", `{"url": "https://a.example/feed"}`, 200, "paused"},
		{"GET", "/sources/status?url=https://a.example/feed", "", 200, "paused"},
		{"POST", "/sources/resume", `{"url": "https://a.example/feed"}`, 200, "new"},
		{"POST", "/sources/pause", `{"url": "https://nope.example/feed"}`, 404, ""},
		{"POST", "/sources/pause", `{"url": `, 400, ""},
		{"POST", "/sources/pause", `{"link": "x"}`, 400, ""},
		{"GET", "/sources/status", "", 400, ""},
		{"GET", "/sources/status?url=https://nope.example/feed", "", 404, ""},
		{"GET", "/nothing", "", 404, ""},
		// Without the daemon's Admin, what needs the fetcher is refused.
		{"POST", "/fetch", `{"all": true}`, 501, ""},
		{"POST", "/sources", `{"url": "https://b.example/feed"}`, 501, ""},
	}
	for _, tt := range tests {
		resp, body := adminDo(t, tt.method, api+tt.path, "s3cret", tt.body)
		if resp.StatusCode != tt.code {
			t.Errorf("%s %s %s: %d %s, want %d", tt.method, tt.path, tt.body, resp.StatusCode, body, tt.code)
			continue
		}
		if tt.status != "" {
			var got SourceStatus
			if err := json.Unmarshal([]byte(body), &got); err != nil || got.Status != tt.status {
				t.Errorf("%s %s: status %q (%v), want %q", tt.method, tt.path, got.Status, err, tt.status)
			}
		}
	}
	src, err := st.SourceByURL("https://a.example/feed")
	if err != nil || src.Paused || !src.HasTag("world") {
		t.Errorf("after pause and resume: paused=%v tags=%v err=%v", src.Paused, src.Tags, err)
	}
}

func TestAdminAPIRateLimit(t *testing.T) {
	ts := adminServer(t, openStore(t), 3)
	codes := []int{}
	for range 5 {
		resp, _ := adminDo(t, "GET", ts.URL+"/api/sources", "wrong", "")
		codes = append(codes, resp.StatusCode)
		if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	want := []int{401, 401, 401, 429, 429}
	for i := range want {
		if codes[i] != want[i] {
			t.Fatalf("codes %v, want %v (a burst of 3, then 429 even for wrong tokens)", codes, want)
		}
	}
}

// TestAdminLimitersBounded: the per-client limiters stay at most
// maxAdminClients; quiet clients are forgotten first, a limited one kept.
func TestAdminLimitersBounded(t *testing.T) {
	a := &API{limits: map[string]*clientLimit{}, rate: 5, burst: 20}
	now := time.Now()
	for i := range maxAdminClients - 1 {
		a.limits[fmt.Sprintf("10.0.%d.%d", i/256, i%256)] = &clientLimit{l: rate.NewLimiter(5, 20), last: now.Add(-time.Hour)}
	}
	busy := &clientLimit{l: rate.NewLimiter(5, 20), last: now}
	a.limits["192.0.2.1"] = busy
	for i := range 3 {
		r := httptest.NewRequest("GET", "/api/sources", nil)
		r.RemoteAddr = fmt.Sprintf("198.51.100.%d:1234", i)
		if !a.allow(httptest.NewRecorder(), r) {
			t.Fatal("a new client was limited")
		}
	}
	if n := len(a.limits); n != 4 {
		t.Errorf("%d limiters after the sweep, want 4 (the busy one and three new)", n)
	}
	if a.limits["192.0.2.1"] != busy {
		t.Error("the busy client's limiter was forgotten")
	}
}
