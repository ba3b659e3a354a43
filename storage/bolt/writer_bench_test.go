package bolt

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"

	"go.etcd.io/bbolt"
)

// ingestWords are words as the ingest benchmark's Guardian bodies carry
// them; one word in a hundred is one of ingestOddWords (curly quotes,
// dashes, a link), about as often as in the Guardian capture.
var (
	ingestWords = strings.Fields(`the president said new American moment speech
stirred Republican applause while Democrats showed thinly disguised contempt
Donald Trump has promised a new American moment in a State of the Union
address that sought harmony but succeeded only in underlining the deep
discord at the heart of the country politics`)
	ingestOddWords = strings.Fields(`president’s ‘new moment’ “new moment” – £2bn
café <a href="https://www.theguardian.com/us-news/2018/jan/30/fact-check">Fact
check</a> <em>said</em> & O'Brien`)
)

// ingestContent is about n bytes of HTML paragraphs of ingestWords.
func ingestContent(r *rand.Rand, n int) string {
	var b strings.Builder
	for b.Len() < n {
		b.WriteString("<p>")
		for j := range 60 {
			if j > 0 {
				b.WriteByte(' ')
			}
			if r.IntN(100) == 0 {
				b.WriteString(ingestOddWords[r.IntN(len(ingestOddWords))])
			} else {
				b.WriteString(ingestWords[r.IntN(len(ingestWords))])
			}
		}
		b.WriteString("</p>\n")
	}
	return b.String()
}

// ingestItem is an item as the fetcher hands it over in the ingest
// benchmark: an 18 KB body, a fingerprint and a lead.
func ingestItem(r *rand.Rand, src, n int, published time.Time) storage.Item {
	content := ingestContent(r, 18000)
	lead := make([]uint32, 62)
	for i := range lead {
		lead[i] = r.Uint32()
	}
	return storage.Item{
		GUID:        fmt.Sprintf("bench-%d-%d", src, n),
		Link:        fmt.Sprintf("https://news.example/s%d/2025/story-%d", src, n),
		Title:       fmt.Sprintf("Trump’s State of the Union address promised unity (%d/%d)", src, n),
		Summary:     content[:strings.Index(content, "\n")+1],
		Content:     content,
		Author:      fmt.Sprintf("Reporter %d", n%97),
		Categories:  []string{"US news", "Donald Trump", "US politics"},
		Published:   published,
		Fingerprint: r.Uint64() | 1,
		Lead:        lead,
		Cleaned:     []string{"pixel"},
	}
}

// BenchmarkWriterPass: the writer's share of ingest passes (see
// cmd/feedbench BenchmarkIngest): an op records 16 fetches of 50 new
// items of ~18 KB each, with fingerprints and leads, into a store that
// grows by 800 items an op; the fetches are committed (and fsynced)
// perCommit at a time, as the writer's group commit takes them (in the
// ingest benchmark it commits 1 to 3 fetches at a time, sometimes more).
// The items are prepared as RecordFetch prepares them on its caller's
// goroutine (keys, hashes, texts) outside the timer. cpu-ms/op is the process's CPU time per op (GC
// included), writes/op bbolt's page writes.
func BenchmarkWriterPass(b *testing.B) {
	for _, perCommit := range []int{1, 16} {
		b.Run(fmt.Sprintf("fetches/commit=%d", perCommit), func(b *testing.B) { benchWriterPass(b, perCommit) })
	}
}

func benchWriterPass(b *testing.B, perCommit int) {
	const sources, perFetch = 16, 50
	s := openTest(b, storage.Options{})
	srcs := benchSources(b, s, sources)
	r := rand.New(rand.NewPCG(5, 6))
	base := time.Now().Add(-48 * time.Hour).Truncate(time.Hour)
	texts := make(map[uint64][]itemText)
	pass := func(p int) []storage.Fetch {
		fs := make([]storage.Fetch, sources)
		for g := range fs {
			f := storage.Fetch{SourceID: srcs[g].ID}
			for i := range perFetch {
				n := p*perFetch + i
				f.Items = append(f.Items, ingestItem(r, g, n, base.Add(time.Duration(n)*time.Minute)))
			}
			keys := storage.ItemKeys(f.Items)
			for i := range f.Items {
				f.Items[i].Key = keys[i]
				f.Items[i].SourceID = f.SourceID
				f.Items[i].Hash = f.Items[i].BodyHash()
			}
			texts[f.SourceID] = texts[f.SourceID][:0]
			for i := range f.Items {
				texts[f.SourceID] = append(texts[f.SourceID], newItemText(&f.Items[i]))
			}
			fs[g] = f
		}
		return fs
	}
	var cpu time.Duration
	w0 := dbWrites(s)
	for p := 0; b.Loop(); p++ {
		b.StopTimer()
		fs := pass(p)
		c0 := processCPU()
		b.StartTimer()
		for len(fs) > 0 {
			batch := fs[:min(perCommit, len(fs))]
			fs = fs[len(batch):]
			err := s.db.Update(func(tx *bbolt.Tx) error {
				for _, f := range batch {
					res, _, err := s.recordFetch(tx, f, f.Items, texts[f.SourceID], time.Now())
					if err != nil {
						return err
					}
					if res.Added != perFetch {
						return fmt.Errorf("added %d", res.Added)
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		cpu += processCPU() - c0
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu.Microseconds())/1e3/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(dbWrites(s)-w0)/float64(b.N), "writes/op")
	if size, err := s.Size(); err == nil {
		b.ReportMetric(float64(size)/float64(sources*perFetch*b.N), "file-B/item")
	}
}

// BenchmarkEncodeItem: the value of one ingested item (~18 KB), by
// encodeItem (CBOR) and by encoding/json (the JSON values earlier versions
// stored).
func BenchmarkEncodeItem(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	it := ingestItem(r, 1, 1, time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
	it.ID, it.SourceID, it.Key, it.Hash = 12345, 7, "g:"+it.GUID, it.BodyHash()
	it.FirstSeen = it.Published.Add(time.Minute)
	v, _ := encodeItem(&it)
	b.Run("codec", func(b *testing.B) {
		b.SetBytes(int64(len(v)))
		for b.Loop() {
			if _, err := encodeItem(&it); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(v)), "B/item")
	})
	b.Run("json", func(b *testing.B) {
		b.SetBytes(int64(len(v)))
		for b.Loop() {
			if _, err := encodeJSON(it); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// dbWrites is how many page writes the store's transactions made.
func dbWrites(s *Store) int64 {
	st := s.db.Stats()
	return st.TxStats.GetWrite()
}

// BenchmarkDecodeItem: what the writer spends on a known item of ~18 KB
// to tell an update from a repeat (update decodes the stored item for its
// Hash).
func BenchmarkDecodeItem(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	it := ingestItem(r, 1, 1, time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
	it.ID, it.SourceID, it.Key, it.Hash = 12345, 7, "g:"+it.GUID, it.BodyHash()
	v, err := encodeItem(&it)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(v)))
	for b.Loop() {
		if _, err := decodeItem(nil, v); err != nil {
			b.Fatal(err)
		}
	}
}
