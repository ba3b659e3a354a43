package neardup

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
)

// Groups and shards of the near-duplicate index (index.go has the key
// layout).
//
// A group holds the entries of one key (a SimHash band value or the low 16
// bits of a lead MinHash) sorted by (published, itemID), column by column.
// A shard is the 256 groups of one family whose key values share their
// high byte, stored under two keys: its base, the groups merged so far
// behind a directory, and its pending value, one group of the entries
// (and tombstones) added to any of its 256 groups since the last merge.

const (
	shardGroups  = 256
	shardDirSize = 4 * shardGroups // the base's directory: each group's end, uint32
	// A shard's keys, in key order: its base between fenceKeys empty
	// keys on either side, then its pending value. bbolt writes a leaf
	// whole when any of its keys changes, and a base must not share a
	// leaf with a pending value, or every insert into the shard writes the
	// base again. bbolt puts at least two keys in a leaf and never splits
	// a node of four keys or fewer: with three fences a side, a node
	// holding a base and any pending value has at least five keys, and the
	// split puts the base with its fences alone (TestShardLeafLayout walks
	// the pages). The fences never change, so a base is written only when
	// it is merged.
	fenceKeys   = 3
	partBase    = 'B' // fences before: 'B'-3 .. 'B'-1; after: 'B'+1 .. 'B'+3
	partPending = 'P'
	// A shard's pending entries are merged into its base when there are
	// mergeMinPending of them, or one per mergeBytesPerEntry of base if
	// that is more (at most mergeMaxPending): a merge rewrites the base,
	// so each entry costs at most mergeBytesPerEntry of base written, and
	// the pending value a lookup scans stays small however large the store.
	mergeMinPending    = 64
	mergeMaxPending    = 256
	mergeBytesPerEntry = 4096
	// tombSource marks a tombstone in a pending value: the entry of the
	// same item ID in the base is deleted. No source has this ID (IDs are
	// handed out from 1 up). A tombstone's published is 0, so the
	// tombstones lead the value, where a lookup finds them without reading
	// the rest.
	tombSource = ^uint64(0)
)

// shardKey is the key of k's shard's base or pending value.
func (k *dedupKey) shardKey(part byte) [4]byte {
	return [4]byte{k.key[0] | 0x20, k.key[1], k.key[2], part}
}

// isFence reports whether part is one of a base's fences.
func isFence(part byte) bool {
	return part != partBase && part >= partBase-fenceKeys && part <= partBase+fenceKeys
}

// lo is k's group within its shard.
func (k *dedupKey) lo() int { return int(k.key[3]) }

// value16 is k's 16-bit key value (band value or MinHash low bits).
func (k *dedupKey) value16() uint16 { return binary.BigEndian.Uint16(k.key[2:]) }

// memberOf is the 16-bit key value of entry j of g, a group of family
// (kind, n): the entry's band value, or its MinHash's low 16 bits.
func memberOf(kind, n byte, g *group, j int) uint16 {
	if kind == 'S' {
		return uint16(g.u64(colMatch, j) >> (16 * uint(n)))
	}
	return uint16(binary.BigEndian.Uint32(g.field(colMatch, j)))
}

// entrySize is the width of one entry of the given columns.
func entrySize(cols []int) int {
	size := 0
	for _, w := range cols {
		size += w
	}
	return size
}

// group is a view of a group's value: a group of a base or a pending
// value (see the key layout in dedup.go).
type group struct {
	v    []byte
	cnt  int
	cols []int // column widths
	off  [5]int
}

// groupOf checks a group's value: whole entries of the given columns.
func groupOf(k, v []byte, cols []int) (group, error) {
	size := entrySize(cols)
	if len(v)%size != 0 {
		return group{}, fmt.Errorf("%s %x: malformed group of %d bytes", bucketDedup, k, len(v))
	}
	g := group{v: v, cnt: len(v) / size, cols: cols}
	for c := 1; c < len(cols); c++ {
		g.off[c] = g.off[c-1] + cols[c-1]*g.cnt
	}
	return g, nil
}

// field is column c of entry j.
func (g *group) field(c, j int) []byte {
	o := g.off[c] + g.cols[c]*j
	return g.v[o : o+g.cols[c]]
}

func (g *group) u64(c, j int) uint64 { return binary.BigEndian.Uint64(g.field(c, j)) }

// column is all of column c.
func (g *group) column(c int) []byte { return g.v[g.off[c] : g.off[c]+g.cols[c]*g.cnt] }

// with is a new value: the group without its first drop entries, with
// entry e (its fields in column order) inserted at index pos.
func (g *group) with(e []byte, pos, drop int) []byte {
	return g.appendWith(make([]byte, 0, len(g.v)+len(e)), e, pos, drop)
}

// appendWith appends the value with to v.
func (g *group) appendWith(v, e []byte, pos, drop int) []byte {
	for c, w := range g.cols {
		col := g.column(c)
		v = append(v, col[w*drop:w*pos]...)
		v = append(v, e[:w]...)
		v = append(v, col[w*pos:]...)
		e = e[w:]
	}
	return v
}

// without is a new value: the group without entry j.
func (g *group) without(j int) []byte {
	v := make([]byte, 0, len(g.v))
	for c, w := range g.cols {
		col := g.column(c)
		v = append(v, col[:w*j]...)
		v = append(v, col[w*(j+1):]...)
	}
	return v
}

// insertEntry is the group's value with entry e in (published, itemID)
// order. A full group drops its oldest entry (maxGroupEntries); ok is
// false when e itself would be that one.
//
// A malformed group (its length is not a whole number of entries) is
// replaced by one holding e alone: the index is derived data, and a group
// that could never be read again would otherwise fail every batch that
// touches it. Check reports such groups.
func insertEntry(k, old, e []byte, cols []int) (v []byte, ok bool, err error) {
	g, pos, drop, ok := insertAt(k, old, e, cols)
	if !ok {
		return nil, false, nil
	}
	return g.with(e, pos, drop), true, nil
}

// insertAt is where insertEntry puts e: the group old as read (empty when
// malformed), the index, and how many of its oldest entries to drop.
func insertAt(k, old, e []byte, cols []int) (g group, pos, drop int, ok bool) {
	g, err := groupOf(k, old, cols)
	if err != nil {
		g, _ = groupOf(k, nil, cols)
	}
	pub, id := binary.BigEndian.Uint64(e), binary.BigEndian.Uint64(e[cols[colPub]+cols[colMatch]:])
	pos = sort.Search(g.cnt, func(j int) bool {
		p := g.u64(colPub, j)
		return p > pub || p == pub && g.u64(colID, j) > id
	})
	if g.cnt >= maxGroupEntries {
		if pos == 0 {
			return g, 0, 0, false
		}
		drop = 1
	}
	return g, pos, drop, true
}

// baseGroup is group lo of a shard base value (an empty group for a nil
// value); ok is false when the directory does not fit the value.
func baseGroup(v []byte, lo int) (g []byte, ok bool) {
	if v == nil {
		return nil, true
	}
	if len(v) < shardDirSize {
		return nil, false
	}
	var start uint32
	if lo > 0 {
		start = binary.BigEndian.Uint32(v[4*(lo-1):])
	}
	end := binary.BigEndian.Uint32(v[4*lo:])
	data := v[shardDirSize:]
	if start > end || uint64(end) > uint64(len(data)) {
		return nil, false
	}
	return data[start:end:end], true
}

// checkBase reports whether a base value is well formed: a directory
// whose groups are whole entries and end where the value ends.
func checkBase(k, v []byte, cols []int) error {
	if len(v) < shardDirSize {
		return fmt.Errorf("%s %x: malformed shard of %d bytes", bucketDedup, k, len(v))
	}
	var prev uint32
	for lo := range shardGroups {
		end := binary.BigEndian.Uint32(v[4*lo:])
		if end < prev || uint64(end) > uint64(len(v)-shardDirSize) {
			return fmt.Errorf("%s %x: malformed shard directory (group %d ends at %d)", bucketDedup, k, lo, end)
		}
		if _, err := groupOf(k, v[shardDirSize+prev:shardDirSize+end], cols); err != nil {
			return err
		}
		prev = end
	}
	if int(prev) != len(v)-shardDirSize {
		return fmt.Errorf("%s %x: malformed shard: %d bytes after its last group", bucketDedup, k, len(v)-shardDirSize-int(prev))
	}
	return nil
}

// mergeDue reports whether a pending value of n entries is to be merged
// into a base of baseLen bytes.
func mergeDue(n, baseLen int) bool {
	return n >= min(mergeMaxPending, max(mergeMinPending, baseLen/mergeBytesPerEntry))
}

// entryRef is entry j of group g.
type entryRef struct {
	g *group
	j int
}

// mergeShard is the base of k's shard after merging pending (a group
// value of entries and tombstones of the shard) into base: each group's
// base entries but those a tombstone deletes, and its pending entries, in
// (published, itemID) order, the newest maxGroupEntries of them. It is
// nil when the shard has no entries left. A malformed base or pending
// value counts as empty (the index is derived data; Check reports it).
func mergeShard(k *dedupKey, base, pend []byte) []byte {
	cols := k.columns()
	kind, n := k.key[0], k.key[1]
	if base != nil && checkBase(nil, base, cols) != nil {
		base = nil
	}
	pg, err := groupOf(nil, pend, cols)
	if err != nil {
		pg, _ = groupOf(nil, nil, cols)
	}
	// The pending entries by group, each group's in (published, itemID)
	// order (the stable sort keeps the value's order).
	idx := make([]int, 0, pg.cnt)
	for j := range pg.cnt {
		if byte(memberOf(kind, n, &pg, j)>>8) == k.key[2] { // else damaged: not of this shard
			idx = append(idx, j)
		}
	}
	lo := func(j int) int { return int(byte(memberOf(kind, n, &pg, j))) }
	slices.SortStableFunc(idx, func(a, b int) int { return lo(a) - lo(b) })
	out := make([]byte, shardDirSize, shardDirSize+len(base)+len(pend))
	var refs []entryRef
	var tombs []uint64
	p := 0
	for l := range shardGroups {
		q := p
		for q < len(idx) && lo(idx[q]) == l {
			q++
		}
		bv, _ := baseGroup(base, l)
		if q == p {
			out = append(out, bv...)
		} else {
			bg, _ := groupOf(nil, bv, cols)
			refs, tombs = refs[:0], tombs[:0]
			for _, j := range idx[p:q] {
				if pg.u64(colSrc, j) == tombSource {
					tombs = append(tombs, pg.u64(colID, j))
				} else {
					refs = append(refs, entryRef{&pg, j})
				}
			}
			for j := range bg.cnt {
				if !slices.Contains(tombs, bg.u64(colID, j)) {
					refs = append(refs, entryRef{&bg, j})
				}
			}
			slices.SortFunc(refs, func(a, b entryRef) int {
				return cmp.Or(cmp.Compare(a.g.u64(colPub, a.j), b.g.u64(colPub, b.j)),
					cmp.Compare(a.g.u64(colID, a.j), b.g.u64(colID, b.j)))
			})
			refs = refs[max(0, len(refs)-maxGroupEntries):]
			for c := range cols {
				for _, r := range refs {
					out = append(out, r.g.field(c, r.j)...)
				}
			}
			p = q
		}
		binary.BigEndian.PutUint32(out[4*l:], uint32(len(out)-shardDirSize))
	}
	if len(out) == shardDirSize {
		return nil
	}
	return out
}
