package fetcher

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"
)

// testHub is a WebSub hub: it takes (un)subscription requests, verifies
// the subscriber's intent, and pushes content with a signature.
type testHub struct {
	*httptest.Server
	t     *testing.T
	lease int // seconds granted

	mu       sync.Mutex
	subs     map[string]hubSub // by topic, once verified
	requests []url.Values
}

type hubSub struct{ callback, secret string }

func startHub(t *testing.T, lease int) *testHub {
	h := &testHub{t: t, lease: lease, subs: map[string]hubSub{}}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		form := r.PostForm
		h.mu.Lock()
		h.requests = append(h.requests, form)
		h.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		go h.verify(form)
	}))
	t.Cleanup(h.Close)
	return h
}

// verify asks the callback to confirm, as a hub does after a request.
func (h *testHub) verify(form url.Values) {
	challenge := fmt.Sprintf("ch-%d", time.Now().UnixNano())
	q := url.Values{"hub.mode": {form.Get("hub.mode")}, "hub.topic": {form.Get("hub.topic")}, "hub.challenge": {challenge}}
	if form.Get("hub.mode") == "subscribe" {
		q.Set("hub.lease_seconds", fmt.Sprint(h.lease))
	}
	resp, err := http.Get(form.Get("hub.callback") + "?" + q.Encode())
	if err != nil {
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != challenge {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if form.Get("hub.mode") == "subscribe" {
		h.subs[form.Get("hub.topic")] = hubSub{form.Get("hub.callback"), form.Get("hub.secret")}
	} else {
		delete(h.subs, form.Get("hub.topic"))
	}
}

func (h *testHub) sub(topic string) (hubSub, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s, ok := h.subs[topic]
	return s, ok
}

func (h *testHub) modes() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, f := range h.requests {
		out = append(out, f.Get("hub.mode"))
	}
	return out
}

// push sends body to topic's subscriber, signed with secret (or not).
func (h *testHub) push(t *testing.T, topic, body string, newHash func() hash.Hash, method, secret string) int {
	t.Helper()
	s, ok := h.sub(topic)
	if !ok {
		t.Fatalf("no verified subscription to %s", topic)
	}
	req, _ := http.NewRequest(http.MethodPost, s.callback, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/rss+xml")
	if method != "" {
		mac := hmac.New(newHash, []byte(secret))
		mac.Write([]byte(body))
		req.Header.Set("X-Hub-Signature", method+"="+hex.EncodeToString(mac.Sum(nil)))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// websubCallbacks serves /websub/{id} from f's subscriber, as feedserver
// does in the daemon.
func websubCallbacks(f *Fetcher) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /websub/{id}", func(w http.ResponseWriter, r *http.Request) {
		ch, status := f.WebSub().Verify(r.PathValue("id"), r.URL.Query())
		w.WriteHeader(status)
		io.WriteString(w, ch)
	})
	mux.HandleFunc("POST /websub/{id}", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(f.WebSub().Deliver(r.PathValue("id"), body, r.Header))
	})
	return mux
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func pushRSS(titles ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>Pushed</title><link>https://blog.example/</link>`)
	for _, ti := range titles {
		fmt.Fprintf(&b, `<item><title>%s</title><link>https://blog.example/%s</link><guid>%s</guid></item>`, ti, ti, ti)
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

// TestWebSubSubscriber: a source whose feed names a hub is subscribed and
// verified; a signed push is in the store within a second, without a poll;
// unsigned and wrongly signed pushes are ignored; the lease is renewed;
// a removed source is unsubscribed.
func TestWebSubSubscriber(t *testing.T) {
	hub := startHub(t, 3600)
	var polls atomic.Int64
	var topic string
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		polls.Add(1)
		w.Header().Add("Link", fmt.Sprintf(`<%s>; rel="hub"`, hub.URL))
		w.Header().Add("Link", fmt.Sprintf(`<%s>; rel="self"`, topic))
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, pushRSS("first"))
	}))
	defer feed.Close()
	topic = feed.URL + "/feed"

	clock := newClock()
	st := openStore(t, clock)
	src := addSource(t, st, topic)
	var f *Fetcher
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { websubCallbacks(f).ServeHTTP(w, r) }))
	defer cb.Close()
	f = newTestFetcher(st, clock, func(o *Options) {
		o.WebSubCallback = cb.URL + "/websub/"
		o.MaxInterval = 12 * time.Hour
	})
	pass(t, f, PassOptions{All: true})
	waitFor(t, "the verified subscription", func() bool {
		_, verified := hub.sub(topic)
		return verified && f.WebSub().Active(src.ID)
	})
	sub, _ := f.WebSub().Subscription(src.ID)
	hs, _ := hub.sub(topic)
	if sub.Hub != hub.URL || sub.Topic != topic || hs.secret != sub.Secret || len(sub.Secret) < 32 || !strings.HasSuffix(hs.callback, "/websub/"+sub.ID) || len(sub.ID) < 32 {
		t.Fatalf("subscription %+v, hub saw %+v", sub, hs)
	}
	if want := clock.Now().Add(time.Hour); !sub.LeaseEnd.Equal(want) {
		t.Errorf("lease end %v, want %v", sub.LeaseEnd, want)
	}
	// The next poll of a pushed source is at max_interval.
	pass(t, f, PassOptions{All: true})
	if s := getSource(t, st, topic); s.State.NextDue.Sub(clock.Now()) < 10*time.Hour {
		t.Errorf("pushed source due in %v, want about max_interval", s.State.NextDue.Sub(clock.Now()))
	}

	pollsBefore := polls.Load()
	start := time.Now()
	if code := hub.push(t, topic, pushRSS("first", "pushed"), sha256.New, "sha256", hs.secret); code != http.StatusAccepted {
		t.Errorf("push answered %d", code)
	}
	waitFor(t, "the pushed item", func() bool { return countItems(t, st, src.ID) == 2 })
	if d := time.Since(start); d > time.Second {
		t.Errorf("pushed item stored after %v", d)
	}
	if polls.Load() != pollsBefore {
		t.Errorf("the topic was polled during the push")
	}
	for _, bad := range []struct {
		method, secret string
		newHash        func() hash.Hash
	}{{"", "", nil}, {"sha256", "wrong-secret", sha256.New}, {"md5", hs.secret, sha256.New}} {
		hub.push(t, topic, pushRSS("forged-"+bad.method), bad.newHash, bad.method, bad.secret)
	}
	hub.push(t, topic, pushRSS("signed512"), sha512.New, "sha512", hs.secret)
	waitFor(t, "the sha512-signed item", func() bool { return countItems(t, st, src.ID) == 3 })
	_ = st.Items(storage.Query{SourceIDs: []uint64{src.ID}}, func(it storage.Item) bool {
		if strings.HasPrefix(it.Title, "forged") {
			t.Errorf("a push without a valid signature was taken: %s", it.Title)
		}
		return true
	})
	if s, _ := f.WebSub().Subscription(src.ID); s.LastPush.IsZero() {
		t.Error("last push not recorded")
	}

	// Lease renewal: not early, then within the last tenth of the lease.
	clock.Add(50 * time.Minute)
	f.WebSub().Maintain(context.Background())
	if m := hub.modes(); len(m) != 1 {
		t.Errorf("renewed 10 minutes before the end of an hour's lease: %v", m)
	}
	clock.Add(5 * time.Minute)
	f.WebSub().Maintain(context.Background())
	waitFor(t, "the renewal", func() bool {
		s, _ := f.WebSub().Subscription(src.ID)
		return s.LeaseEnd.Equal(clock.Now().Add(time.Hour))
	})
	if m := hub.modes(); len(m) != 2 || m[1] != "subscribe" {
		t.Errorf("hub requests %v, want a second subscribe", m)
	}
	if s, _ := hub.sub(topic); s.secret != hs.secret || s.callback != hs.callback {
		t.Errorf("renewal changed the callback or secret")
	}

	// A removed source is unsubscribed.
	if err := st.RemoveSource(context.Background(), topic); err != nil {
		t.Fatal(err)
	}
	f.WebSub().Maintain(context.Background())
	waitFor(t, "the unsubscription", func() bool {
		_, subscribed := hub.sub(topic)
		_, kept := f.WebSub().Subscription(src.ID)
		return !subscribed && !kept
	})
	if subs, _ := st.Subscriptions(); len(subs) != 0 {
		t.Errorf("subscriptions left in the store: %v", subs)
	}
}

// TestWebSubVerifyOnlyOurs: the challenge is answered only for a
// subscription asked for, with its topic; a denial is recorded.
func TestWebSubVerifyOnlyOurs(t *testing.T) {
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) }))
	defer hub.Close()
	clock := newClock()
	st := openStore(t, clock)
	src := addSource(t, st, "https://blog.example/feed")
	f := newTestFetcher(st, clock, func(o *Options) { o.WebSubCallback = "https://feedmill.example/websub/" })
	f.WebSub().Announce(src.ID, hub.URL, src.URL)
	var sub storage.Subscription
	waitFor(t, "the request", func() bool {
		var ok bool
		sub, ok = f.WebSub().Subscription(src.ID)
		return ok
	})
	for _, q := range []url.Values{
		{"hub.mode": {"subscribe"}, "hub.topic": {"https://other.example/feed"}, "hub.challenge": {"x"}},
		{"hub.mode": {"unsubscribe"}, "hub.topic": {src.URL}, "hub.challenge": {"x"}},
	} {
		if ch, status := f.WebSub().Verify(sub.ID, q); status != http.StatusNotFound || ch != "" {
			t.Errorf("%v: %d %q, want 404", q, status, ch)
		}
	}
	if _, status := f.WebSub().Verify("not-an-id", url.Values{"hub.mode": {"subscribe"}, "hub.topic": {src.URL}}); status != http.StatusNotFound {
		t.Errorf("unknown callback: %d", status)
	}
	if code := f.WebSub().Deliver("not-an-id", []byte("x"), http.Header{}); code != http.StatusGone {
		t.Errorf("push to an unknown callback: %d", code)
	}
	// A push before verification is not taken.
	f.WebSub().Deliver(sub.ID, []byte(pushRSS("early")), http.Header{"X-Hub-Signature": {sign(sub.Secret, pushRSS("early"))}})
	f.WebSub().Verify(sub.ID, url.Values{"hub.mode": {"denied"}, "hub.topic": {src.URL}, "hub.reason": {"not allowed"}})
	got, _ := f.WebSub().Subscription(src.ID)
	if got.State != storage.SubDenied || got.Reason != "not allowed" || f.WebSub().Active(src.ID) {
		t.Errorf("after denial: %+v", got)
	}
	stored, _ := st.Subscriptions()
	if stored[src.ID].State != storage.SubDenied {
		t.Errorf("denial not stored: %+v", stored)
	}
	time.Sleep(50 * time.Millisecond)
	if n := countItems(t, st, src.ID); n != 0 {
		t.Errorf("%d items from an unverified push", n)
	}
}

func sign(secret, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}
