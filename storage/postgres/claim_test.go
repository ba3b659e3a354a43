package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/postgres"
	"github.com/feedmill/feedmill/storage/postgres/pgtest"
)

// Three claimers share 60 sources on 30 hosts; the third claims a batch
// and stops without recording it. Every source is recorded exactly once:
// the stopped claimer's sources come due again when their lease ends.
func TestClaimersFetchEachSourceOnce(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDB(t)
	opts := func(name string) postgres.Options {
		return postgres.Options{Replica: name, ShardTTL: time.Second, ClaimLease: time.Second, FeedPeriod: 100 * time.Millisecond}
	}
	a, b := openDSN(t, dsn, opts("a")), openDSN(t, dsn, opts("b"))
	c, err := postgres.OpenWith(dsn, opts("c"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 60
	for i := range n {
		if _, err := a.UpsertSource(ctx, storage.Source{URL: fmt.Sprintf("http://h%d.example/feed%d", i%30, i)}); err != nil {
			t.Fatal(err)
		}
	}
	// c claims first, from every shard it holds alone, and stops.
	stranded, err := c.ClaimDue(ctx, 10)
	if err != nil || len(stranded) == 0 {
		t.Fatalf("c claimed %d, %v", len(stranded), err)
	}
	c.Close()

	var (
		mu       sync.Mutex
		recorded = map[uint64]int{}
		wg       sync.WaitGroup
	)
	deadline := time.Now().Add(20 * time.Second)
	for _, s := range []*postgres.Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				mu.Lock()
				done := len(recorded) == n
				mu.Unlock()
				if done {
					return
				}
				claimed, err := s.ClaimDue(ctx, 5)
				if err != nil {
					t.Error(err)
					return
				}
				for _, src := range claimed {
					_, err := s.RecordFetch(ctx, storage.Fetch{SourceID: src.ID, Lease: src.Lease,
						State: storage.FetchState{NextDue: time.Now().Add(time.Hour)}})
					if err != nil {
						t.Errorf("record source %d: %v", src.ID, err)
						continue
					}
					mu.Lock()
					recorded[src.ID]++
					mu.Unlock()
				}
				if len(claimed) == 0 {
					time.Sleep(50 * time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	if len(recorded) != n {
		t.Fatalf("%d of %d sources recorded", len(recorded), n)
	}
	for id, k := range recorded {
		if k != 1 {
			t.Errorf("source %d recorded %d times", id, k)
		}
	}
	for _, src := range stranded {
		if recorded[src.ID] != 1 {
			t.Errorf("stranded source %d not recorded once", src.ID)
		}
	}
}
