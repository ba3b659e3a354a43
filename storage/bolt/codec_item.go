package bolt

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/feedmill/feedmill/storage"

	"github.com/fxamacker/cbor/v2"
)

// Item values are stored as
//
//	codecCBOR(1) hash(8, big-endian) body(CBOR) head(CBOR)
//
// body holds the fields RecordFetch knows before the transaction (the
// item's text: nearly all of its bytes), head those the transaction sets
// (ID, times, story) and the rest. Maps are keyed by small integers, so a
// field name costs one byte. The hash comes first so that storedHash can
// tell a repeat from an update without decoding. Values of codecJSON,
// written by earlier versions, are still read (decodeItem).
const codecCBOR byte = 2

// itemValueHead is the room before the body: the codec byte and the hash.
const itemValueHead = 1 + 8

// itemBody is the part of an item's value encoded ahead (see itemText).
type itemBody struct {
	Source     uint64            `cbor:"1,keyasint,omitempty"`
	Key        string            `cbor:"2,keyasint,omitempty"`
	GUID       string            `cbor:"3,keyasint,omitempty"`
	Link       string            `cbor:"4,keyasint,omitempty"`
	Title      string            `cbor:"5,keyasint,omitempty"`
	Summary    string            `cbor:"6,keyasint,omitempty"`
	Content    string            `cbor:"7,keyasint,omitempty"`
	Author     string            `cbor:"8,keyasint,omitempty"`
	AuthorMail string            `cbor:"9,keyasint,omitempty"`
	Categories []string          `cbor:"10,keyasint,omitempty"`
	Enclosures []storedEnclosure `cbor:"11,keyasint,omitempty"`
	Image      string            `cbor:"12,keyasint,omitempty"`
	Language   string            `cbor:"13,keyasint,omitempty"`
	Images     []string          `cbor:"14,keyasint,omitempty"`
}

type storedEnclosure struct {
	URL      string `cbor:"1,keyasint,omitempty"`
	Type     string `cbor:"2,keyasint,omitempty"`
	Length   int64  `cbor:"3,keyasint,omitempty"`
	Duration int64  `cbor:"4,keyasint,omitempty"`
}

// itemHead is the part of an item's value the transaction completes.
type itemHead struct {
	ID          uint64          `cbor:"1,keyasint,omitempty"`
	Published   storedTime      `cbor:"2,keyasint,omitempty"`
	Updated     storedTime      `cbor:"3,keyasint,omitempty"`
	FirstSeen   storedTime      `cbor:"4,keyasint,omitempty"`
	Fingerprint uint64          `cbor:"5,keyasint,omitempty"`
	Story       uint64          `cbor:"6,keyasint,omitempty"`
	Cleaned     []string        `cbor:"7,keyasint,omitempty"`
	FullText    *storedFullText `cbor:"8,keyasint,omitempty"`
}

// storedFullText is FullText in an item's head.
type storedFullText struct {
	URL       string     `cbor:"1,keyasint,omitempty"`
	Fetched   bool       `cbor:"2,keyasint,omitempty"`
	Extractor string     `cbor:"3,keyasint,omitempty"`
	Selector  string     `cbor:"4,keyasint,omitempty"`
	Words     int        `cbor:"5,keyasint,omitempty"`
	Reason    string     `cbor:"6,keyasint,omitempty"`
	Attempts  int        `cbor:"7,keyasint,omitempty"`
	At        storedTime `cbor:"8,keyasint,omitempty"`
}

func fullTextToStored(ft *storage.FullText) *storedFullText {
	if ft == nil {
		return nil
	}
	return &storedFullText{URL: validUTF8(ft.URL), Fetched: ft.Fetched, Extractor: validUTF8(ft.Extractor),
		Selector: validUTF8(ft.Selector), Words: ft.Words, Reason: validUTF8(ft.Reason), Attempts: ft.Attempts,
		At: timeToStored(ft.At)}
}

func (st *storedFullText) fullText() (*storage.FullText, error) {
	if st == nil {
		return nil, nil
	}
	at, err := st.At.time()
	if err != nil {
		return nil, err
	}
	return &storage.FullText{URL: st.URL, Fetched: st.Fetched, Extractor: st.Extractor, Selector: st.Selector,
		Words: st.Words, Reason: st.Reason, Attempts: st.Attempts, At: at}, nil
}

// storedTime is a time as [seconds since the epoch, nanoseconds, zone
// offset in seconds, whole minutes], trailing zeros left out; nil for the
// zero time.
type storedTime []int64

func timeToStored(t time.Time) storedTime {
	if t.IsZero() {
		return nil
	}
	_, off := t.Zone()
	off = off / 60 * 60 // whole minutes, as RFC 3339 (and encoding/json) keeps it
	st := storedTime{t.Unix(), int64(t.Nanosecond()), int64(off)}
	for len(st) > 1 && st[len(st)-1] == 0 {
		st = st[:len(st)-1]
	}
	return st
}

// time is st as encoding/json would have read it back: UTC for offset 0,
// Local when the offset is Local's at that time, else a fixed zone.
func (st storedTime) time() (time.Time, error) {
	if len(st) == 0 {
		return time.Time{}, nil
	}
	if len(st) > 3 || len(st) > 1 && (st[1] < 0 || st[1] >= 1e9) {
		return time.Time{}, fmt.Errorf("malformed time %v", []int64(st))
	}
	var nsec, off int64
	if len(st) > 1 {
		nsec = st[1]
	}
	if len(st) > 2 {
		off = st[2]
	}
	t := time.Unix(st[0], nsec)
	if off == 0 {
		return t.UTC(), nil
	}
	if _, local := t.Zone(); int64(local) == off {
		return t, nil
	}
	return t.In(time.FixedZone("", int(off))), nil
}

var (
	itemEnc = mustEncMode()
	itemDec = mustDecMode()
)

func mustEncMode() cbor.EncMode {
	em, err := cbor.EncOptions{}.EncMode()
	if err != nil {
		panic(err) // static options: a programming error
	}
	return em
}

// mustDecMode reads text strings as they are: encodeItem stores valid
// UTF-8 only, and a damaged value must still decode.
func mustDecMode() cbor.DecMode {
	dm, err := cbor.DecOptions{UTF8: cbor.UTF8DecodeInvalid}.DecMode()
	if err != nil {
		panic(err) // static options: a programming error
	}
	return dm
}

// encodeItem is encodeValue(it).
func encodeItem(it *storage.Item) ([]byte, error) {
	t, err := encodeItemText(it)
	if err != nil {
		return nil, err
	}
	return t.value(it)
}

// itemText is an item's body (see codecCBOR) encoded ahead, behind room
// for the codec byte and the hash. RecordFetch encodes it on its caller's
// goroutine, before the write is queued, so that the writer, the one
// goroutine every write waits for, only adds the head.
//
// The body must be that of the item value puts: the transaction sets no
// field of it. value writes into buf, so an itemText makes one value per
// transaction (a transaction run again after a rollback may make it
// again: bbolt dropped the first one).
type itemText struct {
	buf []byte
}

// newItemText encodes it's body; on an error (none is expected of these
// types) the text is empty and putItem encodes the item itself.
func newItemText(it *storage.Item) itemText {
	t, err := encodeItemText(it)
	if err != nil {
		return itemText{}
	}
	return t
}

func encodeItemText(it *storage.Item) (itemText, error) {
	body := itemBody{
		Source: it.SourceID, Key: validUTF8(it.Key), GUID: validUTF8(it.GUID), Link: validUTF8(it.Link),
		Title: validUTF8(it.Title), Summary: validUTF8(it.Summary), Content: validUTF8(it.Content),
		Author: validUTF8(it.Author), AuthorMail: validUTF8(it.AuthorMail), Categories: validUTF8s(it.Categories),
		Image: validUTF8(it.Image), Language: validUTF8(it.Language), Images: validUTF8s(it.Images),
	}
	for _, e := range it.Enclosures {
		body.Enclosures = append(body.Enclosures, storedEnclosure{URL: validUTF8(e.URL), Type: validUTF8(e.Type), Length: e.Length, Duration: e.Duration})
	}
	var buf bytes.Buffer
	buf.Grow(itemValueHead + len(it.Content) + len(it.Summary) + len(it.Title) + 512)
	buf.Write(make([]byte, itemValueHead))
	if err := itemEnc.NewEncoder(&buf).Encode(body); err != nil {
		return itemText{}, fmt.Errorf("encode item: %w", err)
	}
	b := buf.Bytes()
	return itemText{buf: b[:len(b):cap(b)]}, nil
}

// value is it's value: the codec byte and hash before the body, the head
// after it, in t's buffer (no copy when its room suffices).
func (t itemText) value(it *storage.Item) ([]byte, error) {
	head, err := itemEnc.Marshal(itemHead{
		ID: it.ID, Published: timeToStored(it.Published), Updated: timeToStored(it.Updated),
		FirstSeen: timeToStored(it.FirstSeen), Fingerprint: it.Fingerprint, Story: it.Story,
		Cleaned: validUTF8s(it.Cleaned), FullText: fullTextToStored(it.FullText),
	})
	if err != nil {
		return nil, fmt.Errorf("encode item %d: %w", it.ID, err)
	}
	b := t.buf
	b[0] = codecCBOR
	binary.BigEndian.PutUint64(b[1:], it.Hash)
	b = append(b, head...)
	return b[:len(b):len(b)], nil
}

// decodeItemCBOR decodes a value of codecCBOR (data without the codec
// byte). The strings are copies: the item outlives the transaction.
func decodeItemCBOR(data []byte) (storage.Item, error) {
	var it storage.Item
	if len(data) < itemValueHead-1 {
		return it, fmt.Errorf("item value of %d bytes", len(data)+1)
	}
	it.Hash = binary.BigEndian.Uint64(data)
	var body itemBody
	rest, err := itemDec.UnmarshalFirst(data[8:], &body)
	if err != nil {
		return it, fmt.Errorf("item body: %w", err)
	}
	var head itemHead
	if err := itemDec.Unmarshal(rest, &head); err != nil {
		return it, fmt.Errorf("item head: %w", err)
	}
	it.ID, it.SourceID, it.Key, it.GUID, it.Link = head.ID, body.Source, body.Key, body.GUID, body.Link
	it.Title, it.Summary, it.Content, it.Author, it.AuthorMail = body.Title, body.Summary, body.Content, body.Author, body.AuthorMail
	it.Categories, it.Image, it.Language, it.Images = body.Categories, body.Image, body.Language, body.Images
	for _, e := range body.Enclosures {
		it.Enclosures = append(it.Enclosures, storage.Enclosure(e))
	}
	it.Fingerprint, it.Story, it.Cleaned = head.Fingerprint, head.Story, head.Cleaned
	if it.FullText, err = head.FullText.fullText(); err != nil {
		return it, err
	}
	for _, f := range []struct {
		st  storedTime
		dst *time.Time
	}{{head.Published, &it.Published}, {head.Updated, &it.Updated}, {head.FirstSeen, &it.FirstSeen}} {
		if *f.dst, err = f.st.time(); err != nil {
			return it, err
		}
	}
	return it, nil
}

// validUTF8 is s with each byte that is not part of valid UTF-8 replaced
// by U+FFFD, as encoding/json writes it.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// validUTF8s is validUTF8 over ss, ss itself when all are valid.
func validUTF8s(ss []string) []string {
	for i, s := range ss {
		if !utf8.ValidString(s) {
			out := append([]string(nil), ss[:i]...)
			for _, s := range ss[i:] {
				out = append(out, validUTF8(s))
			}
			return out
		}
	}
	return ss
}
