package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/bolt"
	"github.com/feedmill/feedmill/storage/internal/storytest"
	"github.com/feedmill/feedmill/storage/postgres"
)

// corpus is fetches of sources that carry copies of shared stories: the
// same text with a few fingerprint bits flipped (some past the bound), a
// byline in front, or only a teaser of it, spread over days.
func corpus(sources, fetches int, seed uint64) [][]storage.Fetch {
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	words := strings.Fields(storytest.A + " " + storytest.B + " " + storytest.C)
	type story struct {
		text string
		fp   uint64
		at   time.Time
	}
	var stories []story
	for i := range fetches * 3 {
		w := make([]string, 40)
		for j := range w {
			w[j] = words[rng.IntN(len(words))]
		}
		stories = append(stories, story{strings.Join(w, " "), rng.Uint64() | 1, t0.Add(time.Duration(i) * 37 * time.Minute)})
	}
	out := make([][]storage.Fetch, fetches)
	for f := range fetches {
		for s := range sources {
			var items []storage.Item
			for k := range 4 {
				st := stories[rng.IntN(min(len(stories), (f+1)*3))]
				text, fp := st.text, st.fp
				lead := storytest.Lead(text)
				switch rng.IntN(5) {
				case 0, 1: // the fingerprint alone decides: 1 to 4 bits off
					for _, b := range rng.Perm(64)[:1+rng.IntN(4)] {
						fp ^= 1 << b
					}
					lead = nil
				case 2:
					text = "by a staff reporter " + text
					lead = storytest.Lead(text)
				case 3:
					text, fp = strings.Join(strings.Fields(text)[:12], " "), 0
					lead = storytest.Lead(text)
				}
				items = append(items, storage.Item{GUID: fmt.Sprintf("%d-%d-%d", f, s, k), Title: text[:20], Content: text,
					Published: st.at.Add(time.Duration(rng.IntN(120)) * time.Minute), Fingerprint: fp, Lead: lead})
			}
			out[f] = append(out[f], storage.Fetch{SourceID: uint64(s + 1), Items: items})
		}
	}
	return out
}

// The same fetches into bbolt and PostgreSQL give the same items the same
// stories.
func TestSameStoriesAsBolt(t *testing.T) {
	ctx := context.Background()
	pg := openStore(t, postgres.Options{})
	bs, err := bolt.Open(filepath.Join(t.TempDir(), "feedmill.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer bs.Close()
	const sources = 6
	for _, s := range []storage.Store{pg, bs} {
		for i := range sources {
			if _, err := s.UpsertSource(ctx, storage.Source{URL: fmt.Sprintf("http://s%d.example/feed", i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	joined := 0
	for _, round := range corpus(sources, 25, 7) {
		for _, f := range round {
			for _, s := range []storage.Store{pg, bs} {
				if _, err := s.RecordFetch(ctx, f); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	want := map[uint64]uint64{}
	bs.Items(storage.Query{}, func(it storage.Item) bool { want[it.ID] = it.Story; return true })
	got := map[uint64]uint64{}
	pg.Items(storage.Query{}, func(it storage.Item) bool { got[it.ID] = it.Story; return true })
	if len(got) != len(want) || len(got) == 0 {
		t.Fatalf("postgres holds %d items, bolt %d", len(got), len(want))
	}
	for id, story := range want {
		if got[id] != story {
			t.Errorf("item %d: story %d, bolt says %d", id, got[id], story)
		}
		if story != 0 {
			joined++
		}
	}
	if joined < len(want)/10 {
		t.Errorf("only %d of %d items joined a story: the corpus does not test much", joined, len(want))
	}
	t.Logf("%d items, %d joined a story", len(want), joined)
	for _, pair := range [][2]uint64{{1, 2}, {3, 30}, {5, 100}} {
		a, _ := pg.Similarity(pair[0], pair[1])
		b, _ := bs.Similarity(pair[0], pair[1])
		if a != b {
			t.Errorf("Similarity%v: %+v, bolt says %+v", pair, a, b)
		}
	}
}
