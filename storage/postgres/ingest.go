package postgres

import (
	"context"
	"time"

	"github.com/feedmill/feedmill/storage"
	"github.com/jackc/pgx/v5"
)

// storedItem is what ingestItems reads of an item the source has.
type storedItem struct {
	id, hash, rawHash, story int64
	published, updated       int64
	doc                      []byte
}

// known reads the stored items and tombstones of a source's keys.
func known(ctx context.Context, tx pgx.Tx, sourceID int64, keys []string) (map[string]storedItem, map[string]bool, error) {
	items := make(map[string]storedItem)
	tombs := make(map[string]bool)
	if len(keys) == 0 {
		return items, tombs, nil
	}
	rows, err := tx.Query(ctx, `SELECT key, id, hash, raw_hash, story, published_ns, updated_ns, doc
		FROM items WHERE source_id = $1 AND key = ANY($2)`, sourceID, keys)
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var k string
		var si storedItem
		if err := rows.Scan(&k, &si.id, &si.hash, &si.rawHash, &si.story, &si.published, &si.updated, &si.doc); err != nil {
			rows.Close()
			return nil, nil, err
		}
		items[k] = si
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	rows, err = tx.Query(ctx, `SELECT key FROM tombstones WHERE source_id = $1 AND key = ANY($2)`, sourceID, keys)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, nil, err
		}
		tombs[k] = true
	}
	return items, tombs, rows.Err()
}

// ingestItems stores a source's incoming items and tells what became of
// each, as storage/bolt does: repeats within the fetch, items older than
// MaxAge and tombstoned identities are not stored; a known identity is
// updated when its body changed; new items get their story and are added.
func (s *Store) ingestItems(ctx context.Context, tx pgx.Tx, sourceID uint64, incoming []storage.Item, now time.Time) (storage.Ingested, error) {
	var res storage.Ingested
	keys := make([]string, len(incoming))
	for i := range incoming {
		keys[i] = incoming[i].Key
	}
	stored, tombs, err := known(ctx, tx, int64(sourceID), keys)
	if err != nil {
		return res, err
	}
	var cutoff time.Time
	if s.ret.MaxAge > 0 {
		cutoff = now.Add(-s.ret.MaxAge)
	}
	batch := &pgx.Batch{}
	var adds []int
	seen := make(map[string]bool, len(incoming))
	for i := range incoming {
		it := &incoming[i]
		switch old, ok := stored[it.Key]; {
		case seen[it.Key]:
			res.Unchanged++
		case !cutoff.IsZero() && !it.Published.IsZero() && it.Published.Before(cutoff):
			res.Skipped++
		case it.Known:
			res.Unchanged++
		case tombs[it.Key] && !ok:
			res.Skipped++
		case !ok:
			adds = append(adds, i)
		default:
			updated, err := queueUpdate(batch, old, it, now)
			if err != nil {
				return res, err
			}
			if updated {
				res.Updated++
				res.Changed = append(res.Changed, storage.Changed{Index: i, ID: uint64(old.id)})
			} else {
				res.Unchanged++
			}
		}
		seen[it.Key] = true
	}
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return res, err
	}
	return res, s.addItems(ctx, tx, incoming, adds, now, &res)
}

// queueUpdate applies an incoming item to the stored item old of the same
// identity, queueing its writes: the body when its hash changed (same ID,
// FirstSeen and Story; Updated moves), else the raw hash when it changed.
// It reports whether the body changed.
func queueUpdate(batch *pgx.Batch, old storedItem, in *storage.Item, now time.Time) (bool, error) {
	if uint64(old.hash) == in.Hash {
		if in.RawHash != 0 && uint64(old.rawHash) != in.RawHash {
			batch.Queue(`UPDATE items SET raw_hash = $2 WHERE id = $1`, old.id, int64(in.RawHash))
		}
		return false, nil
	}
	prevItem, err := scanDoc(old.doc)
	if err != nil {
		return false, err
	}
	it := *in
	it.ID, it.FirstSeen, it.Story = uint64(old.id), prevItem.FirstSeen, uint64(old.story)
	if it.Published.IsZero() {
		it.Published = prevItem.Published
	}
	// The output's updated must move: take the feed's own date only when
	// it is later than anything the item showed before.
	prev := prevItem.Updated
	if prevItem.Published.After(prev) {
		prev = prevItem.Published
	}
	if in.Updated.After(prev) {
		it.Updated = in.Updated
	} else {
		it.Updated = now
	}
	raw := old.rawHash
	if it.RawHash != 0 {
		raw = int64(it.RawHash)
	}
	doc, err := encodeItem(&it)
	if err != nil {
		return false, err
	}
	batch.Queue(`UPDATE items SET published_ns = $2, updated_ns = $3, hash = $4, raw_hash = $5, fp = $6, lead = $7, doc = $8
		WHERE id = $1`, old.id, pubNanos(it.Published), pubNanos(it.Updated), int64(it.Hash), raw,
		int64(it.Fingerprint), leadOf(it.Lead), doc)
	batch.Queue(`DELETE FROM neardup WHERE item_id = $1`, old.id)
	queueNearDup(batch, &it)
	return true, nil
}

// addItems adds the incoming items at indexes adds: IDs, FirstSeen,
// Published when they have none, stories; then the rows.
func (s *Store) addItems(ctx context.Context, tx pgx.Tx, incoming []storage.Item, adds []int, now time.Time, res *storage.Ingested) error {
	if len(adds) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT nextval(pg_get_serial_sequence('items', 'id')) FROM generate_series(1, $1) ORDER BY 1`, len(adds))
	if err != nil {
		return err
	}
	newIDs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	fresh := make([]*storage.Item, len(adds))
	for j, i := range adds {
		it := &incoming[i]
		it.ID, it.FirstSeen = uint64(newIDs[j]), now
		if it.Published.IsZero() {
			it.Published = now
		}
		fresh[j] = it
	}
	if err := assignStories(ctx, tx, fresh); err != nil {
		return err
	}
	batch := &pgx.Batch{}
	for j, it := range fresh {
		if err := queueInsert(batch, it); err != nil {
			return err
		}
		res.Added++
		res.Changed = append(res.Changed, storage.Changed{Index: adds[j], ID: it.ID, Added: true})
	}
	return tx.SendBatch(ctx, batch).Close()
}

// queueInsert queues the rows of a new item: the item and its
// near-duplicate rows.
func queueInsert(batch *pgx.Batch, it *storage.Item) error {
	doc, err := encodeItem(it)
	if err != nil {
		return err
	}
	batch.Queue(`INSERT INTO items (id, source_id, key, published_ns, updated_ns, first_seen_ns, hash, raw_hash, story, fp, lead, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		int64(it.ID), int64(it.SourceID), it.Key, pubNanos(it.Published), pubNanos(it.Updated), pubNanos(it.FirstSeen),
		int64(it.Hash), int64(it.RawHash), int64(it.Story), int64(it.Fingerprint), leadOf(it.Lead), doc)
	queueNearDup(batch, it)
	return nil
}

// trimSource removes the n oldest items of a source (by published time).
func trimSource(ctx context.Context, tx pgx.Tx, sourceID int64, n int, now time.Time) (int, error) {
	rows, err := tx.Query(ctx, `SELECT id FROM items WHERE source_id = $1 ORDER BY published_ns, id LIMIT $2`, sourceID, n)
	if err != nil {
		return 0, err
	}
	victims, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, err
	}
	return len(victims), removeItems(ctx, tx, victims, now)
}

// removeItems deletes items with their near-duplicate rows and leaves a
// tombstone under each identity, dated the later of its published time
// and now (tombstones are purged MaxAge after that).
func removeItems(ctx context.Context, tx pgx.Tx, victims []int64, now time.Time) error {
	if len(victims) == 0 {
		return nil
	}
	batch := &pgx.Batch{}
	batch.Queue(`DELETE FROM neardup WHERE item_id = ANY($1)`, victims)
	batch.Queue(`WITH gone AS (DELETE FROM items WHERE id = ANY($1) RETURNING source_id, key, published_ns)
		INSERT INTO tombstones (source_id, key, at_ns)
		SELECT source_id, key, GREATEST(published_ns, $2) FROM gone
		ON CONFLICT (source_id, key) DO UPDATE SET at_ns = excluded.at_ns`, victims, pubNanos(now))
	return tx.SendBatch(ctx, batch).Close()
}
