package websub

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedmill/feedmill/storage"
)

// Options configure a Subscriber.
type Options struct {
	Store storage.Store
	// Client sends the subscription requests to hubs (the fetcher's
	// guarded transport).
	Client *http.Client
	// CallbackBase is the absolute URL the hubs reach the daemon's
	// /websub/ path under, ending in "/websub/".
	CallbackBase string
	// Lease is the lease asked for (DefaultLease); the hub decides.
	Lease time.Duration
	// Ingest takes an accepted content distribution of a source, as a
	// fetch of it would; it runs on its own goroutine.
	Ingest func(sourceID uint64, body []byte, contentType string)
	Logger *slog.Logger
	Now    func() time.Time
}

// DefaultLease is the lease asked for when Options.Lease is 0.
const DefaultLease = 7 * 24 * time.Hour

// retryAfter is how long a requested but unverified or denied
// subscription waits before it is asked for again.
const retryAfter = time.Hour

// Subscriber keeps the subscriptions; safe for concurrent use.
type Subscriber struct {
	o Options

	mu       sync.Mutex
	bySource map[uint64]*storage.Subscription
	byID     map[string]*storage.Subscription
	asking   map[uint64]bool // a request to the hub in flight
	inflight atomic.Int64    // pushed bodies being ingested
}

// New loads the stored subscriptions.
func New(o Options) (*Subscriber, error) {
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 20 * time.Second}
	}
	s := &Subscriber{o: o, bySource: map[uint64]*storage.Subscription{}, byID: map[string]*storage.Subscription{}, asking: map[uint64]bool{}}
	subs, err := o.Store.Subscriptions()
	if err != nil {
		return nil, fmt.Errorf("websub: %w", err)
	}
	for _, sub := range subs {
		s.keep(sub)
	}
	return s, nil
}

// keep puts sub in the maps (s.mu held, or before s is shared).
func (s *Subscriber) keep(sub storage.Subscription) {
	if old := s.bySource[sub.SourceID]; old != nil {
		delete(s.byID, old.ID)
	}
	p := &sub
	s.bySource[sub.SourceID] = p
	s.byID[sub.ID] = p
}

// forget drops a source's subscription from the maps (s.mu held).
func (s *Subscriber) forget(sourceID uint64) {
	if old := s.bySource[sourceID]; old != nil {
		delete(s.byID, old.ID)
		delete(s.bySource, sourceID)
	}
}

// Active reports whether a source has a verified subscription whose lease
// runs: its pushes come in, and polling it is only a safety net.
func (s *Subscriber) Active(sourceID uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.bySource[sourceID]
	return sub != nil && sub.State == storage.SubActive && s.o.Now().Before(sub.LeaseEnd)
}

// Subscription returns a copy of a source's subscription.
func (s *Subscriber) Subscription(sourceID uint64) (storage.Subscription, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.bySource[sourceID]
	if sub == nil {
		return storage.Subscription{}, false
	}
	return *sub, true
}

// Announce is told, after a fetch of a source, the hub and self URL its
// feed names; it subscribes when the source has no subscription to that
// hub and topic yet (or one denied or unverified for a while). The
// request to the hub runs on its own goroutine.
func (s *Subscriber) Announce(sourceID uint64, hub, self string) {
	if hub == "" || self == "" {
		return
	}
	now := s.o.Now()
	s.mu.Lock()
	sub := s.bySource[sourceID]
	stale := sub != nil && sub.Hub == hub && sub.Topic == self &&
		(sub.State == storage.SubRequested || sub.State == storage.SubDenied) && now.Sub(sub.Requested) > retryAfter
	if (sub != nil && sub.Hub == hub && sub.Topic == self && !stale) || s.asking[sourceID] {
		s.mu.Unlock()
		return
	}
	s.asking[sourceID] = true
	s.mu.Unlock()
	go func() {
		defer s.done(sourceID)
		if err := s.subscribe(context.Background(), sourceID, hub, self); err != nil {
			s.o.Logger.Warn("websub: subscribe", "hub", hub, "topic", self, "err", err)
		}
	}()
}

func (s *Subscriber) done(sourceID uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.asking, sourceID)
}

// subscribe stores a new requested subscription (a fresh callback id and
// secret) and asks the hub for it. The hub may verify before it answers,
// so the subscription is stored first.
func (s *Subscriber) subscribe(ctx context.Context, sourceID uint64, hub, topic string) error {
	sub := storage.Subscription{
		SourceID: sourceID, ID: randomHex(24), Secret: randomHex(32),
		Hub: hub, Topic: topic, State: storage.SubRequested, Requested: s.o.Now(),
	}
	if err := s.save(ctx, sub); err != nil {
		return err
	}
	err := s.ask(ctx, sub, "subscribe")
	if err != nil {
		s.update(ctx, sourceID, sub.ID, func(p *storage.Subscription) { p.Reason = err.Error() })
	}
	return err
}

// renew asks the hub again for an existing subscription, with the same
// callback and secret.
func (s *Subscriber) renew(ctx context.Context, sub storage.Subscription) error {
	s.update(ctx, sub.SourceID, sub.ID, func(p *storage.Subscription) { p.Requested = s.o.Now() })
	return s.ask(ctx, sub, "subscribe")
}

// ask POSTs a subscription request to the hub; a 2xx answer (202
// Accepted, as a rule) means it will verify.
func (s *Subscriber) ask(ctx context.Context, sub storage.Subscription, mode string) error {
	form := url.Values{
		"hub.mode":     {mode},
		"hub.topic":    {sub.Topic},
		"hub.callback": {s.o.CallbackBase + sub.ID},
	}
	if mode == "subscribe" {
		form.Set("hub.lease_seconds", strconv.Itoa(int(s.o.Lease/time.Second)))
		form.Set("hub.secret", sub.Secret)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.Hub, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("hub %s: %w", sub.Hub, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.o.Client.Do(req)
	if err != nil {
		return fmt.Errorf("hub %s: %w", sub.Hub, err)
	}
	defer resp.Body.Close()
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("hub %s answered HTTP %d to %s", sub.Hub, resp.StatusCode, mode)
	}
	return nil
}

// save stores sub and keeps it in the maps.
func (s *Subscriber) save(ctx context.Context, sub storage.Subscription) error {
	if err := s.o.Store.PutSubscription(ctx, sub); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keep(sub)
	return nil
}

// update changes the source's subscription with callback id, when it is
// still that one, and stores it.
func (s *Subscriber) update(ctx context.Context, sourceID uint64, id string, change func(*storage.Subscription)) {
	s.mu.Lock()
	p := s.bySource[sourceID]
	if p == nil || p.ID != id {
		s.mu.Unlock()
		return
	}
	change(p)
	sub := *p
	s.mu.Unlock()
	if err := s.o.Store.PutSubscription(ctx, sub); err != nil {
		s.o.Logger.Warn("websub: store subscription", "topic", sub.Topic, "err", err)
	}
}

// randomHex is n random bytes in hex: unguessable callback ids and
// secrets.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// signatureHash maps X-Hub-Signature's method to its hash.
func signatureHash(method string) func() hash.Hash {
	switch strings.ToLower(method) {
	case "sha1":
		return sha1.New
	case "sha256":
		return sha256.New
	case "sha384":
		return sha512.New384
	case "sha512":
		return sha512.New
	}
	return nil
}

// validSignature checks an X-Hub-Signature value ("sha256=HEX") of body
// with secret.
func validSignature(header, secret string, body []byte) bool {
	method, sig, ok := strings.Cut(strings.TrimSpace(header), "=")
	h := signatureHash(method)
	if !ok || h == nil || secret == "" {
		return false
	}
	want, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	mac := hmac.New(h, []byte(secret))
	mac.Write(body)
	return hmac.Equal(mac.Sum(nil), want)
}
