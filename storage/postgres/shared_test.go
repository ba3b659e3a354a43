package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/internal/storytest"
	"github.com/feedmill/feedmill/storage/postgres"
	"github.com/feedmill/feedmill/storage/postgres/pgtest"
	"github.com/jackc/pgx/v5"
)

// Three processes open a new database at once: the schema is applied
// once, and every Open succeeds.
func TestConcurrentOpensMigrateOnce(t *testing.T) {
	dsn := pgtest.NewEmptyDB(t)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := postgres.Open(dsn, storage.Options{})
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("open %d: %v", i, err)
		}
	}
	s := openDSN(t, dsn, postgres.Options{})
	if _, err := s.UpsertSource(context.Background(), storage.Source{URL: "http://x.example/"}); err != nil {
		t.Fatal(err)
	}
}

func TestOpenErrorNamesDatabaseNotPassword(t *testing.T) {
	_, err := postgres.Open("postgres://feedmill:s3cret@/nodb?host=/nonexistent&connect_timeout=1", storage.Options{})
	if err == nil {
		t.Fatal("Open of an unreachable database succeeded")
	}
	if msg := err.Error(); !strings.Contains(msg, "nodb") || strings.Contains(msg, "s3cret") {
		t.Errorf("error %q: want the database named, the password not", msg)
	}
}

// Two sources carry the same story and are recorded at the same moment
// by two stores: the slot locks make the second find the first, every
// time. A third connection holds a SHARE lock on items while both
// start, so that without the slot locks both would look up before either
// inserts.
func TestConcurrentCopiesJoinOneStory(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDB(t)
	a, b := openDSN(t, dsn, postgres.Options{}), openDSN(t, dsn, postgres.Options{})
	var srcs [2]storage.Source
	for i, s := range []*postgres.Store{a, b} {
		var err error
		if srcs[i], err = s.UpsertSource(ctx, storage.Source{URL: fmt.Sprintf("http://s%d.example/feed", i)}); err != nil {
			t.Fatal(err)
		}
	}
	for trial := range 10 {
		var (
			wg  sync.WaitGroup
			got [2]storage.Ingested
			err [2]error
		)
		release := holdItems(t, dsn)
		for i, s := range []*postgres.Store{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				it := storage.Item{GUID: fmt.Sprintf("%d-%d", trial, i), Title: "story", Content: storytest.A,
					Published: t0.Add(time.Duration(trial) * time.Minute), Fingerprint: uint64(trial+1) * 0x9e3779b97f4a7c15,
					Lead: storytest.Lead(fmt.Sprint(trial) + " " + storytest.A)}
				got[i], err[i] = s.RecordFetch(ctx, storage.Fetch{SourceID: srcs[i].ID, Items: []storage.Item{it}})
			}()
		}
		time.Sleep(150 * time.Millisecond)
		release()
		wg.Wait()
		var stories [2]uint64
		for i := range got {
			if err[i] != nil || len(got[i].Changed) != 1 {
				t.Fatalf("trial %d, store %d: %+v, %v", trial, i, got[i], err[i])
			}
			it, e := a.Item(got[i].Changed[0].ID)
			if e != nil {
				t.Fatal(e)
			}
			stories[i] = it.Story
			if stories[i] == 0 {
				stories[i] = it.ID
			}
		}
		if stories[0] != stories[1] {
			t.Fatalf("trial %d: copies in stories %d and %d", trial, stories[0], stories[1])
		}
	}
}

// holdItems takes a SHARE lock on items (inserts wait) until release.
func holdItems(t *testing.T, dsn string) (release func()) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err == nil {
		_, err = tx.Exec(ctx, `LOCK TABLE items IN SHARE MODE`)
	}
	if err != nil {
		t.Fatal(err)
	}
	return func() {
		tx.Rollback(ctx)
		conn.Close(ctx)
	}
}

// A fetch whose lease moved on is refused and writes nothing.
func TestLeaseLostIsRefused(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, postgres.Options{ClaimLease: time.Hour})
	src, err := s.UpsertSource(ctx, storage.Source{URL: "http://a.example/feed"})
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.ClaimDue(ctx, 10)
	if err != nil || len(first) != 1 || first[0].Lease == 0 {
		t.Fatalf("claim: %+v, %v", first, err)
	}
	if err := s.ForceDue(ctx, []uint64{src.ID}); err != nil {
		t.Fatal(err)
	}
	second, err := s.ClaimDue(ctx, 10)
	if err != nil || len(second) != 1 || second[0].Lease == first[0].Lease {
		t.Fatalf("second claim: %+v, %v", second, err)
	}
	_, err = s.RecordFetch(ctx, storage.Fetch{SourceID: src.ID, Lease: first[0].Lease, Items: []storage.Item{item("1", "one")}})
	if !errors.Is(err, storage.ErrLeaseLost) {
		t.Fatalf("stale lease: %v, want ErrLeaseLost", err)
	}
	if n := countItems(t, s); n != 0 {
		t.Fatalf("a refused fetch stored %d items", n)
	}
	next := t0.Add(time.Hour)
	if _, err := s.RecordFetch(ctx, storage.Fetch{SourceID: src.ID, Lease: second[0].Lease,
		State: storage.FetchState{NextDue: next}, Items: []storage.Item{item("1", "one")}}); err != nil {
		t.Fatal(err)
	}
	due, err := s.NextDue(ctx)
	if err != nil || !due.Equal(next) {
		t.Fatalf("NextDue = %v, %v; want %v", due, err, next)
	}
}

func countItems(t *testing.T, s storage.Store) int {
	t.Helper()
	n := 0
	if err := s.Items(storage.Query{}, func(storage.Item) bool { n++; return true }); err != nil {
		t.Fatal(err)
	}
	return n
}

// Another process's ingest moves Version within about a second.
func TestChangeFeedMovesVersion(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDB(t)
	a := openDSN(t, dsn, postgres.Options{})
	b := openDSN(t, dsn, postgres.Options{FeedPeriod: 200 * time.Millisecond})
	src, err := a.UpsertSource(ctx, storage.Source{URL: "http://a.example/feed"})
	if err != nil {
		t.Fatal(err)
	}
	waitVersion(t, b, src.ID, b.Version([]uint64{src.ID}), "source added elsewhere")
	before, all := b.Version([]uint64{src.ID}), b.Version(nil)
	if _, err := a.RecordFetch(ctx, storage.Fetch{SourceID: src.ID, Items: []storage.Item{item("1", "one")}}); err != nil {
		t.Fatal(err)
	}
	waitVersion(t, b, src.ID, before, "ingest elsewhere")
	if b.Version(nil) == all {
		t.Error("Version(nil) did not move")
	}
	before = b.Version([]uint64{src.ID})
	if err := a.RemoveSource(ctx, src.URL); err != nil {
		t.Fatal(err)
	}
	waitVersion(t, b, src.ID, before, "source removed elsewhere")
}

// waitVersion waits up to 2 s for s's Version of source id to leave old.
func waitVersion(t *testing.T, s *postgres.Store, id, old uint64, what string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for s.Version([]uint64{id}) == old {
		if time.Now().After(deadline) {
			t.Fatalf("%s: Version stayed %d for 2s", what, old)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
