package postgres

import (
	"encoding/json"
	"fmt"

	"github.com/feedmill/feedmill/storage"
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
