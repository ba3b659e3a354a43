package websub

import (
	"context"
	"time"

	"github.com/feedmill/feedmill/storage"
)

// MaintainEvery is how often Run renews and cleans up.
const MaintainEvery = time.Minute

// Run calls Maintain every MaintainEvery until ctx ends.
func (s *Subscriber) Run(ctx context.Context) {
	t := time.NewTicker(MaintainEvery)
	defer t.Stop()
	for {
		s.Maintain(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Maintain renews the leases in their last tenth (at least the last two
// MaintainEvery), and unsubscribes the subscriptions whose source
// is gone. An unsubscription the hub never confirms is forgotten after
// retryAfter.
func (s *Subscriber) Maintain(ctx context.Context) {
	srcs, err := s.o.Store.Sources()
	if err != nil {
		s.o.Logger.Warn("websub: list sources", "err", err)
		return
	}
	exists := make(map[uint64]bool, len(srcs))
	for _, src := range srcs {
		exists[src.ID] = true
	}
	now := s.o.Now()
	s.mu.Lock()
	var subs []storage.Subscription
	for _, p := range s.bySource {
		subs = append(subs, *p)
	}
	s.mu.Unlock()
	for _, sub := range subs {
		if ctx.Err() != nil {
			return
		}
		switch {
		case !exists[sub.SourceID] && sub.State == storage.SubUnsubscribing:
			if now.Sub(sub.Requested) > retryAfter {
				s.drop(ctx, sub)
			}
		case !exists[sub.SourceID]:
			s.unsubscribe(ctx, sub)
		case sub.State == storage.SubActive && sub.LeaseEnd.Sub(now) < renewWithin(sub) && now.Sub(sub.Requested) > MaintainEvery:
			if err := s.renew(ctx, sub); err != nil {
				s.o.Logger.Warn("websub: renew", "topic", sub.Topic, "err", err)
			}
		}
	}
}

// unsubscribe asks the hub to stop pushing a removed source; the
// subscription goes when the hub verifies (or after retryAfter). One
// never verified is simply forgotten.
func (s *Subscriber) unsubscribe(ctx context.Context, sub storage.Subscription) {
	if sub.State != storage.SubActive {
		s.drop(ctx, sub)
		return
	}
	s.update(ctx, sub.SourceID, sub.ID, func(p *storage.Subscription) {
		p.State, p.Requested = storage.SubUnsubscribing, s.o.Now()
	})
	if err := s.ask(ctx, sub, "unsubscribe"); err != nil {
		s.o.Logger.Warn("websub: unsubscribe", "topic", sub.Topic, "err", err)
	}
}

// renewWithin is how long before its end a lease is renewed: its last
// tenth, as granted (from the request to the lease's end), and at least
// two rounds of Maintain.
func renewWithin(sub storage.Subscription) time.Duration {
	return max(sub.LeaseEnd.Sub(sub.Requested)/10, 2*MaintainEvery)
}
