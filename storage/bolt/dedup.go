package bolt

import (
	"fmt"

	"github.com/feedmill/feedmill/storage"

	"github.com/feedmill/feedmill/storage/bolt/internal/neardup"
	"go.etcd.io/bbolt"
)

// The near-duplicate index (storage/bolt/internal/neardup) puts copies of one
// story from several sources into one story: Item.Story. This file is the
// store's side of it: what of an item the index keeps, and when.

// docOf is what the near-duplicate index keeps of it.
func docOf(it *storage.Item) neardup.Doc {
	return neardup.Doc{ID: it.ID, Source: it.SourceID, Story: it.Story, Published: pubNanos(it.Published),
		Fingerprint: it.Fingerprint, Lead: it.Lead}
}

// assignStory gives a new item (ID set, not yet stored) its story: the
// story of the best matching item of another source, unless it already
// has one. Then it indexes the item.
func (ix indexes) assignStory(it *storage.Item) error {
	if ix.dedup == nil {
		return nil
	}
	d := docOf(it)
	if err := neardup.AssignStory(ix.dedup, &d); err != nil {
		return err
	}
	it.Story = d.Story
	return nil
}

// refileStory indexes again an item whose text changed in place: its
// full text arrived (it holds the story's Fingerprint and Lead). An item
// that is its own story and that no other item has joined yet looks for
// its story again with its new text: a teaser that matched nothing when
// it came (a standfirst, a few words) may be a story other sources carry
// in full. Any other item keeps its story: the copies that joined it stay
// with it.
func (ix indexes) refileStory(it *storage.Item) error {
	if ix.dedup == nil {
		return nil
	}
	lone := false
	if it.Story == 0 {
		lone = !neardup.Joined(ix.dedup, it.ID)
	}
	if err := neardup.Delete(ix.dedup, it.ID); err != nil {
		return err
	}
	d := docOf(it)
	if !lone {
		return neardup.Put(ix.dedup, &d)
	}
	if err := neardup.AssignStory(ix.dedup, &d); err != nil {
		return err
	}
	it.Story = d.Story
	return nil
}

// deleteNearDup removes the index entries of the item with the 8-byte ID
// key idKey, in a store that has the index.
func deleteNearDup(tx *bbolt.Tx, idKey []byte) error {
	b := tx.Bucket([]byte(neardup.Bucket))
	id, ok := u64(idKey)
	if b == nil || !ok {
		return nil
	}
	return neardup.Delete(b, id)
}

// Similarity compares two stored items as the near-duplicate index does.
func (s *Store) Similarity(a, b uint64) (storage.Similarity, error) {
	var sim storage.Similarity
	err := s.db.View(func(tx *bbolt.Tx) error {
		bk := tx.Bucket([]byte(neardup.Bucket))
		if bk == nil {
			return fmt.Errorf("no %s bucket", neardup.Bucket)
		}
		ns, err := neardup.Compare(bk, a, b)
		sim = storage.Similarity(ns)
		return err
	})
	return sim, err
}

// migrateV2 adds the first near-duplicate index, built from the items
// stored so far.
func migrateV2(tx *bbolt.Tx) error {
	items := tx.Bucket([]byte(bucketItems))
	return neardup.MigrateV2(tx, func(yield func(*neardup.Doc) error) error {
		return items.ForEach(func(k, v []byte) error {
			it, err := decodeItem(k, v)
			if err != nil {
				return err
			}
			d := docOf(&it)
			return yield(&d)
		})
	})
}
