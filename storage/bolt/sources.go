package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/feedmill/feedmill/storage"

	"go.etcd.io/bbolt"
)

// UpsertSource adds a source, or updates the configuration fields (Title,
// Tags, Every, Cron, Origin, Paused, Priority) of the source with the same
// URL (or Subscribed URL, after a move), keeping its ID, URL, State and
// Stats. It returns the stored source. A new
// source gets the next ID and Added = now; its State is stored as given
// (a zero NextDue means "due now") and its Stats start at zero.
func (s *Store) UpsertSource(ctx context.Context, src storage.Source) (storage.Source, error) {
	if src.URL == "" {
		return storage.Source{}, errors.New("upsert source: empty URL")
	}
	var (
		stored  storage.Source
		changed bool
	)
	err := s.w.do(ctx, 1, func(tx *bbolt.Tx) error {
		stored, changed = storage.Source{}, false
		sources := tx.Bucket([]byte(bucketSources))
		idv := tx.Bucket([]byte(bucketSourceURLs)).Get([]byte(src.URL))
		if idv == nil {
			id, err := nextSeq(tx, metaSeqSource)
			if err != nil {
				return err
			}
			stored = src
			stored.ID = id
			stored.Subscribed = src.URL
			stored.Added = s.now()
			stored.Stats = storage.SourceStats{}
			if err := putSource(tx, stored); err != nil {
				return err
			}
			if err := tx.Bucket([]byte(bucketSourceURLs)).Put([]byte(src.URL), u64key(id)); err != nil {
				return err
			}
			changed = true
			return nil
		}
		old, err := decodeSource(idv, sources.Get(idv))
		if err != nil {
			return err
		}
		stored = old
		stored.Title = src.Title
		stored.Tags = slices.Clone(src.Tags)
		stored.Every = src.Every
		stored.Cron = src.Cron
		stored.Origin = src.Origin
		stored.Paused = src.Paused
		stored.Priority = src.Priority
		before, _ := encodeValue(old)
		after, err := encodeValue(stored)
		if err != nil {
			return err
		}
		if bytes.Equal(before, after) {
			return nil
		}
		changed = true
		return sources.Put(u64key(stored.ID), after)
	}, func() {
		if changed {
			s.ver.Bump(stored.ID)
		}
	})
	if err != nil {
		return storage.Source{}, fmt.Errorf("upsert source %s: %w", src.URL, err)
	}
	return stored, nil
}

// RemoveSource deletes a source by URL (or Subscribed URL) with all its
// items, their index entries and identity keys. An unknown URL is
// ErrNotFound.
func (s *Store) RemoveSource(ctx context.Context, url string) error {
	var id uint64
	err := s.w.do(ctx, 1, func(tx *bbolt.Tx) error {
		id = 0
		urls := tx.Bucket([]byte(bucketSourceURLs))
		idv := urls.Get([]byte(url))
		if idv == nil {
			return storage.ErrNotFound
		}
		var ok bool
		if id, ok = u64(idv); !ok {
			return fmt.Errorf("%s %q: malformed value %x", bucketSourceURLs, url, idv)
		}
		if err := deleteSourceItems(tx, id); err != nil {
			return err
		}
		src, err := getSource(tx, id)
		if err != nil {
			return err
		}
		if err := tx.Bucket([]byte(bucketSources)).Delete(u64key(id)); err != nil {
			return err
		}
		for _, u := range []string{url, src.URL, src.Subscribed} {
			if err := urls.Delete([]byte(u)); err != nil {
				return err
			}
		}
		return nil
	}, func() { s.ver.Bump(id) })
	if err != nil {
		return fmt.Errorf("remove source %s: %w", url, err)
	}
	return nil
}

// deleteSourceItems deletes every item of a source with its index entries
// and identity keys (tombstones included).
func deleteSourceItems(tx *bbolt.Tx, sourceID uint64) error {
	items := tx.Bucket([]byte(bucketItems))
	byTime := tx.Bucket([]byte(bucketByTime))
	prefix := u64key(sourceID)
	for _, bucket := range []string{bucketBySource, bucketItemKeys} {
		b := tx.Bucket([]byte(bucket))
		var keys [][]byte
		c := b.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			keys = append(keys, bytes.Clone(k))
		}
		for _, k := range keys {
			if bucket == bucketBySource && len(k) == 24 {
				// sourceID(8)+published(8)+itemID(8): the by_time key is the tail.
				if err := byTime.Delete(k[8:]); err != nil {
					return err
				}
				if err := items.Delete(k[16:]); err != nil {
					return err
				}
				if err := deleteNearDup(tx, k[16:]); err != nil {
					return err
				}
			}
			if err := b.Delete(k); err != nil {
				return err
			}
		}
	}
	return nil
}

// Source returns one source by ID.
func (s *Store) Source(id uint64) (storage.Source, error) {
	var src storage.Source
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		src, err = getSource(tx, id)
		return err
	})
	return src, err
}

// SourceByURL returns one source by its URL (ErrNotFound if none).
func (s *Store) SourceByURL(url string) (storage.Source, error) {
	var src storage.Source
	err := s.db.View(func(tx *bbolt.Tx) error {
		idv := tx.Bucket([]byte(bucketSourceURLs)).Get([]byte(url))
		if idv == nil {
			return fmt.Errorf("source %s: %w", url, storage.ErrNotFound)
		}
		id, ok := u64(idv)
		if !ok {
			return fmt.Errorf("%s %q: malformed value %x", bucketSourceURLs, url, idv)
		}
		var err error
		src, err = getSource(tx, id)
		return err
	})
	return src, err
}

// Sources returns every source, ordered by ID.
func (s *Store) Sources() ([]storage.Source, error) {
	var out []storage.Source
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(bucketSources)).ForEach(func(k, v []byte) error {
			src, err := decodeSource(k, v)
			if err != nil {
				return err
			}
			out = append(out, src)
			return nil
		})
	})
	return out, err
}

// getSource loads a source inside a transaction (ErrNotFound if none).
func getSource(tx *bbolt.Tx, id uint64) (storage.Source, error) {
	k := u64key(id)
	v := tx.Bucket([]byte(bucketSources)).Get(k)
	if v == nil {
		return storage.Source{}, fmt.Errorf("source %d: %w", id, storage.ErrNotFound)
	}
	return decodeSource(k, v)
}

func putSource(tx *bbolt.Tx, src storage.Source) error {
	v, err := encodeValue(src)
	if err != nil {
		return fmt.Errorf("encode source %d: %w", src.ID, err)
	}
	return tx.Bucket([]byte(bucketSources)).Put(u64key(src.ID), v)
}
