package bolt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/feedmill/feedmill/storage"
)

// Values are stored as one version byte followed by their encoding: the
// JSON encoding (codecJSON) for every value but items, which are CBOR
// (codecCBOR, codec_item.go). The byte tells a reader which one it holds.
const codecJSON byte = 1

// encodeValue encodes v for storage. HTML is not escaped: item bodies are
// HTML, and "\u003cp\u003e" would make them larger and harder to read.
// The result is a new slice of its own (bbolt keeps it until the commit).
//
// Items, the value stored at every ingest, are written by encodeItem
// (codec_item.go); every other value by encoding/json.
func encodeValue(v any) ([]byte, error) {
	switch v := v.(type) {
	case storage.Item:
		return encodeItem(&v)
	case *storage.Item:
		return encodeItem(v)
	}
	return encodeJSON(v)
}

// encodeJSON is encodeValue by encoding/json. The JSON is written into a
// pooled buffer and copied out at its exact size: a fresh bytes.Buffer
// grows to a large value by doubling, twice its size in garbage.
func encodeJSON(v any) ([]byte, error) {
	e := encoders.Get().(*valueEncoder)
	defer e.release()
	e.buf.WriteByte(codecJSON)
	if err := e.enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.Clone(bytes.TrimSuffix(e.buf.Bytes(), []byte("\n"))), nil
}

// valueEncoder is a json.Encoder writing into its own buffer.
type valueEncoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var encoders = sync.Pool{New: func() any {
	e := new(valueEncoder)
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}}

// release empties e and returns it to the pool; a buffer grown past 1 MiB
// (a huge item) is left to the garbage collector.
func (e *valueEncoder) release() {
	if e.buf.Cap() > 1<<20 {
		return
	}
	e.buf.Reset()
	encoders.Put(e)
}

// decodeValue decodes a stored value into v. bucket and key only name the
// value in the error. json.Unmarshal copies what it keeps, so the result
// outlives the transaction that read data.
func decodeValue(bucket string, key, data []byte, v any) error {
	if len(data) == 0 {
		return fmt.Errorf("decode %s %x: empty value", bucket, key)
	}
	if data[0] != codecJSON {
		return fmt.Errorf("decode %s %x: unknown encoding %d", bucket, key, data[0])
	}
	if err := json.Unmarshal(data[1:], v); err != nil {
		return fmt.Errorf("decode %s %x: %w", bucket, key, err)
	}
	return nil
}

// decodeItem decodes an item value of either codec.
func decodeItem(key, data []byte) (storage.Item, error) {
	if len(data) > 0 && data[0] == codecCBOR {
		it, err := decodeItemCBOR(data[1:])
		if err != nil {
			return storage.Item{}, fmt.Errorf("decode %s %x: %w", bucketItems, key, err)
		}
		return it, nil
	}
	var it storage.Item
	err := decodeValue(bucketItems, key, data, &it)
	return it, err
}

// storedHash reads the hash of a stored item value without decoding it:
// an item value is some 20 KB that decoding copies string by string, and a
// feed answering 200 brings mostly items already stored, each compared by
// its hash alone. A value of codecCBOR begins with it. In JSON (values
// of earlier versions) a key can be told from text
// by its bytes: `,"hash":` cannot occur inside a string, whose quotes
// are escaped, nor as a key of the enclosures' objects. ok is false for
// any value it cannot read that way (another codec, no hash, a number it
// does not expect); the caller then decodes the value.
func storedHash(v []byte) (hash uint64, ok bool) {
	const key = `,"hash":`
	if len(v) >= itemValueHead && v[0] == codecCBOR {
		return binary.BigEndian.Uint64(v[1:]), true
	}
	if len(v) == 0 || v[0] != codecJSON {
		return 0, false
	}
	i := bytes.Index(v, []byte(key))
	if i < 0 {
		return 0, false
	}
	rest := v[i+len(key):]
	n := 0
	for ; n < len(rest) && '0' <= rest[n] && rest[n] <= '9'; n++ {
		d := uint64(rest[n] - '0')
		if hash > (math.MaxUint64-d)/10 {
			return 0, false
		}
		hash = hash*10 + d
	}
	if n == 0 || n == len(rest) || rest[n] != ',' && rest[n] != '}' || n > 1 && rest[0] == '0' {
		return 0, false
	}
	return hash, true
}

func decodeSource(key, data []byte) (storage.Source, error) {
	var src storage.Source
	err := decodeValue(bucketSources, key, data, &src)
	if src.Subscribed == "" {
		src.Subscribed = src.URL
	}
	return src, err
}

// u64key is the 8-byte big-endian form of n, so keys sort as numbers.
func u64key(n uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), n)
}

// u64 reads an 8-byte big-endian number; ok is false when b is not 8 bytes.
func u64(b []byte) (n uint64, ok bool) {
	if len(b) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(b), true
}

var errBadKey = errors.New("malformed key")

// pubNanos is a time as the time indexes order it (storage.Nanos), as the
// unsigned value of their 8-byte keys.
func pubNanos(t time.Time) uint64 { return uint64(storage.Nanos(t)) }

// bySourceKey is sourceID(8) + published(8) + itemID(8).
func bySourceKey(sourceID uint64, published time.Time, itemID uint64) []byte {
	k := make([]byte, 0, 24)
	k = binary.BigEndian.AppendUint64(k, sourceID)
	k = binary.BigEndian.AppendUint64(k, pubNanos(published))
	return binary.BigEndian.AppendUint64(k, itemID)
}

// byTimeKey is published(8) + itemID(8).
func byTimeKey(published time.Time, itemID uint64) []byte {
	k := make([]byte, 0, 16)
	k = binary.BigEndian.AppendUint64(k, pubNanos(published))
	return binary.BigEndian.AppendUint64(k, itemID)
}

// itemKeyKey is sourceID(8) + the item's identity Key.
func itemKeyKey(sourceID uint64, key string) []byte {
	k := make([]byte, 0, 8+len(key))
	k = binary.BigEndian.AppendUint64(k, sourceID)
	return append(k, key...)
}

// tombstone is the item_keys value of an identity whose item retention
// removed: 8 zero bytes (no item has ID 0) and the time it dates from.
func tombstone(at time.Time) []byte {
	v := make([]byte, 16)
	binary.BigEndian.PutUint64(v[8:], pubNanos(at))
	return v
}

// parseItemKeyValue reads an item_keys value: an item ID (8 bytes, or 16
// with the item's raw hash after it), or a tombstone with its time (8 zero
// bytes, then the time).
func parseItemKeyValue(v []byte) (itemID uint64, tombAt uint64, isTomb bool, err error) {
	switch len(v) {
	case 8:
		id := binary.BigEndian.Uint64(v)
		if id == 0 {
			return 0, 0, false, errBadKey
		}
		return id, 0, false, nil
	case 16:
		if id := binary.BigEndian.Uint64(v[:8]); id != 0 {
			if binary.BigEndian.Uint64(v[8:]) == 0 {
				return 0, 0, false, errBadKey // itemKeyValue writes no zero hash
			}
			return id, 0, false, nil
		}
		return 0, binary.BigEndian.Uint64(v[8:]), true, nil
	}
	return 0, 0, false, errBadKey
}

// itemKeyValue is the item_keys value of a stored item: its ID, and its
// raw hash (Item.RawHash) when it has one.
func itemKeyValue(id, rawHash uint64) []byte {
	v := u64key(id)
	if rawHash != 0 {
		v = binary.BigEndian.AppendUint64(v, rawHash)
	}
	return v
}

// itemKeyRaw is the raw hash in an item_keys value of a stored item; 0
// when it has none (a tombstone, or an item stored without one).
func itemKeyRaw(v []byte) uint64 {
	if len(v) != 16 || binary.BigEndian.Uint64(v[:8]) == 0 {
		return 0
	}
	return binary.BigEndian.Uint64(v[8:])
}
