package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/feedmill/feedmill/storage"
	"github.com/jackc/pgx/v5"
)

// subRecord is how a Subscription is stored, secrets included.
type subRecord struct {
	storage.Subscription
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

func encodeSubscription(sub storage.Subscription) ([]byte, error) {
	return json.Marshal(subRecord{Subscription: sub, ID: sub.ID, Secret: sub.Secret})
}

func decodeSubscription(sourceID uint64, doc []byte) (storage.Subscription, error) {
	var r subRecord
	if err := json.Unmarshal(doc, &r); err != nil {
		return storage.Subscription{}, fmt.Errorf("subscription of source %d: %w", sourceID, err)
	}
	sub := r.Subscription
	sub.SourceID, sub.ID, sub.Secret = sourceID, r.ID, r.Secret
	return sub, nil
}

// PutSubscription stores sub as the subscription of its source,
// replacing any other.
func (s *Store) PutSubscription(ctx context.Context, sub storage.Subscription) error {
	doc, err := encodeSubscription(sub)
	if err != nil {
		return fmt.Errorf("encode subscription of source %d: %w", sub.SourceID, err)
	}
	err = s.write(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO subscriptions (source_id, doc) VALUES ($1, $2)
			ON CONFLICT (source_id) DO UPDATE SET doc = excluded.doc`, int64(sub.SourceID), doc)
		return err
	})
	if err != nil {
		return fmt.Errorf("store subscription of source %d in %s: %w", sub.SourceID, s.name, err)
	}
	return nil
}

// DeleteSubscription forgets the subscription of a source (none is fine).
func (s *Store) DeleteSubscription(ctx context.Context, sourceID uint64) error {
	err := s.write(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM subscriptions WHERE source_id = $1`, int64(sourceID))
		return err
	})
	if err != nil {
		return fmt.Errorf("delete subscription of source %d in %s: %w", sourceID, s.name, err)
	}
	return nil
}

// Subscriptions returns every subscription, by source ID.
func (s *Store) Subscriptions() (map[uint64]storage.Subscription, error) {
	out := map[uint64]storage.Subscription{}
	err := eachSubscription(context.Background(), s.pool, func(sub storage.Subscription) error {
		out[sub.SourceID] = sub
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("subscriptions in %s: %w", s.name, err)
	}
	return out, nil
}

// eachSubscription calls fn with every subscription, by source ID.
func eachSubscription(ctx context.Context, q querier, fn func(storage.Subscription) error) error {
	rows, err := q.Query(ctx, `SELECT source_id, doc FROM subscriptions ORDER BY source_id`)
	if err != nil {
		return err
	}
	var id int64
	var doc []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &doc}, func() error {
		sub, err := decodeSubscription(uint64(id), doc)
		if err != nil {
			return err
		}
		return fn(sub)
	})
	return err
}
