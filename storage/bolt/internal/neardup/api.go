package neardup

import (
	"encoding/binary"

	bolt "go.etcd.io/bbolt"
)

// Bucket is the name of the bbolt bucket the index lives in. The store
// creates it (MigrateV4) and hands it to every call.
const Bucket = bucketDedup

// Doc is what the index keeps of an item.
type Doc struct {
	ID, Source  uint64
	Story       uint64   // 0: the item is its own story
	Published   uint64   // nanoseconds since the Unix epoch, as the store keys it
	Fingerprint uint64   // SimHash of title and text; 0 = none
	Lead        []uint32 // hashes of the text's opening shingles, in text order
}

// u64 decodes an 8-byte big-endian ID.
func u64(b []byte) (n uint64, ok bool) {
	if len(b) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(b), true
}

// Lead is the lead the index keeps of item id (nil when it holds none).
func Lead(b *bolt.Bucket, id uint64) ([]uint32, error) {
	v := b.Get(recordKey(id))
	if v == nil {
		return nil, nil
	}
	r, err := decodeRecord(id, v)
	return r.lead, err
}
