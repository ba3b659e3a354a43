package storage

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// Identity keys. Within a source an item is identified by
//
//   - "g:"+GUID, its GUID or Atom id;
//   - "l:"+Link, its canonical link, where the GUID is empty or the feed
//     reuses it for different items in the same fetch (same GUID but
//     different links, or, when the links are empty, different titles);
//   - "h:"+16 hex digits of a 64-bit FNV-1a hash of Title+"\x00"+Content
//     (Summary when Content is empty), where there is no usable link either.
//
// Keys longer than maxKeyLen (a hostile GUID or link) are shortened to their
// prefix letter, "#" and a SHA-256 of the whole key, so that they always fit
// a bbolt key.
const maxKeyLen = 1024

// ItemKeys returns the identity key of each item of one fetch, in order.
// Items that share a key are one item: RecordFetch stores the first of them.
// It is pure: the same items always give the same keys.
func ItemKeys(items []Item) []string {
	// A GUID is unusable when it is reused for different items.
	type first struct {
		link, title string
	}
	seen := make(map[string]first, len(items))
	reused := make(map[string]bool)
	for _, it := range items {
		if it.GUID == "" {
			continue
		}
		f, ok := seen[it.GUID]
		if !ok {
			seen[it.GUID] = first{it.Link, it.Title}
			continue
		}
		if f.link != it.Link || (it.Link == "" && f.title != it.Title) {
			reused[it.GUID] = true
		}
	}
	keys := make([]string, len(items))
	for i, it := range items {
		switch {
		case it.GUID != "" && !reused[it.GUID]:
			keys[i] = boundKey("g:" + it.GUID)
		case it.Link != "":
			keys[i] = boundKey("l:" + it.Link)
		default:
			keys[i] = "h:" + contentHash(it)
		}
	}
	return keys
}

// contentHash is the hex FNV-1a 64 of title and content (else summary).
func contentHash(it Item) string {
	h := fnv64a(fnvOffset64, it.Title)
	h = fnvByte(h, 0)
	if it.Content != "" {
		h = fnv64a(h, it.Content)
	} else {
		h = fnv64a(h, it.Summary)
	}
	var b [16]byte
	const hexDigits = "0123456789abcdef"
	for i := range b {
		b[i] = hexDigits[h>>(60-4*i)&0xf]
	}
	return string(b[:])
}

func boundKey(k string) string {
	if len(k) <= maxKeyLen {
		return k
	}
	sum := sha256.Sum256([]byte(k))
	return k[:1] + "#" + hex.EncodeToString(sum[:])
}

// BodyHash is the FNV-1a 64 hash of the item's body: Title, Link, Summary,
// Content, Author, Categories, Enclosures (with their durations), Image
// and Images. Under a known identity
// a different BodyHash is an update, the same one a repeat. Storage sets
// Item.Hash to it.
//
// The value is stored (Item.Hash) and compared with the next fetch's, so
// it must never change: it is hash/fnv's New64a over the fields, each
// preceded by its length as a uvarint, computed over the strings in place
// (io.WriteString into hash/fnv would copy every body into a new []byte;
// TestBodyHashIsFNV checks the two agree).
func (it Item) BodyHash() uint64 {
	h := uint64(fnvOffset64)
	h = hashField(h, it.Title)
	h = hashField(h, it.Link)
	h = hashField(h, it.Summary)
	h = hashField(h, it.Content)
	h = hashField(h, it.Author)
	h = hashFieldInt(h, int64(len(it.Categories)))
	for _, c := range it.Categories {
		h = hashField(h, c)
	}
	h = hashFieldInt(h, int64(len(it.Enclosures)))
	for _, e := range it.Enclosures {
		h = hashField(h, e.URL)
		h = hashField(h, e.Type)
		h = hashFieldInt(h, e.Length)
	}
	h = hashField(h, it.Image)
	// Fields added later are hashed only when set, so that an item
	// without them keeps the hash it was stored with.
	if len(it.Images) > 0 {
		h = hashFieldInt(h, int64(len(it.Images)))
		for _, u := range it.Images {
			h = hashField(h, u)
		}
	}
	for i, e := range it.Enclosures {
		if e.Duration != 0 {
			h = hashFieldInt(h, int64(i))
			h = hashFieldInt(h, e.Duration)
		}
	}
	return h
}

// hashField continues h over one field: its length as a uvarint, then its
// bytes (length-prefixed, so that no two different bodies concatenate to
// the same bytes).
func hashField(h uint64, s string) uint64 {
	return fnv64a(fnvUvarint(h, uint64(len(s))), s)
}

// hashFieldInt is hashField of n in decimal.
func hashFieldInt(h uint64, n int64) uint64 {
	var num [20]byte
	d := strconv.AppendInt(num[:0], n, 10)
	h = fnvUvarint(h, uint64(len(d)))
	for _, c := range d {
		h = fnvByte(h, c)
	}
	return h
}

// FNV-1a 64, as hash/fnv computes it, over strings without copying them.
const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
)

// fnv64a continues the FNV-1a 64 hash h over s.
func fnv64a(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime64
	}
	return h
}

func fnvByte(h uint64, b byte) uint64 { return (h ^ uint64(b)) * fnvPrime64 }

// fnvUvarint continues h over the uvarint encoding of n
// (binary.PutUvarint's bytes).
func fnvUvarint(h uint64, n uint64) uint64 {
	for n >= 0x80 {
		h = fnvByte(h, byte(n)|0x80)
		n >>= 7
	}
	return fnvByte(h, byte(n))
}
