package bolt

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"

	"github.com/feedmill/feedmill/internal/testclock"
	"github.com/feedmill/feedmill/storage/storagetest"
)

// The conformance suite's builders, on *Store as on any storage.Store.
var (
	addSource = storagetest.AddSource
	item      = storagetest.Item
	record    = storagetest.RecordItems
	collect   = storagetest.Collect
	guids     = storagetest.GUIDs
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

func mustCheck(t testing.TB, s *Store) {
	t.Helper()
	if err := s.Check(); err != nil {
		t.Fatalf("Check: %v", err)
	}
}

func fmtGUID(i int) string { return fmt.Sprintf("item-%04d", i) }
