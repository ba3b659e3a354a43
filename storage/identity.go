package storage

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"io"
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
	h := fnv.New64a()
	io.WriteString(h, it.Title)
	h.Write([]byte{0})
	if it.Content != "" {
		io.WriteString(h, it.Content)
	} else {
		io.WriteString(h, it.Summary)
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

func boundKey(k string) string {
	if len(k) <= maxKeyLen {
		return k
	}
	sum := sha256.Sum256([]byte(k))
	return k[:1] + "#" + hex.EncodeToString(sum[:])
}

// BodyHash is the FNV-1a 64 hash of the item's body: Title, Link, Summary,
// Content, Author, Categories, Enclosures and Image. Under a known identity
// a different BodyHash is an update, the same one a repeat. Storage sets
// Item.Hash to it.
func (it Item) BodyHash() uint64 {
	h := fnv.New64a()
	field := func(s string) {
		// Length-prefixed, so that no two different bodies concatenate
		// to the same bytes.
		var n [binary.MaxVarintLen64]byte
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
		io.WriteString(h, s)
	}
	field(it.Title)
	field(it.Link)
	field(it.Summary)
	field(it.Content)
	field(it.Author)
	field(strconv.Itoa(len(it.Categories)))
	for _, c := range it.Categories {
		field(c)
	}
	field(strconv.Itoa(len(it.Enclosures)))
	for _, e := range it.Enclosures {
		field(e.URL)
		field(e.Type)
		field(strconv.FormatInt(e.Length, 10))
	}
	field(it.Image)
	return h.Sum64()
}
