package feedserver

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/testlog"
	"github.com/feedmill/feedmill/storage"
)

// hub is an httptest WebSub hub that records publish pings.
type hub struct {
	*httptest.Server
	mu     sync.Mutex
	topics []string
}

func startHub(t *testing.T) *hub {
	h := &hub{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Method != http.MethodPost || r.PostForm.Get("hub.mode") != "publish" {
			http.Error(w, "bad ping", http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.topics = append(h.topics, r.PostForm.Get("hub.url"))
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hub) pings() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.topics)
}

// waitPings waits until the hub has n pings (or fails the test).
func (h *hub) waitPings(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if p := h.pings(); len(p) >= n {
			return p
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("hub got %d pings, want %d: %q", len(h.pings()), n, h.pings())
	return nil
}

func TestWebSub(t *testing.T) {
	h := startHub(t)
	f := newFixture(t)
	a := f.source("https://a.example/feed", "a")
	b := f.source("https://b.example/feed", "b")
	f.items(a, storage.Item{Title: "First"})
	s, err := New(f.store, Options{BaseURL: "https://feeds.example.org", Now: f.clock.Now, WebSubHub: h.URL,
		Channels: []Channel{{Name: "ach", Tags: []string{"a"}}, {Name: "bch", Tags: []string{"b"}}}})
	if err != nil {
		t.Fatal(err)
	}
	// Every format names the hub.
	for format, want := range map[string]string{
		"rss":  `<atom:link href="` + h.URL + `" rel="hub">`,
		"atom": `<link href="` + h.URL + `" rel="hub">`,
		"json": `"hubs": [` + "\n" + `    {` + "\n" + `      "type": "WebSub",` + "\n" + `      "url": "` + h.URL + `"`,
	} {
		body, err := s.Render("ach", format)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(body), want) {
			t.Errorf("%s lacks %s:\n%s", format, want, body)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.WatchHub(ctx, 20*time.Millisecond); close(done) }()
	defer func() { cancel(); <-done }()

	// The first look pings nothing; nor do looks while nothing changes.
	time.Sleep(150 * time.Millisecond)
	if p := h.pings(); len(p) != 0 {
		t.Fatalf("pings without a change: %q", p)
	}
	// A new item in channel "bch" pings its three feeds, and only those.
	f.items(b, storage.Item{Title: "News for b"})
	got := h.waitPings(t, 3)
	slices.Sort(got)
	want := []string{
		"https://feeds.example.org/channels/bch.atom",
		"https://feeds.example.org/channels/bch.json",
		"https://feeds.example.org/channels/bch.rss",
	}
	if !slices.Equal(got, want) {
		t.Errorf("pings %q, want %q", got, want)
	}
	time.Sleep(150 * time.Millisecond)
	if p := h.pings(); len(p) != 3 {
		t.Errorf("%d pings after the change settled, want 3: %q", len(p), p)
	}
}

func TestWebSubHubMustBeURL(t *testing.T) {
	_, err := New(nil, Options{WebSubHub: "not a url", Channels: []Channel{{Name: "x"}}})
	if err == nil || !strings.Contains(err.Error(), "websub_hub") {
		t.Errorf("err = %v", err)
	}
}

// TestWebSubHubDownLogsOnce: while the hub refuses pings, changes are
// logged once for the run of failures, not per ping; once it answers
// again, one line says so.
func TestWebSubHubDownLogsOnce(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	var answered, refused atomic.Int64
	h := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			refused.Add(1)
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		answered.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.Close)
	f := newFixture(t)
	a := f.source("https://a.example/feed", "a")
	var logs testlog.Buffer
	s, err := New(f.store, Options{BaseURL: "https://feeds.example.org", Now: f.clock.Now, WebSubHub: h.URL,
		Logger:   slog.New(slog.NewTextHandler(&logs, nil)),
		Channels: []Channel{{Name: "ach", Tags: []string{"a"}}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.WatchHub(ctx, 20*time.Millisecond); close(done) }()
	defer func() { cancel(); <-done }()

	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("still waiting for %s; log:\n%s", what, logs.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// Three changes while the hub is down: nine failed pings.
	time.Sleep(100 * time.Millisecond) // the first look
	for i := range 3 {
		f.items(a, storage.Item{Title: fmt.Sprintf("Change %d", i)})
		waitFor("the change's pings", func() bool { return refused.Load() == int64(3*(i+1)) })
	}
	down.Store(false)
	f.items(a, storage.Item{Title: "After"})
	waitFor("the end line", func() bool { return strings.Contains(logs.String(), `msg="websub: hub answers again after `) })
	if n := strings.Count(logs.String(), "level="); n != 2 {
		t.Errorf("%d log lines, want 2 (start and end of the hub's failures):\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "HTTP 503") {
		t.Errorf("the failure line does not name the cause:\n%s", logs.String())
	}
	waitFor("the three pings of the last change", func() bool { return answered.Load() == 3 })
}
