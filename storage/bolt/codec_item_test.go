package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/feedmill/feedmill/storage"

	"github.com/mmcdole/gofeed"
	"go.etcd.io/bbolt"
)

const sharedFeedsDir = "../../shared/testdata/feeds"

// jsonItemValue is an item's value as earlier versions wrote it (codecJSON):
// encoding/json with HTML escaping off.
func jsonItemValue(it *storage.Item) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte(codecJSON)
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(it); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// sameAsJSON fails t unless the item encodeItem stores decodes to what
// the same item stored as JSON (codecJSON, as earlier versions wrote it)
// decodes to. Where encoding/json cannot write the item (a year past
// 9999), encodeItem must, and give the same times back.
func sameAsJSON(t testing.TB, name string, it *storage.Item) {
	t.Helper()
	got, err := encodeItem(it)
	if err != nil {
		t.Fatalf("%s: encodeItem: %v", name, err)
	}
	back, err := decodeItem(nil, got)
	if err != nil {
		t.Fatalf("%s: decode: %v", name, err)
	}
	old, jerr := jsonItemValue(it)
	if jerr != nil {
		for _, p := range [][2]time.Time{{back.Published, it.Published}, {back.Updated, it.Updated}, {back.FirstSeen, it.FirstSeen}} {
			if !p[0].Equal(p[1]) {
				t.Fatalf("%s: time %v read back as %v", name, p[1], p[0])
			}
		}
		return
	}
	want, err := decodeItem(nil, old)
	if err != nil {
		t.Fatalf("%s: decode the JSON value: %v", name, err)
	}
	// encoding/json drops the seconds of a zone offset (RFC 3339 has
	// none) and so moves the instant; encodeItem keeps the instant.
	for _, p := range []struct{ orig, back, want *time.Time }{
		{&it.Published, &back.Published, &want.Published},
		{&it.Updated, &back.Updated, &want.Updated},
		{&it.FirstSeen, &back.FirstSeen, &want.FirstSeen},
	} {
		if _, off := p.orig.Zone(); off%60 != 0 {
			if !p.back.Equal(*p.orig) {
				t.Fatalf("%s: time %v read back as %v", name, *p.orig, *p.back)
			}
			*p.want = *p.back
		}
	}
	if !reflect.DeepEqual(back, want) {
		t.Fatalf("%s: read back\n%+v\nfrom JSON\n%+v", name, back, want)
	}
	if h, ok := storedHash(got); !ok || h != it.Hash {
		t.Fatalf("%s: storedHash = %d, %v; want %d", name, h, ok, it.Hash)
	}
}

// oddStrings are strings with every kind of character JSON escapes or
// replaces, at several positions.
func oddStrings() []string {
	out := []string{"", "a", `"`, `\`, "\x00", "\x1f", "\x7f", "\x80", "\xff",
		"\b\f\n\r\t\v", "<p>&amp;</p>", "\u2028\u2029", "\xe2\x80", "\xe2\x80\xa8x",
		"é", "日本語", "𝄞", "\ufffd", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf"}
	var all strings.Builder
	for c := range 256 {
		all.WriteByte(byte(c))
	}
	out = append(out, all.String())
	for _, special := range []string{`"`, `\`, "\n", "\x01", "’", "\u2028", "\xff", "\xe2\x80"} {
		for pre := range 17 {
			s := strings.Repeat("x", pre) + special + strings.Repeat("y", 17-pre)
			out = append(out, s, s[:pre+len(special)])
		}
	}
	return out
}

func TestEncodeItemIsJSON(t *testing.T) {
	t0 := time.Date(2025, 6, 1, 12, 30, 45, 123456789, time.UTC)
	full := storage.Item{
		ID: 1<<64 - 1, SourceID: 7, Key: "g:https://a.example/1",
		GUID: "https://a.example/1", Link: "https://a.example/1?a=1&b=2", Title: `Title with "quotes" and <b>`,
		Summary: "<p>Summary</p>\n", Content: "<p>Content ’ “x” – £</p>\n<p>two</p>", Author: "Jane",
		AuthorMail: "jane@a.example", Categories: []string{"a", "", `b"c`},
		Enclosures: []storage.Enclosure{{URL: "https://a.example/a.mp3", Type: "audio/mpeg", Length: 123, Duration: 3600},
			{URL: "u"}, {Length: -1}, {Type: "t", Length: math.MinInt64}},
		Image: "https://a.example/i.jpg", Language: "en", Images: []string{"https://a.example/i.jpg", "https://a.example/j.jpg"},
		Published: t0, Updated: t0.Add(time.Hour), FirstSeen: t0.Add(time.Minute),
		Hash: 1<<63 + 5, Fingerprint: 42, Story: 3, Lead: []uint32{1, 2, 3}, Cleaned: []string{"pixel", "iframe"},
		FullText: &storage.FullText{URL: "https://a.example/1", Fetched: true, Extractor: "selector", Selector: "article p",
			Words: 812, Reason: "r", Attempts: 2, At: t0.Add(2 * time.Minute)},
	}
	tests := map[string]storage.Item{
		"zero":  {},
		"full":  full,
		"empty": {Categories: []string{}, Enclosures: []storage.Enclosure{}, Cleaned: []string{}, Lead: []uint32{}},
		"zones": {Published: t0.In(time.FixedZone("x", -(3*3600 + 30*60))), Updated: t0.In(time.FixedZone("y", 14*3600)),
			FirstSeen: time.Date(2025, 1, 1, 0, 0, 0, 0, time.Local)},
		"odd dates": {Published: time.Date(1950, 1, 1, 0, 0, 0, 1, time.UTC), FirstSeen: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
			Updated: time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)},
		"monotonic":             {Published: time.Now(), FirstSeen: time.Now().Add(time.Second)},
		"year 10000":            {Published: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		"negative year":         {FirstSeen: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)},
		"updated only":          {Updated: t0},
		"full text not fetched": {FullText: &storage.FullText{Reason: "robots.txt disallows it"}},
	}
	for name, it := range tests {
		sameAsJSON(t, name, &it)
	}
	for i, s := range oddStrings() {
		it := full
		it.Key, it.GUID, it.Link, it.Title, it.Summary, it.Content = s, s, s, s, s, s
		it.Author, it.AuthorMail, it.Image, it.Language = s, s, s, s
		it.Categories = []string{s, s}
		it.Enclosures = []storage.Enclosure{{URL: s, Type: s}}
		it.Cleaned = []string{s}
		it.FullText = &storage.FullText{URL: s, Extractor: s, Selector: s, Reason: s}
		sameAsJSON(t, "odd string "+string(rune('a'+i%26)), &it)
	}
}

// TestEncodeItemFieldsCovered fails when Item gains a field, so that
// encodeItem is taught it (and the tests above the new field).
func TestEncodeItemFieldsCovered(t *testing.T) {
	if n := reflect.TypeFor[storage.Item]().NumField(); n != 26 {
		t.Fatalf("Item has %d fields, encodeItem knows 26 (Lead, RawHash and Known are not in the value): teach it the new ones", n)
	}
	if n := reflect.TypeFor[storage.Enclosure]().NumField(); n != 4 {
		t.Fatalf("Enclosure has %d fields, encodeItem knows 4", n)
	}
}

// TestEncodeItemSharedFeeds stores the items of every shared test feed
// both ways.
func TestEncodeItemSharedFeeds(t *testing.T) {
	items := sharedFeedItems(t)
	if len(items) < 1000 {
		t.Fatalf("only %d items from %s", len(items), sharedFeedsDir)
	}
	for i := range items {
		sameAsJSON(t, items[i].Link, &items[i])
	}
}

// sharedFeedItems parses the shared test feeds with gofeed into items
// (loosely: the text as gofeed gives it, not as the fetcher cleans it).
func sharedFeedItems(t testing.TB) []storage.Item {
	t.Helper()
	if _, err := os.Stat(sharedFeedsDir); err != nil {
		t.Skipf("no shared feeds: %v", err)
	}
	var items []storage.Item
	p := gofeed.NewParser()
	err := filepath.WalkDir(sharedFeedsDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		// Every file is an item too: its raw bytes, whatever they are.
		items = append(items, storage.Item{Key: "h:" + path, Content: string(b)})
		feed, err := p.Parse(bytes.NewReader(b))
		if err != nil {
			return nil // not a feed gofeed reads
		}
		for n, fi := range feed.Items {
			it := storage.Item{
				ID: uint64(len(items)), SourceID: uint64(n), Key: "g:" + fi.GUID, GUID: fi.GUID,
				Link: fi.Link, Title: fi.Title, Summary: fi.Description, Content: fi.Content,
				Categories: fi.Categories, Language: feed.Language,
			}
			if fi.Author != nil {
				it.Author, it.AuthorMail = fi.Author.Name, fi.Author.Email
			}
			if fi.Image != nil {
				it.Image = fi.Image.URL
			}
			for _, e := range fi.Enclosures {
				it.Enclosures = append(it.Enclosures, storage.Enclosure{URL: e.URL, Type: e.Type, Length: int64(len(e.Length))})
			}
			if fi.PublishedParsed != nil {
				it.Published = *fi.PublishedParsed
			}
			if fi.UpdatedParsed != nil {
				it.Updated = *fi.UpdatedParsed
			}
			it.FirstSeen = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
			it.Hash = it.BodyHash()
			items = append(items, it)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func FuzzEncodeItem(f *testing.F) {
	for _, s := range oddStrings() {
		f.Add(s, s, uint64(len(s)), int64(len(s)), "")
	}
	f.Add("<p>’</p>\n", `a"b\c`, uint64(1), int64(-1), "audio/mpeg")
	f.Fuzz(func(t *testing.T, a, b string, n uint64, sec int64, c string) {
		it := storage.Item{
			ID: n, SourceID: n >> 3, Key: a, GUID: b, Link: c, Title: a + b, Summary: b, Content: a,
			Author: c, AuthorMail: b, Categories: []string{a, c}, Image: c, Language: b,
			Published: time.Unix(sec, int64(n%1e9)).UTC(), FirstSeen: time.Unix(sec>>1, 0),
			Hash: n * 31, Fingerprint: n ^ 0xff, Story: n >> 1, Cleaned: []string{b},
		}
		if n%2 == 0 {
			it.Updated = time.Unix(int64(n>>40), 0).In(time.FixedZone("z", int(sec%86400)))
			it.Enclosures = []storage.Enclosure{{URL: a, Type: b, Length: sec}, {}}
		}
		if !utf8.ValidString(a) && n%3 == 0 {
			it.Categories = nil
		}
		sameAsJSON(t, "fuzz", &it)
	})
}

// TestItemTextRerun: a transaction run again after a rollback (the
// writer does that when another request of its batch fails) makes the
// values again from the same texts, with what the new run set.
func TestItemTextRerun(t *testing.T) {
	s := openTest(t, storage.Options{})
	src := addSource(t, s, "https://a.example/")
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	items := []storage.Item{item("a", t0), item("b", time.Time{}), item("a", t0)}
	items[0].Content = strings.Repeat(`<p class="x">a’b</p>`+"\n", 500)
	items[1].Cleaned = []string{"pixel", strings.Repeat("rule", 100)}
	keys := storage.ItemKeys(items)
	texts := make([]itemText, len(items))
	for i := range items {
		items[i].Key, items[i].SourceID = keys[i], src.ID
		items[i].Hash = items[i].BodyHash()
		texts[i] = newItemText(&items[i])
	}
	for run := range 2 {
		err := s.db.Update(func(tx *bbolt.Tx) error {
			now := t0.Add(time.Duration(run) * time.Hour)
			if _, _, err := s.recordFetch(tx, storage.Fetch{SourceID: src.ID}, items, texts, now); err != nil {
				return err
			}
			if run == 0 {
				return errRequestFailed
			}
			return nil
		})
		if run == 1 && err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(bucketItems)).ForEach(func(k, v []byte) error {
			n++
			it, err := decodeItem(k, v)
			if err != nil {
				t.Fatal(err)
			}
			if want, _ := encodeItem(&it); !bytes.Equal(v, want) {
				t.Errorf("item %s stored\n%.300q\nwant\n%.300q", it.GUID, v, want)
			}
			if !it.FirstSeen.Equal(t0.Add(time.Hour)) {
				t.Errorf("item %s first seen %v, want the second run's", it.GUID, it.FirstSeen)
			}
			return nil
		})
	})
	if n != 2 {
		t.Errorf("%d items stored, want 2", n)
	}
	mustCheck(t, s)
}

// A store whose items earlier versions wrote as JSON reads them, takes a
// repeat of one for a repeat, and writes an update as CBOR.
func TestJSONItemsStillRead(t *testing.T) {
	s := openTest(t, storage.Options{})
	src := addSource(t, s, "https://old.example/feed")
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.FixedZone("", 2*3600))
	items := []storage.Item{item("a", t0), item("b", t0.Add(-time.Hour))}
	record(t, s, src.ID, items...)
	before := collect(t, s, storage.Query{})
	// Rewrite every item value as JSON.
	if err := s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucketItems))
		for _, it := range before {
			v, err := jsonItemValue(&it)
			if err != nil {
				return err
			}
			if err := b.Put(u64key(it.ID), v); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := collect(t, s, storage.Query{}); !reflect.DeepEqual(got, before) {
		t.Fatalf("JSON items read as\n%+v\nwant\n%+v", got, before)
	}
	res, err := s.RecordFetch(context.Background(), storage.Fetch{SourceID: src.ID, Items: items})
	if err != nil || res.Unchanged != 2 {
		t.Fatalf("repeat of the JSON items: %+v, %v", res, err)
	}
	items[0].Title = "changed"
	record(t, s, src.ID, items...)
	s.db.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket([]byte(bucketItems)).Get(u64key(before[0].ID))
		if len(v) == 0 || v[0] != codecCBOR {
			t.Errorf("updated item stored with codec %v", v[:min(len(v), 1)])
		}
		return nil
	})
	mustCheck(t, s)
}
