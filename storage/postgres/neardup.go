package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/internal/similar"
	"github.com/jackc/pgx/v5"
)

// The near-duplicate index: table neardup holds one row per indexed item
// and LSH key (similar.Keys) with what a lookup confirms a candidate by
// (published time, source, story, fingerprint); the item's lead, which
// confirms a candidate found through a MinHash, is read from items.lead.
// Rows are partitioned by week of published time (upkeep.go), so that a
// lookup's window touches one or two partitions.

// slots is how many rows neardup_slots has (sql/0002): a key's slot is k
// mod slots. Copies of a story share a key, so they share its slot.
const slots = 1 << 18

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
func queueNearDup(batch *pgx.Batch, it *storage.Item) { queueNearDups(batch, []*storage.Item{it}) }

// queueNearDups queues the rows of items (IDs and Stories set) as one
// statement.
func queueNearDups(batch *pgx.Batch, items []*storage.Item) {
	var k, pub, id, src, story, fp []int64
	for _, it := range items {
		if !textOf(it).Indexed() {
			continue
		}
		for _, key := range keysOf(it) {
			k, pub, id = append(k, key), append(pub, pubNanos(it.Published)), append(id, int64(it.ID))
			src, story, fp = append(src, int64(it.SourceID)), append(story, int64(storyOf(it))), append(fp, int64(it.Fingerprint))
		}
	}
	if len(k) == 0 {
		return
	}
	batch.Queue(`INSERT INTO neardup (k, published_ns, item_id, source_id, story, fp)
		SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[])`,
		k, pub, id, src, story, fp)
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

// candidatesSQL finds the candidates of several items' keys, as rows
// (item index, by band, candidate ID, story, fingerprint): per key the
// oldest MaxCandidatesPerKey rows of other sources in its window that
// match (a band's within MaxSimDistance). Its arguments are
// candidateArgs'.
const candidatesSQL = `SELECT q.i, q.fp <> 0, c.item_id, c.story, c.fp
	FROM unnest($1::int[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[])
		AS q(i, k, lo, hi, fp, src, self)
	CROSS JOIN LATERAL (SELECT n.item_id, n.story, n.fp FROM neardup n
		WHERE n.k = q.k AND n.published_ns BETWEEN q.lo AND q.hi AND n.source_id <> q.src AND n.item_id <> q.self
			AND (q.fp = 0 OR bit_count(int8send(n.fp # q.fp)) <= $8)
		ORDER BY n.published_ns, n.item_id LIMIT $9) c`

// candidateArgs are candidatesSQL's arguments for items: one row per
// item and key.
func candidateArgs(items []*storage.Item) []any {
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
	return []any{qi, qk, qlo, qhi, qfp, qsrc, qself, similar.MaxSimDistance, similar.MaxCandidatesPerKey}
}

// candidates finds, for each item by index, the candidates its keys give
// (candidatesSQL).
func candidates(ctx context.Context, tx pgx.Tx, items []*storage.Item) (map[int][]similar.Cand, error) {
	rows, err := tx.Query(ctx, candidatesSQL, candidateArgs(items)...)
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
