package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestDaemonWebSubSubscriber: with websub.subscribe the daemon subscribes
// a source to the hub its feed names; the hub verifies through
// /websub/...; a signed push is in the channel within a second, without a
// poll of the topic; `sources list` and the admin API show the
// subscription, never its secret.
func TestDaemonWebSubSubscriber(t *testing.T) {
	var (
		mu       sync.Mutex
		callback string
		secret   string
		verified bool
	)
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ParseForm() != nil || r.PostForm.Get("hub.mode") != "subscribe" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		f := r.PostForm
		w.WriteHeader(http.StatusAccepted)
		go func() {
			q := url.Values{"hub.mode": {"subscribe"}, "hub.topic": {f.Get("hub.topic")}, "hub.challenge": {"c-123"}, "hub.lease_seconds": {"86400"}}
			resp, err := http.Get(f.Get("hub.callback") + "?" + q.Encode())
			if err != nil {
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			callback, secret, verified = f.Get("hub.callback"), f.Get("hub.secret"), string(b) == "c-123"
		}()
	}))
	defer hub.Close()

	var polls atomic.Int64
	var topic string
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		polls.Add(1)
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprintf(w, `<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>Blog</title><link>https://blog.example/</link>
<atom:link rel="hub" href="%s"/><atom:link rel="self" href="%s"/>
<item><title>Polled post</title><link>https://blog.example/1</link><guid>1</guid></item></channel></rss>`, hub.URL, topic)
	}))
	defer feed.Close()
	topic = feed.URL + "/rss"

	port := freePort(t)
	t.Setenv("FEEDMILL_ADMIN_TOKEN", "tok-ws")
	path := writeConfig(t, fmt.Sprintf(`db: %s/feedmill.db
listen: 127.0.0.1:%d
base_url: http://127.0.0.1:%d
fetch:
  allow_private: true
websub:
  subscribe: true
sources:
  - url: %s
channels:
  - name: all
`, t.TempDir(), port, port, topic))
	d := startTestDaemon(t, path)
	base := "http://" + d.Addr.String()

	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		ok := verified
		mu.Unlock()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the hub never verified a subscription")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.HasPrefix(callback, "http://127.0.0.1:"+fmt.Sprint(port)+"/websub/") {
		t.Fatalf("callback %q", callback)
	}

	// A push with a good signature reaches the channel within a second.
	time.Sleep(50 * time.Millisecond) // the subscriber records the verification after answering it
	before := polls.Load()
	body := `<rss version="2.0"><channel><title>Blog</title><item><title>Pushed post</title><link>https://blog.example/2</link><guid>2</guid></item></channel></rss>`
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	req, _ := http.NewRequest(http.MethodPost, callback, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/rss+xml")
	req.Header.Set("X-Hub-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("push answered %d", resp.StatusCode)
	}
	for !strings.Contains(body0(t, base+"/channels/all.rss"), "Pushed post") {
		if time.Since(start) > time.Second {
			t.Fatal("the pushed item is not in the channel after a second")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if polls.Load() != before {
		t.Error("the topic was polled for the push")
	}

	code, out, errOut := runCLI(t, "sources", "-c", path, "list")
	if code != exitOK || !strings.Contains(out, "WEBSUB") || !strings.Contains(out, "active") || !strings.Contains(out, hub.URL) {
		t.Errorf("sources list: %d\n%s%s", code, out, errOut)
	}
	_, api := apiCall(t, "GET", base+"/api/sources", "tok-ws", "")
	if !strings.Contains(api, `"websub"`) || !strings.Contains(api, `"state": "active"`) || !strings.Contains(api, `"last_push"`) {
		t.Errorf("admin API: %s", api)
	}
	id := callback[strings.LastIndex(callback, "/")+1:]
	for name, s := range map[string]string{"sources list": out, "admin API": api} {
		if strings.Contains(s, secret) || strings.Contains(s, id) {
			t.Errorf("%s shows the subscription's secret or callback id", name)
		}
	}
}
