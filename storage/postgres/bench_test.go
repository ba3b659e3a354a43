package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/bolt"
	"github.com/feedmill/feedmill/storage/postgres"
	"github.com/feedmill/feedmill/storage/postgres/pgtest"
)

// benchItems is the size of the near-duplicate benchmark's index in items
// ($FEEDMILL_PG_BENCH_ITEMS, default 100,000; ten rows each).
func benchItems() int {
	if n, err := strconv.Atoi(os.Getenv("FEEDMILL_PG_BENCH_ITEMS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

var (
	lookupOnce  sync.Once
	lookupStore *postgres.Store
	lookupErr   error
)

// lookupData is a store whose near-duplicate index holds benchItems
// items of 1,000 sources published over the 30 days before t0, with
// random fingerprints and lead MinHashes, built once per test binary.
func lookupData(b *testing.B) *postgres.Store {
	lookupOnce.Do(func() {
		dsn, _, err := pgtest.CreateDB()
		if err != nil {
			lookupErr = err
			return
		}
		now := t0
		lookupStore, lookupErr = postgres.OpenWith(dsn, postgres.Options{Options: storage.Options{Now: func() time.Time { return now },
			Retention: storage.Retention{MaxAge: 30 * 24 * time.Hour}}})
		if lookupErr != nil {
			return
		}
		start := time.Now()
		lookupErr = fillNearDup(lookupStore, benchItems())
		b.Logf("index of %d items (%d rows) built in %v", benchItems(), 10*benchItems(), time.Since(start).Round(time.Second))
	})
	if lookupErr != nil {
		b.Fatal(lookupErr)
	}
	return lookupStore
}

// fillNearDup inserts n items' rows into neardup, 100,000 items a statement.
func fillNearDup(s *postgres.Store, n int) error {
	ctx := context.Background()
	from, span := t0.Add(-30*24*time.Hour).UnixNano(), int64(30*24*time.Hour)
	for lo := 1; lo <= n; lo += 100_000 {
		err := s.Exec(ctx, `INSERT INTO neardup (k, published_ns, item_id, source_id, story, fp)
			SELECT v.k, x.pub, x.id, x.src, x.id, x.fp FROM (
				SELECT g AS id, g % 1000 AS src,
					$1::bigint + ((hashint8extended(g, 9) & 2147483647) * ($2::bigint / 2147483647)) AS pub,
					hashint8extended(g, 0) AS fp, hashint8extended(g, 1) AS h1,
					hashint8extended(g, 2) AS h2, hashint8extended(g, 3) AS h3
				FROM generate_series($3::bigint, $4::bigint) g) x
			CROSS JOIN LATERAL (VALUES (x.fp & 65535), (65536 | (x.fp >> 16 & 65535)),
				(131072 | (x.fp >> 32 & 65535)), (196608 | (x.fp >> 48 & 65535)),
				((4::bigint << 32) | (x.h1 & 4294967295)), ((5::bigint << 32) | (x.h1 >> 32 & 4294967295)),
				((6::bigint << 32) | (x.h2 & 4294967295)), ((7::bigint << 32) | (x.h2 >> 32 & 4294967295)),
				((8::bigint << 32) | (x.h3 & 4294967295)), ((9::bigint << 32) | (x.h3 >> 32 & 4294967295))) v(k)`,
			from, span, lo, min(lo+100_000-1, n))
		if err != nil {
			return err
		}
	}
	return s.Exec(ctx, `VACUUM ANALYZE neardup`)
}

// lookupItems are n new items of random text published in the last days
// of the index's range.
func lookupItems(rng *rand.Rand, n int) []*storage.Item {
	out := make([]*storage.Item, n)
	for i := range out {
		lead := make([]uint32, 40)
		for j := range lead {
			lead[j] = rng.Uint32()
		}
		out[i] = &storage.Item{ID: uint64(1e9 + i), SourceID: 5000, Fingerprint: rng.Uint64(), Lead: lead,
			Published: t0.Add(-time.Duration(rng.IntN(72)) * time.Hour)}
	}
	return out
}

// BenchmarkNearDupLookupPG measures a new item's story lookup in an index
// of benchItems items: per item alone (one round trip, its ten keys) and
// in a fetch of 20 new items (one round trip for all), with the server's
// execution time of the same query.
func BenchmarkNearDupLookupPG(b *testing.B) {
	s := lookupData(b)
	ctx := context.Background()
	for _, batch := range []int{1, 20} {
		b.Run(fmt.Sprintf("items=%d/batch=%d", benchItems(), batch), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, uint64(batch)))
			var server time.Duration
			for i := 0; b.Loop(); i++ {
				items := lookupItems(rng, batch)
				if _, err := s.LookupStories(ctx, items); err != nil {
					b.Fatal(err)
				}
				if i%10 == 0 {
					d, err := s.LookupServerTime(ctx, items)
					if err != nil {
						b.Fatal(err)
					}
					server += d
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*batch), "µs/item")
			b.ReportMetric(float64(server.Microseconds())/float64((b.N+9)/10*batch), "server-µs/item")
		})
	}
}

// ingestFetches are fetches of new items (2 KB bodies, fingerprints and
// leads) for sources 1..sources, 50 items each, a share of them copies of
// another source's.
func ingestFetches(sources, fetches int) []storage.Fetch {
	rng := rand.New(rand.NewPCG(3, 4))
	words := strings.Fields("the council voted to close three rural schools next year citing falling enrolment and a budget gap while parents protested outside")
	out := make([]storage.Fetch, fetches)
	for f := range out {
		items := make([]storage.Item, 50)
		for i := range items {
			w := make([]string, 300)
			for j := range w {
				w[j] = words[rng.IntN(len(words))]
			}
			lead := make([]uint32, 40)
			for j := range lead {
				lead[j] = rng.Uint32()
			}
			items[i] = storage.Item{GUID: fmt.Sprintf("f%d-%d", f, i), Link: fmt.Sprintf("http://x.example/%d/%d", f, i),
				Title: strings.Join(w[:8], " "), Content: "<p>" + strings.Join(w, " ") + "</p>",
				Published: t0.Add(-time.Duration(rng.IntN(48*60)) * time.Minute), Fingerprint: rng.Uint64(), Lead: lead}
		}
		out[f] = storage.Fetch{SourceID: uint64(f%sources + 1), Items: items}
	}
	return out
}

// benchOpeners open a bbolt and a PostgreSQL store for a benchmark.
var benchOpeners = map[string]func(b *testing.B) storage.Store{
	"bolt": func(b *testing.B) storage.Store {
		s, err := bolt.Open(filepath.Join(b.TempDir(), "feedmill.db"), storage.Options{Now: func() time.Time { return t0 }})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	},
	"postgres": func(b *testing.B) storage.Store {
		return openStore(b, postgres.Options{Options: storage.Options{Now: func() time.Time { return t0 }}})
	},
}

// addSources adds n sources to s.
func addSources(b *testing.B, s storage.Store, n int) {
	for i := range n {
		if _, err := s.UpsertSource(context.Background(), storage.Source{URL: fmt.Sprintf("http://s%d.example/", i)}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecord304 records an unchanged pass (a 304, new fetch state,
// no items) of 2,000 sources with 16 writers, as the fetcher's workers
// do, reporting fetches/s.
func BenchmarkRecord304(b *testing.B) {
	const sources = 2000
	fetches := make([]storage.Fetch, sources)
	for i := range fetches {
		fetches[i] = storage.Fetch{SourceID: uint64(i + 1), State: storage.FetchState{LastStatus: 304, LastFetch: t0, NextDue: t0.Add(time.Hour)}}
	}
	for _, name := range []string{"bolt", "postgres"} {
		b.Run(name, func(b *testing.B) {
			s := benchOpeners[name](b)
			addSources(b, s, sources)
			b.ResetTimer()
			recordAll(b, s, fetches, 16)
			b.ReportMetric(float64(sources*b.N)/b.Elapsed().Seconds(), "fetches/s")
		})
	}
}

// BenchmarkRecordFetchVsBolt records fetches of 50 new items each into
// bbolt and PostgreSQL (one writer, and 4 at once), reporting items/s.
func BenchmarkRecordFetchVsBolt(b *testing.B) {
	const sources = 100
	fetches := ingestFetches(sources, 400)
	for _, name := range []string{"bolt", "postgres"} {
		for _, writers := range []int{1, 4} {
			b.Run(fmt.Sprintf("%s/writers=%d", name, writers), func(b *testing.B) {
				s := benchOpeners[name](b)
				addSources(b, s, sources)
				b.ResetTimer()
				recordAll(b, s, fetches, writers)
				b.ReportMetric(float64(len(fetches)*50*b.N)/b.Elapsed().Seconds(), "items/s")
			})
		}
	}
}

// recordAll records the fetches b.N times over (new GUIDs each round)
// with writers goroutines.
func recordAll(b *testing.B, s storage.Store, fetches []storage.Fetch, writers int) {
	var next atomic.Int64
	for round := range b.N {
		next.Store(0)
		var wg sync.WaitGroup
		for range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := int(next.Add(1)) - 1; i < len(fetches); i = int(next.Add(1)) - 1 {
					f := fetches[i]
					f.Items = append([]storage.Item(nil), f.Items...)
					for j := range f.Items {
						f.Items[j].GUID += fmt.Sprint("/", round)
					}
					if _, err := s.RecordFetch(context.Background(), f); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
}
