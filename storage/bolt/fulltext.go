package bolt

import (
	"context"
	"fmt"

	"github.com/feedmill/feedmill/storage"

	"go.etcd.io/bbolt"
)

// RecordFullText applies a FullTextResult to its item in place: the same
// ID, FirstSeen, Story and Hash (so the feed's next copy of the item, the
// teaser, is a repeat and does not undo the upgrade). When the story was
// fetched it becomes the item's Content, the near-duplicate index takes
// its fingerprint (refileStory: a lone teaser may join its story now),
// and Updated moves; otherwise only the item's FullText record changes. It reports whether the result was applied: false when
// the item changed meanwhile (a different Hash). A removed item is
// ErrNotFound.
func (s *Store) RecordFullText(ctx context.Context, r storage.FullTextResult) (bool, error) {
	now := s.now()
	var applied bool
	var sourceID uint64
	err := s.w.do(ctx, 1, func(tx *bbolt.Tx) error {
		applied = false
		ix := openIndexes(tx)
		k := u64key(r.ItemID)
		v := ix.items.Get(k)
		if v == nil {
			return storage.ErrNotFound
		}
		it, err := decodeItem(k, v)
		if err != nil {
			return err
		}
		if it.Hash != r.Hash {
			return nil
		}
		sourceID = it.SourceID
		ft := r.FullText
		it.FullText = &ft
		if ft.Fetched {
			r.Apply(&it, now)
			if err := ix.refileStory(&it); err != nil {
				return err
			}
		}
		applied = true
		return ix.putItem(it, itemText{})
	}, func() {
		if applied && r.FullText.Fetched {
			s.ver.Bump(sourceID)
		}
	})
	if err != nil {
		return false, fmt.Errorf("record full text of item %d: %w", r.ItemID, err)
	}
	return applied, nil
}
