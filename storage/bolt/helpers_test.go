package bolt

import (
	"context"
	"fmt"
	"github.com/feedmill/feedmill/storage"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/testclock"
)

func newClock() *testclock.Clock { return testclock.New(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)) }

// openTest opens a store in a fresh temp dir and closes it with the test.
func openTest(t testing.TB, opts storage.Options) *Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "feedmill.db"), opts)
}

func openAt(t testing.TB, path string, opts storage.Options) *Store {
	t.Helper()
	s, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func addSource(t testing.TB, s *Store, url string) storage.Source {
	t.Helper()
	src, err := s.UpsertSource(context.Background(), storage.Source{URL: url, Origin: storage.OriginConfig})
	if err != nil {
		t.Fatalf("UpsertSource(%s): %v", url, err)
	}
	return src
}

// benchSources adds n sources https://0.news.example/feed, … for the
// benchmarks.
func benchSources(t testing.TB, s *Store, n int) []storage.Source {
	t.Helper()
	srcs := make([]storage.Source, 0, n)
	for g := range n {
		srcs = append(srcs, addSource(t, s, fmt.Sprintf("https://%d.news.example/feed", g)))
	}
	return srcs
}

// item builds a test item with a GUID, link and date.
func item(guid string, published time.Time) storage.Item {
	return storage.Item{
		GUID:      guid,
		Link:      "https://example.org/" + guid,
		Title:     "Title " + guid,
		Content:   "<p>Content of " + guid + "</p>",
		Published: published,
	}
}

// record records items as a fetch of sourceID and returns its counts
// (Ingested.Changed is checked here and left out, so results compare).
func record(t testing.TB, s *Store, sourceID uint64, items ...storage.Item) storage.Ingested {
	t.Helper()
	res, err := s.RecordFetch(context.Background(), storage.Fetch{SourceID: sourceID, Items: items})
	if err != nil {
		t.Fatalf("RecordFetch: %v", err)
	}
	if len(res.Changed) != res.Added+res.Updated {
		t.Errorf("Changed lists %d items, Added+Updated = %d", len(res.Changed), res.Added+res.Updated)
	}
	for _, c := range res.Changed {
		if c.Index < 0 || c.Index >= len(items) || c.ID == 0 {
			t.Errorf("Changed %+v out of range", c)
		}
	}
	res.Changed = nil
	return res
}

func mustCheck(t testing.TB, s *Store) {
	t.Helper()
	if err := s.Check(); err != nil {
		t.Fatalf("Check: %v", err)
	}
}

// collect returns the items q selects, in order.
func collect(t testing.TB, s *Store, q storage.Query) []storage.Item {
	t.Helper()
	var out []storage.Item
	if err := s.Items(q, func(it storage.Item) bool { out = append(out, it); return true }); err != nil {
		t.Fatalf("Items: %v", err)
	}
	return out
}

func guids(items []storage.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.GUID
	}
	return out
}

func fmtGUID(i int) string { return fmt.Sprintf("item-%04d", i) }
