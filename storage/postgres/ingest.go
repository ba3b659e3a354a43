package postgres

import (
	"context"
	"strconv"
	"time"

	"github.com/feedmill/feedmill/storage"
	"github.com/jackc/pgx/v5"
)

// storedItem is what ingestItems reads of an item the source has.
type storedItem struct {
	id, hash, rawHash, story int64
	doc                      []byte
}

// known reads the stored items and tombstones of a source's incoming
// items (the first of each key, unless marked Known), in one query; an item's doc only where
// its hash differs from the incoming one's (an update).
func known(ctx context.Context, tx pgx.Tx, sourceID int64, incoming []storage.Item) (map[string]storedItem, map[string]bool, error) {
	items := make(map[string]storedItem)
	tombs := make(map[string]bool)
	var keys []string
	var hashes []int64
	seen := make(map[string]bool, len(incoming))
	for _, it := range incoming {
		if !seen[it.Key] && !it.Known {
			keys, hashes = append(keys, it.Key), append(hashes, int64(it.Hash))
		}
		seen[it.Key] = true
	}
	if len(keys) == 0 {
		return items, tombs, nil
	}
	rows, err := tx.Query(ctx, `SELECT i.key, i.id, i.hash, i.raw_hash, i.story, CASE WHEN i.hash = q.hash THEN NULL ELSE i.doc END
			FROM unnest($2::text[], $3::bigint[]) AS q(key, hash) JOIN items i ON i.source_id = $1 AND i.key = q.key
		UNION ALL
		SELECT key, 0, 0, 0, 0, NULL FROM tombstones WHERE source_id = $1 AND key = ANY($2)`, sourceID, keys, hashes)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var si storedItem
		if err := rows.Scan(&k, &si.id, &si.hash, &si.rawHash, &si.story, &si.doc); err != nil {
			return nil, nil, err
		}
		if si.id == 0 {
			tombs[k] = true
		} else {
			items[k] = si
		}
	}
	return items, tombs, rows.Err()
}

// ingestItems stores a source's incoming items and tells what became of
// each, as storage/bolt does: repeats within the fetch, items older than
// MaxAge and tombstoned identities are not stored; a known identity is
// updated when its body changed; new items get their story and are added.
func (s *Store) ingestItems(ctx context.Context, tx pgx.Tx, sourceID uint64, incoming []storage.Item, now time.Time) (storage.Ingested, error) {
	var res storage.Ingested
	stored, tombs, err := known(ctx, tx, int64(sourceID), incoming)
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
	if err := sendBatch(ctx, tx, batch); err != nil {
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
	prevItem.ID, prevItem.Story = uint64(old.id), uint64(old.story)
	it := storage.Revise(prevItem, *in, now)
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
	if err := queueInserts(batch, fresh); err != nil {
		return err
	}
	for j, it := range fresh {
		res.Added++
		res.Changed = append(res.Changed, storage.Changed{Index: adds[j], ID: it.ID, Added: true})
	}
	return sendBatch(ctx, tx, batch)
}

// queueInsert queues the rows of a new item: the item and its
// near-duplicate rows.
func queueInsert(batch *pgx.Batch, it *storage.Item) error {
	return queueInserts(batch, []*storage.Item{it})
}

// queueInserts queues the rows of new items as two statements: the
// items, then their near-duplicate rows.
func queueInserts(batch *pgx.Batch, items []*storage.Item) error {
	n := len(items)
	var (
		id, src, pub, upd, seen, hash, raw, story, fp = make([]int64, n), make([]int64, n), make([]int64, n),
			make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		keys  = make([]string, n)
		leads = make([]*string, n)
		docs  = make([][]byte, n)
	)
	for i, it := range items {
		doc, err := encodeItem(it)
		if err != nil {
			return err
		}
		id[i], src[i], keys[i], docs[i] = int64(it.ID), int64(it.SourceID), it.Key, doc
		pub[i], upd[i], seen[i] = pubNanos(it.Published), pubNanos(it.Updated), pubNanos(it.FirstSeen)
		hash[i], raw[i], story[i], fp[i] = int64(it.Hash), int64(it.RawHash), int64(it.Story), int64(it.Fingerprint)
		leads[i] = leadLiteral(it.Lead)
	}
	batch.Queue(`INSERT INTO items (id, source_id, key, published_ns, updated_ns, first_seen_ns, hash, raw_hash, story, fp, lead, doc)
		SELECT id, src, key, pub, upd, seen, hash, raw, story, fp, lead::integer[], doc
		FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[],
			$8::bigint[], $9::bigint[], $10::bigint[], $11::text[], $12::bytea[])
			AS u(id, src, key, pub, upd, seen, hash, raw, story, fp, lead, doc)`,
		id, src, keys, pub, upd, seen, hash, raw, story, fp, leads, docs)
	queueNearDups(batch, items)
	return nil
}

// leadLiteral is a lead as an integer[] literal; nil for none.
func leadLiteral(lead []uint32) *string {
	if lead == nil {
		return nil
	}
	b := make([]byte, 0, 12*len(lead)+2)
	b = append(b, '{')
	for i, h := range lead {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(int32(h)), 10)
	}
	l := string(append(b, '}'))
	return &l
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
	return sendBatch(ctx, tx, batch)
}

// sendBatch sends the queued statements, if any, in one round trip.
func sendBatch(ctx context.Context, tx pgx.Tx, batch *pgx.Batch) error {
	if batch.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, batch).Close()
}
