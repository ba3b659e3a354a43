package bolt

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"
)

var benchWords = strings.Fields(`the minister said on tuesday that talks would
resume next week after a breakdown over funding for the new rail line which
critics say has run years late and billions over budget while residents of
the northern districts complain of noise dust and closed roads`)

// benchContent is about n bytes of HTML paragraphs.
func benchContent(r *rand.Rand, n int) string {
	var b strings.Builder
	for b.Len() < n {
		b.WriteString("<p>")
		for range 40 {
			b.WriteString(benchWords[r.IntN(len(benchWords))])
			b.WriteByte(' ')
		}
		b.WriteString("</p>\n")
	}
	return b.String()
}

func benchItem(r *rand.Rand, n uint64, published time.Time, size int) storage.Item {
	return storage.Item{
		GUID:       fmt.Sprintf("https://news.example/%d", n),
		Link:       fmt.Sprintf("https://news.example/2025/06/story-%d", n),
		Title:      fmt.Sprintf("Story %d: talks to resume over rail funding", n),
		Summary:    "Talks would resume next week after a breakdown over funding.",
		Content:    benchContent(r, size),
		Author:     "Jane Reporter",
		Categories: []string{"politics", "transport"},
		Published:  published,
	}
}

// BenchmarkRecordFetch: 16 goroutines each record fetches of 50 new items
// of about 2 KB into one store; b.N counts fetches.
func BenchmarkRecordFetch(b *testing.B) {
	const writers, perFetch = 16, 50
	s := openTest(b, storage.Options{})
	srcs := benchSources(b, s, writers)
	// Prepare the fetches outside the timer.
	r := rand.New(rand.NewPCG(1, 2))
	var seq uint64
	fetches := make([]storage.Fetch, b.N)
	for i := range fetches {
		f := storage.Fetch{SourceID: srcs[i%writers].ID}
		for range perFetch {
			seq++
			f.Items = append(f.Items, benchItem(r, seq, time.Now().Add(-time.Duration(seq)*time.Second), 2048))
		}
		fetches[i] = f
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range writers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(len(fetches)) {
					return
				}
				res, err := s.RecordFetch(context.Background(), fetches[i])
				if err != nil || res.Added != perFetch {
					b.Errorf("RecordFetch = %+v, %v", res, err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N*perFetch)/time.Since(start).Seconds(), "items/s")
}

// BenchmarkItemsQuery: a channel's query for the newest 50 items of 100
// sources, over a store of 100k items.
func BenchmarkItemsQuery(b *testing.B) {
	const sources, perSource, want = 100, 1000, 50
	s := openTest(b, storage.Options{})
	r := rand.New(rand.NewPCG(3, 4))
	ids := make([]uint64, 0, sources)
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var seq uint64
	for g := range sources {
		src := addSource(b, s, fmt.Sprintf("https://%d.news.example/feed", g))
		ids = append(ids, src.ID)
		items := make([]storage.Item, 0, perSource)
		for range perSource {
			seq++
			items = append(items, benchItem(r, seq, base.Add(time.Duration(r.IntN(90*24*3600))*time.Second), 512))
		}
		record(b, s, src.ID, items...)
	}
	for _, bc := range []struct {
		name string
		q    storage.Query
	}{
		{"100sources", storage.Query{SourceIDs: ids}},
		{"all", storage.Query{}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				n := 0
				err := s.Items(bc.q, func(storage.Item) bool { n++; return n < want })
				if err != nil || n != want {
					b.Fatalf("Items: %d, %v", n, err)
				}
			}
		})
	}
}

// BenchmarkRecordFetchKnown: a feed answering 200 with the 50 items (~20 KB
// each) it gave last time, the usual answer of a feed that changed a
// little: every item is looked up and found unchanged by its hash; b.N
// counts fetches.
func BenchmarkRecordFetchKnown(b *testing.B) {
	const perFetch = 50
	s := openTest(b, storage.Options{})
	src := benchSources(b, s, 1)[0]
	r := rand.New(rand.NewPCG(9, 10))
	f := storage.Fetch{SourceID: src.ID}
	for i := range perFetch {
		f.Items = append(f.Items, benchItem(r, uint64(i+1), time.Now().Add(-time.Duration(i)*time.Hour), 20000))
	}
	if res, err := s.RecordFetch(context.Background(), f); err != nil || res.Added != perFetch {
		b.Fatalf("first RecordFetch = %+v, %v", res, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		res, err := s.RecordFetch(context.Background(), f)
		if err != nil || res.Unchanged != perFetch {
			b.Fatalf("RecordFetch = %+v, %v", res, err)
		}
	}
}

// BenchmarkCopy: Export of a store of 20,000 items of about 4 KB (100
// sources, each item with a fingerprint and a lead) straight into Import
// of a new store; b.N counts whole copies.
func BenchmarkCopy(b *testing.B) {
	const sources, perSource = 100, 200
	from := openTest(b, storage.Options{})
	r := rand.New(rand.NewPCG(3, 4))
	now := time.Now()
	var seq uint64
	for _, src := range benchSources(b, from, sources) {
		var items []storage.Item
		for range perSource {
			seq++
			it := benchItem(r, seq, now.Add(-time.Duration(seq)*time.Second), 4096)
			it.Fingerprint, it.Lead = r.Uint64(), make([]uint32, 30)
			for i := range it.Lead {
				it.Lead[i] = r.Uint32()
			}
			items = append(items, it)
		}
		record(b, from, src.ID, items...)
	}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		to := openTest(b, storage.Options{})
		recs := make(chan storage.Record, 256)
		go func() {
			defer close(recs)
			if err := from.Export(context.Background(), func(r storage.Record) error { recs <- r; return nil }); err != nil {
				b.Error(err)
			}
		}()
		err := to.Import(context.Background(), func() (storage.Record, bool, error) {
			r, ok := <-recs
			return r, ok, nil
		})
		if err != nil {
			b.Fatal(err)
		}
		to.Close()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*sources*perSource)/time.Since(start).Seconds(), "items/s")
}
