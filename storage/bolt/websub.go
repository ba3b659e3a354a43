package bolt

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/feedmill/feedmill/storage"

	"go.etcd.io/bbolt"
)

// bucketWebSub holds the WebSub subscriptions: sourceID(8) -> JSON of a
// subscription. It is created by the first write (absent = none), so
// stores without subscriptions keep their layout.
const bucketWebSub = "websub"

// subRecord is how a Subscription is stored, secrets included.
type subRecord struct {
	storage.Subscription
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

// PutSubscription stores sub as the subscription of its source,
// replacing any other.
func (s *Store) PutSubscription(ctx context.Context, sub storage.Subscription) error {
	err := s.w.do(ctx, 1, func(tx *bbolt.Tx) error { return putSubscription(tx, sub) }, nil)
	if err != nil {
		return fmt.Errorf("store subscription of source %d: %w", sub.SourceID, err)
	}
	return nil
}

func putSubscription(tx *bbolt.Tx, sub storage.Subscription) error {
	v, err := json.Marshal(subRecord{Subscription: sub, ID: sub.ID, Secret: sub.Secret})
	if err != nil {
		return fmt.Errorf("encode subscription of source %d: %w", sub.SourceID, err)
	}
	b, err := tx.CreateBucketIfNotExists([]byte(bucketWebSub))
	if err != nil {
		return err
	}
	return b.Put(u64key(sub.SourceID), v)
}

// DeleteSubscription forgets the subscription of a source (none is
// fine).
func (s *Store) DeleteSubscription(ctx context.Context, sourceID uint64) error {
	err := s.w.do(ctx, 1, func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucketWebSub))
		if b == nil {
			return nil
		}
		return b.Delete(u64key(sourceID))
	}, nil)
	if err != nil {
		return fmt.Errorf("delete subscription of source %d: %w", sourceID, err)
	}
	return nil
}

// Subscriptions returns every subscription, by source ID.
func (s *Store) Subscriptions() (map[uint64]storage.Subscription, error) {
	out := map[uint64]storage.Subscription{}
	err := s.db.View(func(tx *bbolt.Tx) error {
		subs, err := readSubscriptions(tx)
		for _, sub := range subs {
			out[sub.SourceID] = sub
		}
		return err
	})
	return out, err
}

// readSubscriptions reads every subscription, by source ID.
func readSubscriptions(tx *bbolt.Tx) ([]storage.Subscription, error) {
	b := tx.Bucket([]byte(bucketWebSub))
	if b == nil {
		return nil, nil
	}
	var out []storage.Subscription
	err := b.ForEach(func(k, v []byte) error {
		id, ok := u64(k)
		if !ok {
			return fmt.Errorf("%s: malformed key %x", bucketWebSub, k)
		}
		var r subRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("%s %d: %w", bucketWebSub, id, err)
		}
		sub := r.Subscription
		sub.SourceID, sub.ID, sub.Secret = id, r.ID, r.Secret
		out = append(out, sub)
		return nil
	})
	return out, err
}
