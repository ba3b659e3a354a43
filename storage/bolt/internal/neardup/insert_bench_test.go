package neardup

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// BenchmarkNearDupInsert: what indexing one new item costs the writer in
// an index of 10k and of 1M items (built as inserts in ID order leave
// it, see bulkIndex): its lookup, its ten entries, and the merges they
// make due, 1,000 items a transaction (as the writer's group commit takes
// a few fetches of ~50 items), commit and fsync included. written-KB/op
// is what the process passed to write(2) per item: pages of the index,
// bbolt's freelist and meta.
func BenchmarkNearDupInsert(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			s := openTest(b)
			r := rand.New(rand.NewPCG(9, uint64(n)))
			t0 := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
			newRec := func(id int, at time.Duration) dedupRecord {
				lead := make([]uint32, 62)
				for j := range lead {
					lead[j] = r.Uint32()
				}
				return dedupRecord{id: uint64(id), source: uint64(id%5000 + 1), pub: pubNanos(t0.Add(at)), fp: r.Uint64() | 1, lead: lead}
			}
			recs := make([]dedupRecord, n)
			for i := range recs {
				recs[i] = newRec(i+1, time.Duration(r.Int64N(int64(30*24*time.Hour))))
			}
			if err := bulkIndex(s, recs); err != nil {
				b.Fatal(err)
			}
			const perTx = 1000
			more := make([]dedupRecord, perTx)
			w0 := procWritten(b)
			ops := 0
			for b.Loop() {
				b.StopTimer()
				for i := range more {
					more[i] = newRec(n+ops+i+1, 30*24*time.Hour+time.Duration(ops+i)*time.Second)
				}
				b.StartTimer()
				err := s.db.Update(func(tx *bolt.Tx) error {
					bk := tx.Bucket([]byte(Bucket))
					for i := range more {
						it := Doc{ID: more[i].id, Source: more[i].source, Published: more[i].pub, Fingerprint: more[i].fp, Lead: more[i].lead}
						if err := AssignStory(bk, &it); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				ops += perTx
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(ops), "ns/item")
			b.ReportMetric(float64(procWritten(b)-w0)/1024/float64(ops), "written-KB/item")
		})
	}
}

// procWritten is the bytes this process has passed to write(2) and its
// kin (/proc/self/io wchar).
func procWritten(b *testing.B) int64 {
	raw, err := os.ReadFile("/proc/self/io")
	if err != nil {
		b.Skip("no /proc/self/io")
	}
	for line := range bytes.SplitSeq(raw, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("wchar: ")); ok {
			n, _ := strconv.ParseInt(string(v), 10, 64)
			return n
		}
	}
	b.Skip("no wchar in /proc/self/io")
	return 0
}
