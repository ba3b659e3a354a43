package feedserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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
