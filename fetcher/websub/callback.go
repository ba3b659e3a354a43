package websub

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/feedmill/feedmill/storage"
)

// Verify answers a hub's GET on the callback of subscription id: the
// challenge (200) only for a subscription we asked for with that topic;
// a denial is recorded. Anything else is 404.
func (s *Subscriber) Verify(id string, q url.Values) (challenge string, status int) {
	ctx := context.Background()
	sub, ok := s.lookup(id)
	if !ok || q.Get("hub.topic") != sub.Topic {
		return "", http.StatusNotFound
	}
	switch q.Get("hub.mode") {
	case "subscribe":
		if sub.State == storage.SubUnsubscribing || sub.State == storage.SubDenied {
			return "", http.StatusNotFound
		}
		lease := time.Duration(0)
		if n, err := strconv.Atoi(q.Get("hub.lease_seconds")); err == nil && n > 0 {
			lease = time.Duration(n) * time.Second
		} else {
			lease = s.o.Lease
		}
		s.update(ctx, sub.SourceID, id, func(p *storage.Subscription) {
			p.State, p.Reason, p.LeaseEnd = storage.SubActive, "", s.o.Now().Add(lease)
		})
		s.o.Logger.Info("websub: subscribed", "hub", sub.Hub, "topic", sub.Topic, "lease", lease)
	case "unsubscribe":
		if sub.State != storage.SubUnsubscribing {
			return "", http.StatusNotFound
		}
		s.drop(ctx, sub)
		s.o.Logger.Info("websub: unsubscribed", "hub", sub.Hub, "topic", sub.Topic)
	case "denied":
		s.update(ctx, sub.SourceID, id, func(p *storage.Subscription) {
			p.State, p.Reason = storage.SubDenied, q.Get("hub.reason")
		})
		s.o.Logger.Warn("websub: hub denied the subscription", "hub", sub.Hub, "topic", sub.Topic, "reason", q.Get("hub.reason"))
		return "", http.StatusOK
	default:
		return "", http.StatusNotFound
	}
	return q.Get("hub.challenge"), http.StatusOK
}

// Deliver takes a hub's content distribution for subscription id: with a
// valid X-Hub-Signature of an active subscription, the body goes to
// Options.Ingest on its own goroutine and Deliver returns 202 at once
// (429 while maxInflight bodies are being ingested). A
// body without a valid signature is ignored, answered 202 too, as the
// recommendation asks (the sender learns nothing of the secret). An
// unknown id is 410 Gone: no such subscription.
func (s *Subscriber) Deliver(id string, body []byte, header http.Header) int {
	sub, ok := s.lookup(id)
	if !ok || sub.State == storage.SubUnsubscribing {
		return http.StatusGone
	}
	if sub.State != storage.SubActive || !validSignature(header.Get("X-Hub-Signature"), sub.Secret, body) {
		s.o.Logger.Warn("websub: content distribution ignored: no valid signature", "topic", sub.Topic)
		return http.StatusAccepted
	}
	if s.inflight.Add(1) > maxInflight {
		// The hub retries a delivery that was not acknowledged.
		s.inflight.Add(-1)
		return http.StatusTooManyRequests
	}
	s.update(context.Background(), sub.SourceID, id, func(p *storage.Subscription) { p.LastPush = s.o.Now() })
	go func() {
		defer s.inflight.Add(-1)
		if s.o.Ingest != nil {
			s.o.Ingest(sub.SourceID, body, header.Get("Content-Type"))
		}
	}()
	return http.StatusAccepted
}

// maxInflight bounds the pushed bodies being ingested at once (each up to
// the body limit in memory); beyond it a push is answered 429.
const maxInflight = 16

// drop forgets a subscription, in memory and in the store.
func (s *Subscriber) drop(ctx context.Context, sub storage.Subscription) {
	s.mu.Lock()
	if p := s.bySource[sub.SourceID]; p != nil && p.ID == sub.ID {
		s.forget(sub.SourceID)
	}
	s.mu.Unlock()
	if err := s.o.Store.DeleteSubscription(ctx, sub.SourceID); err != nil {
		s.o.Logger.Warn("websub: delete subscription", "topic", sub.Topic, "err", err)
	}
}

// lookup is a copy of subscription id, taken under the lock; false when
// there is none.
func (s *Subscriber) lookup(id string) (storage.Subscription, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.byID[id]
	if p == nil {
		return storage.Subscription{}, false
	}
	return *p, true
}
