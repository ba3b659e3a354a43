package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/internal/similar"
	"github.com/jackc/pgx/v5"
)

// The near-duplicate index: table neardup holds one row per indexed item
// and LSH key (similar.Keys) with what a lookup confirms a candidate by
// (published time, source, story, fingerprint); the item's lead, which
// confirms a candidate found through a MinHash, is read from items.lead.
// Rows are partitioned by day of published time, so that a lookup's
// window touches a few partitions.

// slots is how many rows neardup_slots has: a key's slot is k mod slots.
const slots = 4096

// textOf is what the rules look at of an item.
func textOf(it *storage.Item) similar.Text {
	return similar.Text{Fingerprint: it.Fingerprint, Lead: it.Lead}
}

// storyOf is the story an item belongs to: Story, else its own ID.
func storyOf(it *storage.Item) uint64 {
	if it.Story != 0 {
		return it.Story
	}
	return it.ID
}

// keysOf are an item's keys as PostgreSQL stores them.
func keysOf(it *storage.Item) []int64 {
	ks := similar.Keys(textOf(it))
	out := make([]int64, len(ks))
	for i, k := range ks {
		out[i] = int64(k)
	}
	return out
}

// queueNearDup queues the rows of an item (ID and Story set).
func queueNearDup(batch *pgx.Batch, it *storage.Item) {
	if !textOf(it).Indexed() {
		return
	}
	batch.Queue(`INSERT INTO neardup (k, published_ns, item_id, source_id, story, fp)
		SELECT k, $2, $3, $4, $5, $6 FROM unnest($1::bigint[]) AS k`,
		keysOf(it), pubNanos(it.Published), int64(it.ID), int64(it.SourceID), int64(storyOf(it)), int64(it.Fingerprint))
}

// lockSlots locks the slots of the items' keys, in order: a concurrent
// writer of an item sharing a key waits until this transaction commits,
// then finds its rows.
func lockSlots(ctx context.Context, tx pgx.Tx, items []*storage.Item) error {
	var ss []int32
	for _, it := range items {
		for _, k := range keysOf(it) {
			ss = append(ss, int32(k%slots))
		}
	}
	if len(ss) == 0 {
		return nil
	}
	slices.Sort(ss)
	ss = slices.Compact(ss)
	_, err := tx.Exec(ctx, `SELECT slot FROM neardup_slots WHERE slot = ANY($1) ORDER BY slot FOR UPDATE`, ss)
	return err
}

// assignStories gives each new item (ID set, Story 0 unless it has one)
// the story of its best match among other sources' items, under the
// slots' locks.
func assignStories(ctx context.Context, tx pgx.Tx, items []*storage.Item) error {
	var look []*storage.Item
	for _, it := range items {
		if it.Story == 0 && textOf(it).Indexed() {
			look = append(look, it)
		}
	}
	if len(look) == 0 {
		return nil
	}
	if err := lockSlots(ctx, tx, look); err != nil {
		return err
	}
	matches, err := findStories(ctx, tx, look)
	if err != nil {
		return err
	}
	for i, it := range look {
		if m, ok := matches[i]; ok {
			it.Story = m.Story
		}
	}
	return nil
}

// findStories looks up the best match of each item, by its index in
// items.
func findStories(ctx context.Context, tx pgx.Tx, items []*storage.Item) (map[int]similar.Match, error) {
	cands, err := candidates(ctx, tx, items)
	if err != nil {
		return nil, err
	}
	recs, err := records(ctx, tx, items, cands)
	if err != nil {
		return nil, err
	}
	out := make(map[int]similar.Match)
	for i, it := range items {
		record := func(id uint64, buf []uint32) (similar.Record, bool) {
			r, ok := recs[id]
			r.Lead = append(buf, r.Lead...)
			return r, ok
		}
		if m, ok := similar.Choose(cands[i], it.SourceID, uint64(pubNanos(it.Published)), it.Lead, record); ok {
			out[i] = m
		}
	}
	return out, nil
}

// candidates finds, for each item by index, the candidates its keys
// give: per key the oldest MaxCandidatesPerKey rows of other sources in
// its window that match (a band's within MaxSimDistance).
func candidates(ctx context.Context, tx pgx.Tx, items []*storage.Item) (map[int][]similar.Cand, error) {
	var qi []int32
	var qk, qlo, qhi, qfp, qsrc, qself []int64
	for i, it := range items {
		lo, hi := similar.WindowOf(uint64(pubNanos(it.Published)))
		for _, k := range similar.Keys(textOf(it)) {
			fp := int64(0)
			if k.Sim() {
				fp = int64(it.Fingerprint)
			}
			qi, qk, qfp = append(qi, int32(i)), append(qk, int64(k)), append(qfp, fp)
			qlo, qhi = append(qlo, int64(min(lo, math.MaxInt64))), append(qhi, int64(min(hi, math.MaxInt64)))
			qsrc, qself = append(qsrc, int64(it.SourceID)), append(qself, int64(it.ID))
		}
	}
	rows, err := tx.Query(ctx, `SELECT q.i, q.fp <> 0, c.item_id, c.story, c.fp
		FROM unnest($1::int[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[])
			AS q(i, k, lo, hi, fp, src, self)
		CROSS JOIN LATERAL (SELECT n.item_id, n.story, n.fp FROM neardup n
			WHERE n.k = q.k AND n.published_ns BETWEEN q.lo AND q.hi AND n.source_id <> q.src AND n.item_id <> q.self
				AND (q.fp = 0 OR bit_count(int8send(n.fp # q.fp)) <= $8)
			ORDER BY n.published_ns, n.item_id LIMIT $9) c`,
		qi, qk, qlo, qhi, qfp, qsrc, qself, similar.MaxSimDistance, similar.MaxCandidatesPerKey)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[int][]similar.Cand)
	for rows.Next() {
		var (
			i             int32
			sim           bool
			id, story, fp int64
		)
		if err := rows.Scan(&i, &sim, &id, &story, &fp); err != nil {
			return nil, err
		}
		c := similar.Cand{ID: uint64(id), ByLead: !sim}
		if sim {
			c.BySim, c.Story, c.Distance = true, uint64(story), similar.Distance(uint64(fp), items[i].Fingerprint)
		}
		out[int(i)] = similar.AddCand(out[int(i)], c)
	}
	return out, rows.Err()
}

// records reads the records of the candidates Choose will need.
func records(ctx context.Context, q querier, items []*storage.Item, cands map[int][]similar.Cand) (map[uint64]similar.Record, error) {
	var want []int64
	for i := range items {
		for _, c := range cands[i] {
			if similar.NeedsRecord(c, len(cands[i])) {
				want = append(want, int64(c.ID))
			}
		}
	}
	out := make(map[uint64]similar.Record)
	if len(want) == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, `SELECT id, source_id, published_ns, story, lead FROM items WHERE id = ANY($1)`, want)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, src, pub, story int64
		var lead []int32
		if err := rows.Scan(&id, &src, &pub, &story, &lead); err != nil {
			return nil, err
		}
		out[uint64(id)] = similar.Record{Source: uint64(src), Published: uint64(pub), Story: uint64(story), Lead: leadFrom(nil, lead)}
	}
	return out, rows.Err()
}

// Similarity compares two stored items as story assignment does; an item
// the store does not hold compares as one without text.
func (s *Store) Similarity(a, b uint64) (storage.Similarity, error) {
	var texts [2]similar.Text
	for i, id := range []uint64{a, b} {
		var fp int64
		var lead []int32
		err := s.pool.QueryRow(context.Background(), `SELECT fp, lead FROM items WHERE id = $1`, int64(id)).Scan(&fp, &lead)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return storage.Similarity{}, fmt.Errorf("similarity of items %d and %d in %s: %w", a, b, s.name, err)
		}
		texts[i] = similar.Text{Fingerprint: uint64(fp), Lead: leadFrom(nil, lead)}
		if !texts[i].Indexed() {
			texts[i] = similar.Text{}
		}
	}
	return storage.Similarity(similar.Compare(texts[0], texts[1])), nil
}

// partitionDays is how many days ahead of today ensurePartitions keeps
// daily partitions of neardup.
const partitionDays = 3

// ensurePartitions creates the daily partitions of neardup from MaxAge
// (or partitionDays) ago to partitionDays ahead that are missing. A day
// whose rows went to the DEFAULT partition meanwhile keeps them there.
func (s *Store) ensurePartitions(ctx context.Context) error {
	back := s.ret.MaxAge
	if back <= 0 {
		back = partitionDays * 24 * time.Hour
	}
	now := s.now().UTC()
	first := now.Add(-back).Truncate(24 * time.Hour)
	last := now.Truncate(24*time.Hour).AddDate(0, 0, partitionDays)
	for day := first; !day.After(last); day = day.AddDate(0, 0, 1) {
		name := "neardup_" + day.Format("20060102")
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock+1); err != nil {
				return err
			}
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&exists); err != nil || exists {
				return err
			}
			_, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TABLE %s PARTITION OF neardup FOR VALUES FROM (%d) TO (%d)`,
				name, day.UnixNano(), day.AddDate(0, 0, 1).UnixNano()))
			return err
		})
		if err != nil {
			s.log.Debug("near-duplicate partition not created", "partition", name, "err", err)
		}
	}
	return nil
}
