package bolt

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"

	"go.etcd.io/bbolt"
)

func TestPubNanos(t *testing.T) {
	tests := []struct {
		t    time.Time
		want uint64
	}{
		{time.Time{}, 0},
		{time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), 0},
		{time.Unix(0, 0), 0},
		{time.Unix(1, 5), 1_000_000_005},
		{time.Date(2400, 1, 1, 0, 0, 0, 0, time.UTC), math.MaxInt64},
	}
	for _, tt := range tests {
		if got := pubNanos(tt.t); got != tt.want {
			t.Errorf("pubNanos(%v) = %d, want %d", tt.t, got, tt.want)
		}
	}
}

// TestOddDates stores items dated before 1970 and after 2262: they keep
// their dates, sort at the ends, and the indexes stay consistent.
func TestOddDates(t *testing.T) {
	s := openTest(t, storage.Options{})
	src := addSource(t, s, "https://a.example/")
	old := time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC)
	future := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
	record(t, s, src.ID, item("old", old), item("now", time.Now()), item("future", future))
	for _, q := range []storage.Query{{}, {SourceIDs: []uint64{src.ID}}} {
		got := collect(t, s, q)
		if !slices.Equal(guids(got), []string{"future", "now", "old"}) || !got[2].Published.Equal(old) || !got[0].Published.Equal(future) {
			t.Errorf("query %+v: %q", q, guids(got))
		}
	}
	mustCheck(t, s)
}

func TestDecodeErrors(t *testing.T) {
	for _, v := range [][]byte{nil, {}, {9, '{', '}'}, {codecJSON, 'x'}} {
		var it storage.Item
		if err := decodeValue(bucketItems, []byte{1, 2}, v, &it); err == nil || !strings.Contains(err.Error(), "0102") {
			t.Errorf("decode %q: %v", v, err)
		}
	}
	for _, v := range [][]byte{nil, make([]byte, 8), {1, 2, 3}, append([]byte{1}, make([]byte, 15)...)} {
		if _, _, _, err := parseItemKeyValue(v); err == nil {
			t.Errorf("parseItemKeyValue(%x) accepted", v)
		}
	}
}

// TestCheckFindsBrokenIndexes damages the indexes with raw bbolt and
// expects Check to name each problem.
func TestCheckFindsBrokenIndexes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feedmill.db")
	s, err := Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	src := addSource(t, s, "https://a.example/")
	record(t, s, src.ID, item("a", time.Now()), item("b", time.Now()))
	items := collect(t, s, storage.Query{})
	s.Close()

	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bbolt.Tx) error {
		a := items[0]
		tx.Bucket([]byte(bucketByTime)).Delete(byTimeKey(a.Published, a.ID))
		tx.Bucket([]byte(bucketBySource)).Put(bySourceKey(src.ID, a.Published, 999), nil)
		tx.Bucket([]byte(bucketSourceURLs)).Put([]byte("https://ghost.example/"), u64key(42))
		return nil
	})
	db.Close()

	s = openAt(t, path, storage.Options{})
	err = s.Check()
	for _, want := range []string{"no by_time entry", "no item 999", "ghost.example"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check = %v, want it to mention %q", err, want)
		}
	}
}
