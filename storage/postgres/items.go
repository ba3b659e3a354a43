package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/feedmill/feedmill/storage"
	"github.com/jackc/pgx/v5"
)

// querier is a pool, a connection or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// encodeItem is the item's doc: its JSON, HTML unescaped.
func encodeItem(it *storage.Item) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(it); err != nil {
		return nil, fmt.Errorf("encode item %d: %w", it.ID, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// itemColumns are the columns scanItem reads, in its order.
const itemColumns = `id, source_id, key, story, doc`

// scanItem reads a row of itemColumns, then of extra's.
func scanItem(row pgx.Row, extra ...any) (storage.Item, error) {
	var (
		it                storage.Item
		id, source, story int64
		key               string
		doc               []byte
	)
	if err := row.Scan(append([]any{&id, &source, &key, &story, &doc}, extra...)...); err != nil {
		return it, err
	}
	if err := json.Unmarshal(doc, &it); err != nil {
		return it, fmt.Errorf("item %d: %w", id, err)
	}
	it.ID, it.SourceID, it.Key, it.Story = uint64(id), uint64(source), key, uint64(story)
	return it, nil
}

// leadOf is a lead as PostgreSQL stores it (integer[]; nil = NULL).
func leadOf(lead []uint32) []int32 {
	if lead == nil {
		return nil
	}
	out := make([]int32, len(lead))
	for i, h := range lead {
		out[i] = int32(h)
	}
	return out
}

// leadFrom appends a stored lead to dst.
func leadFrom(dst []uint32, lead []int32) []uint32 {
	for _, h := range lead {
		dst = append(dst, uint32(h))
	}
	return dst
}

// Item returns one item by ID.
func (s *Store) Item(id uint64) (storage.Item, error) {
	it, err := scanItem(s.pool.QueryRow(context.Background(), `SELECT `+itemColumns+` FROM items WHERE id = $1`, int64(id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return it, fmt.Errorf("item %d: %w", id, storage.ErrNotFound)
	}
	if err != nil {
		return it, fmt.Errorf("item %d in %s: %w", id, s.name, err)
	}
	return it, nil
}

// KnownRaw reports which of a source's items the store holds under the
// same identity (Item.Key) with the same RawHash; an item with either
// empty is not known.
func (s *Store) KnownRaw(sourceID uint64, items []storage.Item) []bool {
	known := make([]bool, len(items))
	keys := make([]string, 0, len(items))
	for _, it := range items {
		if it.Key != "" && it.RawHash != 0 {
			keys = append(keys, it.Key)
		}
	}
	if len(keys) == 0 {
		return known
	}
	raw := make(map[string]uint64, len(keys))
	rows, err := s.pool.Query(context.Background(), `SELECT key, raw_hash FROM items WHERE source_id = $1 AND key = ANY($2)`, int64(sourceID), keys)
	if err != nil {
		return known
	}
	for rows.Next() {
		var k string
		var h int64
		if rows.Scan(&k, &h) == nil {
			raw[k] = uint64(h)
		}
	}
	rows.Close()
	for i, it := range items {
		known[i] = it.Key != "" && it.RawHash != 0 && raw[it.Key] == it.RawHash
	}
	return known
}

// Items calls fn with the items q selects, newest Published first (ties
// by newest ID), until fn returns false. It reads in chunks (64 items,
// doubling up to 1,024), each one query, and calls fn outside any: fn
// may call the store. A write that commits between two chunks shows in
// the later one only; the order never goes backwards.
func (s *Store) Items(q storage.Query, fn func(storage.Item) bool) error {
	if q.SourceIDs != nil && len(q.SourceIDs) == 0 {
		return nil
	}
	var since int64
	if !q.Since.IsZero() {
		since = pubNanos(q.Since)
	}
	lastPub, lastID := int64(math.MaxInt64), int64(math.MaxInt64)
	for limit := 64; ; limit = min(limit*2, 1024) {
		chunk, err := s.itemChunk(q.SourceIDs, since, lastPub, lastID, limit)
		if err != nil {
			return fmt.Errorf("items in %s: %w", s.name, err)
		}
		for _, c := range chunk {
			if !q.Since.IsZero() && c.it.Published.Before(q.Since) {
				return nil
			}
			if !fn(c.it) {
				return nil
			}
			lastPub, lastID = c.pub, int64(c.it.ID)
		}
		if len(chunk) < limit {
			return nil
		}
	}
}

// chunkItem is an item read by itemChunk with its stored published time.
type chunkItem struct {
	it  storage.Item
	pub int64
}

// itemChunk reads up to limit items before (lastPub, lastID), newest
// first, of the sources (nil = all) published at or after since.
func (s *Store) itemChunk(sources []uint64, since, lastPub, lastID int64, limit int) ([]chunkItem, error) {
	var rows pgx.Rows
	var err error
	ctx := context.Background()
	if sources == nil {
		rows, err = s.pool.Query(ctx, `SELECT `+itemColumns+`, published_ns FROM items
			WHERE (published_ns, id) < ($1, $2) AND published_ns >= $3
			ORDER BY published_ns DESC, id DESC LIMIT $4`, lastPub, lastID, since, limit)
	} else {
		rows, err = s.pool.Query(ctx, `SELECT i.* FROM unnest($5::bigint[]) AS q(id)
			CROSS JOIN LATERAL (SELECT `+itemColumns+`, published_ns FROM items
				WHERE source_id = q.id AND (published_ns, id) < ($1, $2) AND published_ns >= $3
				ORDER BY published_ns DESC, id DESC LIMIT $4) i
			ORDER BY i.published_ns DESC, i.id DESC LIMIT $4`, lastPub, lastID, since, limit, uniqueIDs(sources))
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []chunkItem
	for rows.Next() {
		var c chunkItem
		var err error
		if c.it, err = scanItem(rows, &c.pub); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// uniqueIDs is in without repeats, as int64s.
func uniqueIDs(in []uint64) []int64 {
	seen := make(map[uint64]bool, len(in))
	out := make([]int64, 0, len(in))
	for _, id := range in {
		if !seen[id] {
			seen[id] = true
			out = append(out, int64(id))
		}
	}
	return out
}

// scanDoc decodes an item's doc alone.
func scanDoc(doc []byte) (storage.Item, error) {
	var it storage.Item
	if err := json.Unmarshal(doc, &it); err != nil {
		return it, fmt.Errorf("item doc: %w", err)
	}
	return it, nil
}
