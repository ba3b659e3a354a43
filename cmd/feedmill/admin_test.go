package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// apiCall sends an admin API request with the bearer token.
func apiCall(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestDaemonAdminAPIAndMetrics drives the admin API of a running daemon
// (token from $FEEDMILL_ADMIN_TOKEN): add a source, fetch it, read its
// status, pause it, remove it; then reads /metrics.
func TestDaemonAdminAPIAndMetrics(t *testing.T) {
	up := startUpstream(t)
	cfgPath := writeE2EConfig(t, up)
	t.Setenv("FEEDMILL_ADMIN_TOKEN", "tok-123")
	d := startTestDaemon(t, cfgPath)
	api := "http://" + d.Addr.String() + "/api"
	newURL := up.URL + "/guid-dupes.rss?via=api"

	steps := []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"POST", "/sources", `{"url": "` + newURL + `", "tags": ["extra"]}`, 201, `"origin": "api"`},
		{"POST", "/sources", `{"url": "` + up.URL + `/guardian.rss", "tags": ["x"]}`, 400, "in the config file"},
		{"POST", "/fetch", `{"urls": ["` + newURL + `"]}`, 200, `"status": 200`},
		{"GET", "/sources/status?url=" + newURL, "", 200, `"status": "ok"`},
		{"POST", "/sources/pause", `{"url": "` + newURL + `"}`, 200, `"status": "paused"`},
		{"GET", "/sources", "", 200, `"status": "paused"`},
		{"DELETE", "/sources?url=" + up.URL + "/guardian.rss", "", 400, "in the config file"},
		{"DELETE", "/sources?url=" + newURL, "", 200, `"removed"`},
		{"GET", "/sources/status?url=" + newURL, "", 404, "no source"},
	}
	for _, s := range steps {
		code, body := apiCall(t, s.method, api+s.path, "tok-123", s.body)
		if code != s.code || !strings.Contains(body, s.want) {
			t.Errorf("%s %s: %d %s\nwant %d containing %q", s.method, s.path, code, body, s.code, s.want)
		}
	}
	if code, _ := apiCall(t, "GET", api+"/sources", "wrong", ""); code != http.StatusUnauthorized {
		t.Errorf("wrong token: %d", code)
	}

	// A fetch of every source through the API feeds /metrics.
	code, body := apiCall(t, "POST", api+"/fetch", "tok-123", `{"all": true}`)
	var rep struct {
		Results []struct{ URL string }
		Failed  int
	}
	if code != 200 || json.Unmarshal([]byte(body), &rep) != nil || len(rep.Results) != len(testFeeds) || rep.Failed != 0 {
		t.Fatalf("fetch all: %d %s", code, body)
	}
	base := "http://" + d.Addr.String()
	body0(t, base+"/channels/world.rss") // read whole: it is counted once written
	metrics := body0(t, base+"/metrics")
	for _, want := range []string{
		`feedmill_fetches_total{outcome="stored"} `,
		`feedmill_fetches_by_status_total{class="2xx"} `,
		"feedmill_store_errors_total 0",
		"feedmill_fetches_not_modified_total ",
		"feedmill_fetch_bytes_total ",
		`feedmill_items_total{outcome="stored"} `,
		"feedmill_pass_duration_seconds_count 2",
		`feedmill_channel_requests_total{channel="world"} 1`,
		"feedmill_store_size_bytes ",
		"feedmill_parse_errors_total 0",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, metrics)
		}
	}
	if strings.Contains(metrics, "feedmill_fetch_bytes_total 0\n") || strings.Contains(metrics, `feedmill_items_total{outcome="stored"} 0`+"\n") {
		t.Errorf("/metrics counted nothing:\n%s", metrics)
	}
}

func body0(t *testing.T, url string) string {
	t.Helper()
	return body(t, get(t, url, nil))
}

// TestDaemonPingsWebSubHub: with websub_hub set, the daemon pings the hub
// for a channel whose content changed, and not otherwise.
func TestDaemonPingsWebSubHub(t *testing.T) {
	var mu sync.Mutex
	var topics []string
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.PostForm.Get("hub.mode") == "publish" {
			mu.Lock()
			topics = append(topics, r.PostForm.Get("hub.url"))
			mu.Unlock()
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hub.Close()
	pings := func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), topics...) }

	old := hubCheckEvery
	hubCheckEvery = 20 * time.Millisecond
	defer func() { hubCheckEvery = old }()

	up := startUpstream(t)
	cfgPath := writeE2EConfig(t, up)
	raw, _ := os.ReadFile(cfgPath)
	os.WriteFile(cfgPath, []byte("websub_hub: "+hub.URL+"\n"+string(raw)), 0o600)
	// Fetched before the daemon starts: nothing is due when it does.
	if code, out, errOut := runCLI(t, "fetch", "-c", cfgPath); code != exitOK {
		t.Fatalf("fetch: %d %s %s", code, out, errOut)
	}
	d := startTestDaemon(t, cfgPath)
	base := "http://" + d.Addr.String()
	if rss := body0(t, base+"/channels/tech.rss"); !strings.Contains(rss, `<atom:link href="`+hub.URL+`" rel="hub">`) {
		t.Errorf("tech.rss names no hub:\n%.800s", rss)
	}
	// The watcher's first look at a channel is its baseline: wait until it
	// has built every channel's Atom feed (4 channels, plus tech.rss
	// above), so that the change below comes after every baseline.
	for deadline := time.Now().Add(60 * time.Second); renders(t, base) < 5; {
		if time.Now().After(deadline) {
			t.Fatal("the hub watcher did not look at every channel within 60s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	if p := pings(); len(p) != 0 {
		t.Fatalf("pings before any change: %q", p)
	}
	// A new tech source: "everything" (duplicates: keep) changes, "world"
	// does not.
	newSrc := up.URL + "/heise.atom?copy=1"
	if code, out, errOut := runCLI(t, "sources", "add", "-c", cfgPath, "--tag", "tech", newSrc); code != exitOK {
		t.Fatalf("sources add: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "fetch", "-c", cfgPath, newSrc); code != exitOK || !strings.Contains(out, "0 failed") {
		t.Fatalf("fetch: %d %s %s", code, out, errOut)
	}
	want := "http://feeds.test.example/channels/everything."
	// The daemon looks for changed channels every 10 s, then renders them:
	// give a loaded machine (and the race detector) a few rounds.
	deadline := time.Now().Add(45 * time.Second)
	for strings.Count(strings.Join(pings(), " "), want) < 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // world would have been pinged by now
	got := strings.Join(pings(), " ")
	for _, ch := range []string{"everything"} {
		for _, f := range []string{"rss", "atom", "json"} {
			if !strings.Contains(got, "http://feeds.test.example/channels/"+ch+"."+f) {
				t.Errorf("no ping for %s.%s: %s", ch, f, got)
			}
		}
	}
	if strings.Contains(got, "/channels/world.") {
		t.Errorf("world did not change but was pinged: %s", got)
	}
}

// renders is the daemon's feedmill_renders_total.
func renders(t *testing.T, base string) int {
	t.Helper()
	for _, line := range strings.Split(body0(t, base+"/metrics"), "\n") {
		if v, ok := strings.CutPrefix(line, "feedmill_renders_total "); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}
