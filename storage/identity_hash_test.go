package storage

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"strconv"
	"strings"
	"testing"
)

// bodyHashFNV is BodyHash as it was first written, with hash/fnv: the
// oracle for the in-place FNV (the value is stored, it must not change).
func bodyHashFNV(it Item) uint64 {
	h := fnv.New64a()
	field := func(s string) {
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

func contentHashFNV(it Item) string {
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

func TestBodyHashIsFNV(t *testing.T) {
	long := strings.Repeat("<p>Ünïcode text, 20 KB of it. </p>", 700)
	for i, it := range []Item{
		{},
		{Title: "T", Link: "L", Content: "C", Categories: []string{"a", "b"}},
		{Title: "T", Summary: "s", Content: long, Author: "A", Image: "https://x/i.png",
			Enclosures: []Enclosure{{URL: "u", Type: "audio/mpeg", Length: 123456789}, {URL: "v", Length: -1}}},
		{Content: strings.Repeat("x", 200), Categories: make([]string, 130)},
		{Summary: strings.Repeat("y", 1<<15), Enclosures: make([]Enclosure, 12)},
		{Title: "\x00\xff", Content: ""},
	} {
		if got, want := it.BodyHash(), bodyHashFNV(it); got != want {
			t.Errorf("%d: BodyHash = %x, hash/fnv gives %x", i, got, want)
		}
		if got, want := contentHash(it), contentHashFNV(it); got != want {
			t.Errorf("%d: contentHash = %s, hash/fnv gives %s", i, got, want)
		}
	}
}

func FuzzBodyHash(f *testing.F) {
	f.Add("t", "l", "s", "c", "a", "cat", "u", "ty", int64(5), "i", uint8(1))
	f.Add("", "", "", strings.Repeat("z", 300), "", "", "", "", int64(-9), "", uint8(200))
	f.Fuzz(func(t *testing.T, title, link, summary, content, author, cat, eu, et string, el int64, img string, n uint8) {
		it := Item{Title: title, Link: link, Summary: summary, Content: content, Author: author, Image: img}
		for i := 0; i < int(n%140); i++ {
			it.Categories = append(it.Categories, cat+strconv.Itoa(i))
		}
		for i := 0; i < int(n%5); i++ {
			it.Enclosures = append(it.Enclosures, Enclosure{URL: eu, Type: et, Length: el + int64(i)})
		}
		if got, want := it.BodyHash(), bodyHashFNV(it); got != want {
			t.Fatalf("BodyHash = %x, hash/fnv gives %x", got, want)
		}
		if got, want := contentHash(it), contentHashFNV(it); got != want {
			t.Fatalf("contentHash = %s, hash/fnv gives %s", got, want)
		}
	})
}
