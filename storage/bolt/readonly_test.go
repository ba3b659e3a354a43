package bolt

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"

	"go.etcd.io/bbolt"
)

// A store opened read-only reads what was written, shares the file with
// another reader, and refuses every write with ErrReadOnly.
func TestOpenReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ro.db")
	s, err := Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	src := addSource(t, s, "https://ro.example/feed")
	record(t, s, src.ID, item("g1", time.Now().Add(-time.Hour)))
	s.Close()

	ro, err := Open(path, storage.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only Open: %v", err)
	}
	defer ro.Close()
	ro2, err := Open(path, storage.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("second read-only Open beside the first: %v", err)
	}
	ro2.Close()
	got, err := ro.SourceByURL("https://ro.example/feed")
	if err != nil || got.ID != src.ID {
		t.Fatalf("SourceByURL = %+v, %v", got, err)
	}
	n := 0
	if err := ro.Items(storage.Query{}, func(storage.Item) bool { n++; return true }); err != nil || n != 1 {
		t.Fatalf("Items: %d items, %v", n, err)
	}
	if _, err := ro.UpsertSource(context.Background(), storage.Source{URL: "https://other.example/feed"}); !errors.Is(err, storage.ErrReadOnly) {
		t.Errorf("UpsertSource on a read-only store: %v, want ErrReadOnly", err)
	}
	if _, err := ro.RecordFetch(context.Background(), storage.Fetch{SourceID: src.ID}); !errors.Is(err, storage.ErrReadOnly) {
		t.Errorf("RecordFetch on a read-only store: %v, want ErrReadOnly", err)
	}
	if _, err := ro.ApplyRetention(context.Background()); err != nil && !errors.Is(err, storage.ErrReadOnly) {
		t.Errorf("ApplyRetention on a read-only store: %v", err)
	}
	if err := ro.Check(); err != nil {
		t.Errorf("Check of a read-only store: %v", err)
	}
	if _, err := Open(path, storage.Options{LockTimeout: 50 * time.Millisecond}); !errors.Is(err, storage.ErrLocked) {
		t.Errorf("writable Open beside a reader: %v, want ErrLocked", err)
	}
}

// A read-only Open of a missing file fails naming the path once, and
// creates nothing.
func TestOpenReadOnlyMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.db")
	_, err := Open(path, storage.Options{ReadOnly: true})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want ErrNotExist", err)
	}
	if c := strings.Count(err.Error(), path); c != 1 {
		t.Errorf("error names the path %d times: %v", c, err)
	}
	if _, serr := Open(path, storage.Options{ReadOnly: true}); serr == nil {
		t.Error("the failed read-only Open created the file")
	}
}

// A read-only Open of a store at an older schema asks for a writable open.
func TestOpenReadOnlyOldSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	s, err := Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(bucketMeta)).Put(metaSchema, u64key(schemaVersion()-1))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(path, storage.Options{ReadOnly: true}); !errors.Is(err, storage.ErrNeedsMigration) {
		t.Fatalf("err = %v, want ErrNeedsMigration", err)
	}
}
