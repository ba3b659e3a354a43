package bolt

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"

	"go.etcd.io/bbolt"

	"github.com/feedmill/feedmill/storage/bolt/internal/neardup"
	"github.com/feedmill/feedmill/storage/internal/storytest"
)

// TestDedupOneCommit: fetches recorded in one transaction (as the writer
// commits whatever is queued) leave the same items and near-duplicate
// index as the same fetches committed one by one: a copy finds the story
// of an item of the same transaction, and the groups an item's lookup
// read (assignStory reuses them for its own entries) are the groups it
// writes, also when the items before it in the transaction wrote them.
func TestDedupOneCommit(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	t0 := newClock().Now()
	fps := []uint64{0x0123456789abcdef, 0xfedcba9876543210}
	var fetches [][]storage.Item // per source
	for g := range 3 {
		var items []storage.Item
		for i := range 40 {
			it := dupItem(fmt.Sprintf("%d-%d", g, i), storytest.B, r.Uint64()|1, t0.Add(-time.Duration(r.IntN(100))*time.Hour))
			if r.IntN(2) == 0 {
				it.Fingerprint = fps[r.IntN(2)] ^ 1<<r.IntN(64) // same bands as others
			}
			if r.IntN(3) == 0 {
				it.Lead = storytest.Lead(storytest.A)
			}
			if i%10 == 9 {
				it.GUID = items[i-5].GUID // a repeat within the fetch
			}
			items = append(items, it)
		}
		fetches = append(fetches, items)
	}
	dump := func(oneTx bool) (raw []byte, stories int) {
		clk := newClock()
		s := openTest(t, storage.Options{Now: clk.Now})
		var srcs []storage.Source
		for g := range fetches {
			srcs = append(srcs, addSource(t, s, fmt.Sprintf("https://%d.example/feed", g)))
		}
		if oneTx {
			err := s.db.Update(func(tx *bbolt.Tx) error {
				for g, items := range fetches {
					keys := storage.ItemKeys(items)
					in := make([]storage.Item, len(items))
					for i, it := range items {
						it.Key, it.SourceID = keys[i], srcs[g].ID
						it.Hash = it.BodyHash()
						in[i] = it
					}
					if _, _, err := s.recordFetch(tx, storage.Fetch{SourceID: srcs[g].ID}, in, nil, clk.Now()); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		} else {
			for g, items := range fetches {
				record(t, s, srcs[g].ID, items...)
			}
		}
		mustCheck(t, s)
		var out bytes.Buffer
		s.db.View(func(tx *bbolt.Tx) error {
			for _, name := range []string{bucketItems, neardup.Bucket} {
				tx.Bucket([]byte(name)).ForEach(func(k, v []byte) error {
					fmt.Fprintf(&out, "%s %x %x\n", name, k, v)
					return nil
				})
			}
			return nil
		})
		for _, it := range collect(t, s, storage.Query{}) {
			if it.Story != 0 {
				stories++
			}
		}
		return out.Bytes(), stories
	}
	one, stories := dump(true)
	many, _ := dump(false)
	if !bytes.Equal(one, many) {
		t.Fatalf("one transaction stored\n%.2000s\nfetch by fetch\n%.2000s", one, many)
	}
	if stories < 10 {
		t.Errorf("only %d items joined a story: the test exercises too little", stories)
	}
}
