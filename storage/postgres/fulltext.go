package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/feedmill/feedmill/storage"
	"github.com/jackc/pgx/v5"
)

// RecordFullText applies a FullTextResult to its item in place, as
// storage/bolt does: the same ID, FirstSeen, Story and Hash; a fetched
// story becomes the item's Content, the index takes its text (a lone
// item looks for its story again), and Updated moves. It reports whether
// the result was applied (false when the item's Hash differs). A removed
// item is ErrNotFound.
func (s *Store) RecordFullText(ctx context.Context, r storage.FullTextResult) (bool, error) {
	now := s.now()
	var (
		applied bool
		vis     int64
		source  uint64
	)
	err := s.write(ctx, func(tx pgx.Tx) error {
		applied, vis = false, 0
		it, err := lockItem(ctx, tx, r.ItemID)
		if err != nil || it.Hash != r.Hash {
			return err
		}
		source = it.SourceID
		ft := r.FullText
		it.FullText = &ft
		if ft.Fetched {
			r.Apply(&it, now)
			if err := refileStory(ctx, tx, &it); err != nil {
				return err
			}
		}
		applied = true
		vis, err = saveItem(ctx, tx, &it, ft.Fetched)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("record full text of item %d: %w", r.ItemID, err)
	}
	if vis != 0 {
		s.changed(source, vis)
	}
	return applied, nil
}

// lockItem locks an item's source's row, then the item's, and reads the
// item with its Lead (locks in the order every writer takes them).
func lockItem(ctx context.Context, tx pgx.Tx, id uint64) (storage.Item, error) {
	var source int64
	err := tx.QueryRow(ctx, `SELECT source_id FROM items WHERE id = $1`, int64(id)).Scan(&source)
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.Item{}, storage.ErrNotFound
	}
	if err != nil {
		return storage.Item{}, err
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM sources WHERE id = $1 FOR UPDATE`, source); err != nil {
		return storage.Item{}, err
	}
	var lead []int32
	it, err := scanItem(tx.QueryRow(ctx, `SELECT `+itemColumns+`, lead FROM items WHERE id = $1 FOR UPDATE`, int64(id)), &lead)
	if errors.Is(err, pgx.ErrNoRows) {
		return it, storage.ErrNotFound
	}
	it.Lead = leadFrom(nil, lead)
	return it, err
}

// saveItem writes an item's body and text in place; when visible it bumps
// its source's vis and returns it.
func saveItem(ctx context.Context, tx pgx.Tx, it *storage.Item, visible bool) (int64, error) {
	doc, err := encodeItem(it)
	if err != nil {
		return 0, err
	}
	_, err = tx.Exec(ctx, `UPDATE items SET updated_ns = $2, story = $3, fp = $4, lead = $5, doc = $6 WHERE id = $1`,
		int64(it.ID), pubNanos(it.Updated), int64(it.Story), int64(it.Fingerprint), leadOf(it.Lead), doc)
	if err != nil || !visible {
		return 0, err
	}
	var vis int64
	err = tx.QueryRow(ctx, `UPDATE sources SET vis = vis + 1, txid = pg_current_xact_id() WHERE id = $1 RETURNING vis`,
		int64(it.SourceID)).Scan(&vis)
	return vis, err
}

// refileStory indexes again an item whose text changed in place. A lone
// item (its own story, nothing joined it) looks for its story again with
// its new text; any other keeps its story.
func refileStory(ctx context.Context, tx pgx.Tx, it *storage.Item) error {
	lone := false
	if it.Story == 0 {
		joined, err := isJoined(ctx, tx, it.ID)
		if err != nil {
			return err
		}
		lone = !joined
	}
	if _, err := tx.Exec(ctx, `DELETE FROM neardup WHERE item_id = $1`, int64(it.ID)); err != nil {
		return err
	}
	if lone {
		if err := assignStories(ctx, tx, []*storage.Item{it}); err != nil {
			return err
		}
	}
	batch := &pgx.Batch{}
	queueNearDup(batch, it)
	return sendBatch(ctx, tx, batch)
}

// isJoined reports whether another item joined the story of item id
// directly: a candidate of id's own indexed text (another source, in the
// window, sharing a key and matching) whose story is id.
func isJoined(ctx context.Context, tx pgx.Tx, id uint64) (bool, error) {
	var lead []int32
	var fp, src, pub int64
	err := tx.QueryRow(ctx, `SELECT i.fp, i.lead, i.source_id, i.published_ns FROM items i
		WHERE i.id = $1 AND EXISTS (SELECT 1 FROM neardup n WHERE n.item_id = i.id)`, int64(id)).Scan(&fp, &lead, &src, &pub)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil // not indexed
	}
	if err != nil {
		return false, err
	}
	self := &storage.Item{ID: id, SourceID: uint64(src), Fingerprint: uint64(fp), Lead: leadFrom(nil, lead), Published: time.Unix(0, pub)}
	cands, err := candidates(ctx, tx, []*storage.Item{self})
	if err != nil {
		return false, err
	}
	for _, c := range cands[0] {
		story := int64(c.Story)
		if !c.BySim {
			if err := tx.QueryRow(ctx, `SELECT story FROM items WHERE id = $1`, int64(c.ID)).Scan(&story); err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return false, err
			}
		}
		if uint64(story) == id {
			return true, nil
		}
	}
	return false, nil
}
