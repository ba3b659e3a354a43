package neardup

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// testStore is a bbolt file holding the index's bucket, written as the
// store writes it.
type testStore struct {
	db     *bolt.DB
	lastID uint64
}

// openTest creates a file with an empty index in a fresh temp dir and
// closes it with the test.
func openTest(t testing.TB) *testStore {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "neardup.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket([]byte(Bucket))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return &testStore{db: db}
}

// Check runs the index's Check and returns what it reports.
func (s *testStore) Check() error {
	var errs []error
	err := s.db.View(func(tx *bolt.Tx) error {
		Check(tx.Bucket([]byte(Bucket)), func(format string, args ...any) {
			errs = append(errs, fmt.Errorf(format, args...))
		})
		return nil
	})
	return errors.Join(append(errs, err)...)
}

func mustCheck(t testing.TB, s *testStore) {
	t.Helper()
	if err := s.Check(); err != nil {
		t.Fatalf("Check: %v", err)
	}
}

// record indexes docs as new items of source src in one transaction, as
// the store does: each gets the next ID, then AssignStory. It returns them
// with their IDs and stories.
func record(t testing.TB, s *testStore, src uint64, docs ...Doc) []Doc {
	t.Helper()
	out := make([]Doc, len(docs))
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(Bucket))
		id := s.lastID
		for i, d := range docs {
			id++
			d.ID, d.Source = id, src
			if err := AssignStory(b, &d); err != nil {
				return err
			}
			out[i] = d
		}
		s.lastID = id
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// pubNanos is t as the store keys it.
func pubNanos(t time.Time) uint64 { return uint64(t.UnixNano()) }
