package bolt

import (
	"math"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"
)

// storedHash reads what the decoder reads, for the values encodeValue
// writes, whatever their strings hold.
func TestStoredHash(t *testing.T) {
	tricky := `</p>,"hash":123,"fp":9}` + "\\\",\"hash\":7,"
	for i, it := range []storage.Item{
		{Hash: 1},
		{Hash: math.MaxUint64, Title: tricky, Content: tricky, Cleaned: []string{tricky}},
		{Hash: 42, Categories: []string{`,"hash":5`}, Enclosures: []storage.Enclosure{{URL: `u,"hash":6,`, Type: "t", Length: 3}}},
		{Hash: 0, Content: `,"hash":8,`},
		{Hash: 1234567890123, Published: time.Unix(1700000000, 0).UTC(), Fingerprint: 77, Story: 3},
	} {
		v, err := encodeValue(it)
		if err != nil {
			t.Fatal(err)
		}
		if h, ok := storedHash(v); !ok || h != it.Hash {
			t.Errorf("%d: storedHash = %d, %v; want %d", i, h, ok, it.Hash)
		}
		// The same item as earlier versions stored it (JSON).
		v, err = jsonItemValue(&it)
		if err != nil {
			t.Fatal(err)
		}
		h, ok := storedHash(v)
		if want := it.Hash != 0; ok != want || ok && h != it.Hash {
			t.Errorf("%d: storedHash of the JSON value = %d, %v; want %d, %v", i, h, ok, it.Hash, want)
		}
	}
	for _, v := range []string{
		"", "\x02{}", "\x01{}", "\x01{\"hash\":5}", "\x01{\"x\":1,\"hash\":}", "\x01{\"x\":1,\"hash\":05}",
		"\x01{\"x\":1,\"hash\":18446744073709551616}", "\x01{\"x\":1,\"hash\":5", "\x01{\"x\":1,\"hash\":5.5}",
		"\x01{\"x\":1,\"hash\":-5}",
	} {
		if h, ok := storedHash([]byte(v)); ok {
			t.Errorf("storedHash(%q) = %d, true; want false", v, h)
		}
	}
	if h, ok := storedHash([]byte("\x01{\"x\":1,\"hash\":18446744073709551615}")); !ok || h != math.MaxUint64 {
		t.Errorf("max: %d, %v", h, ok)
	}
}

func FuzzStoredHash(f *testing.F) {
	f.Add("t", `,"hash":1,`, "c", uint64(5))
	f.Add("", "", "", uint64(0))
	f.Fuzz(func(t *testing.T, title, content, cat string, hash uint64) {
		it := storage.Item{Title: title, Content: content, Categories: []string{cat}, Cleaned: []string{content}, Hash: hash}
		for _, enc := range []func(*storage.Item) ([]byte, error){encodeItem, jsonItemValue} {
			v, err := enc(&it)
			if err != nil {
				t.Fatal(err)
			}
			back, err := decodeItem(nil, v)
			if err != nil {
				t.Fatal(err)
			}
			h, ok := storedHash(v)
			if ok && h != back.Hash || !ok && back.Hash != 0 {
				t.Errorf("storedHash = %d, %v; decoded %d", h, ok, back.Hash)
			}
		}
		storedHash([]byte(content)) // any bytes: no panic
	})
}
