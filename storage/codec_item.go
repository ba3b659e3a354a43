package storage

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// encodeItem is encodeValue(it), written without reflection: the bytes
// are those encoding/json writes for an Item with SetEscapeHTML(false)
// (TestEncodeItemIsJSON and FuzzEncodeItem compare the two), in a fraction
// of the time. Items are the one value stored at every ingest, some 20 KB
// each, most of it strings that need no escape; appendJSONString skips
// over those eight bytes at a time.
//
// A change to Item's fields or tags must be made here too: the tests
// compare with encoding/json over every field.
func encodeItem(it *Item) ([]byte, error) {
	return newItemText(it).value(it)
}

// itemText is an item's value with its text encoded ahead: the fields
// from "source" to "language" (all of the item's strings but its
// Cleaned, nearly all of its bytes), in a buffer with room on both sides
// for the fields the transaction sets (ID, times, Story). RecordFetch
// encodes it on its caller's goroutine, before the write is queued, so
// that the writer, the one goroutine every write waits for, only adds
// the rest around it.
//
// The text must be that of the item value puts: the transaction sets no
// field of it. value writes into buf, so an itemText makes one value
// per transaction (a transaction run again after a rollback may make it
// again: bbolt dropped the first one).
type itemText struct {
	buf []byte // itemTextHead bytes of room, then the text
}

// itemTextHead is the room before the text: codecJSON, `{"id":` and 20
// digits.
const itemTextHead = 1 + len(`{"id":`) + 20

func newItemText(it *Item) itemText {
	n := len(it.Key) + len(it.GUID) + len(it.Link) + len(it.Title) + len(it.Summary) +
		len(it.Content) + len(it.Author) + len(it.AuthorMail) + len(it.Image) + len(it.Language)
	for _, c := range it.Categories {
		n += len(c) + 3
	}
	for _, e := range it.Enclosures {
		n += len(e.URL) + len(e.Type) + 64
	}
	tail := 0
	for _, c := range it.Cleaned {
		tail += len(c) + 3
	}
	// Room for the names, numbers and times, and for escapes (HTML
	// bodies have a quote or a newline every hundred bytes or so).
	b := make([]byte, itemTextHead, itemTextHead+n+n/16+400+tail)
	b = append(b, `,"source":`...)
	b = strconv.AppendUint(b, it.SourceID, 10)
	b = append(b, `,"key":`...)
	b = appendJSONString(b, it.Key)
	b = appendStringField(b, `,"guid":`, it.GUID)
	b = appendStringField(b, `,"link":`, it.Link)
	b = appendStringField(b, `,"title":`, it.Title)
	b = appendStringField(b, `,"summary":`, it.Summary)
	b = appendStringField(b, `,"content":`, it.Content)
	b = appendStringField(b, `,"author":`, it.Author)
	b = appendStringField(b, `,"author_email":`, it.AuthorMail)
	b = appendStringsField(b, `,"categories":`, it.Categories)
	if len(it.Enclosures) > 0 {
		b = append(b, `,"enclosures":[`...)
		for i, e := range it.Enclosures {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"url":`...)
			b = appendJSONString(b, e.URL)
			b = appendStringField(b, `,"type":`, e.Type)
			if e.Length != 0 {
				b = append(b, `,"length":`...)
				b = strconv.AppendInt(b, e.Length, 10)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = appendStringField(b, `,"image":`, it.Image)
	b = appendStringField(b, `,"language":`, it.Language)
	return itemText{buf: b[:len(b):cap(b)]}
}

// value is it's value: the text, with ID before it and the other fields
// after it, in t's buffer (no copy when the room suffices).
func (t itemText) value(it *Item) ([]byte, error) {
	var head [itemTextHead]byte
	h := append(head[:0], codecJSON)
	h = append(h, `{"id":`...)
	h = strconv.AppendUint(h, it.ID, 10)
	start := itemTextHead - len(h)
	copy(t.buf[start:], h)
	b := t.buf
	var err error
	b = append(b, `,"published":`...)
	if b, err = appendJSONTime(b, it.Published); err != nil {
		return nil, err
	}
	if !it.Updated.IsZero() {
		b = append(b, `,"updated":`...)
		if b, err = appendJSONTime(b, it.Updated); err != nil {
			return nil, err
		}
	}
	b = append(b, `,"first_seen":`...)
	if b, err = appendJSONTime(b, it.FirstSeen); err != nil {
		return nil, err
	}
	b = appendUintField(b, `,"hash":`, it.Hash)
	b = appendUintField(b, `,"fp":`, it.Fingerprint)
	b = appendUintField(b, `,"story":`, it.Story)
	b = appendStringsField(b, `,"cleaned":`, it.Cleaned)
	b = append(b, '}')
	return b[start:len(b):len(b)], nil
}

// appendStringField appends an omitempty string field.
func appendStringField(b []byte, name, s string) []byte {
	if s == "" {
		return b
	}
	return appendJSONString(append(b, name...), s)
}

// appendStringsField appends an omitempty []string field.
func appendStringsField(b []byte, name string, ss []string) []byte {
	if len(ss) == 0 {
		return b
	}
	b = append(b, name...)
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// appendUintField appends an omitempty uint64 field.
func appendUintField(b []byte, name string, n uint64) []byte {
	if n == 0 {
		return b
	}
	return strconv.AppendUint(append(b, name...), n, 10)
}

// appendJSONTime appends t as time.Time.MarshalJSON does (RFC 3339 with
// nanoseconds, quoted; an error for a year it cannot write).
func appendJSONTime(b []byte, t time.Time) ([]byte, error) {
	b = append(b, '"')
	b, err := t.AppendText(b)
	if err != nil {
		return nil, err
	}
	return append(b, '"'), nil
}

// load64 is the little-endian number of s's first eight bytes (the
// compiler makes it one load).
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

const jsonHex = "0123456789abcdef"

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// appendJSONString appends s quoted as encoding/json quotes a string
// with HTML escaping off: '"', '\\' and control characters escaped,
// invalid UTF-8 replaced by U+FFFD, U+2028 and U+2029 escaped, all else
// as is.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start, i := 0, 0
	for i < len(s) {
		// Eight bytes at a time while none is a quote, a backslash, a
		// control character or part of a multi-byte character.
		for i+8 <= len(s) {
			x := load64(s[i : i+8])
			q, bs := x^('"'*lsb), x^('\\'*lsb)
			// A byte below 0x20 or equal to '"' or '\\' (the "has less"
			// and "has zero" tests of Bit Twiddling Hacks: exact as to
			// whether there is one), or one of 0x80 and up.
			if ((x-0x20*lsb)&^x|(q-lsb)&^q|(bs-lsb)&^bs|x)&msb == 0 {
				i += 8
				continue
			}
			break
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', jsonHex[c>>4], jsonHex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', jsonHex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
