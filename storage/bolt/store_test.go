package bolt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"

	"go.etcd.io/bbolt"
)

func TestOpenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feedmill.db")
	openAt(t, path, storage.Options{})
	for _, wait := range []time.Duration{0, 300 * time.Millisecond} {
		start := time.Now()
		s, err := Open(path, storage.Options{LockTimeout: wait})
		took := time.Since(start)
		if err == nil {
			s.Close()
			t.Fatal("second Open of a held store succeeded")
		}
		if !errors.Is(err, storage.ErrLocked) || !strings.Contains(err.Error(), path) {
			t.Errorf("LockTimeout %v: error %v, want ErrLocked naming the path", wait, err)
		}
		if took > wait+time.Second {
			t.Errorf("LockTimeout %v: took %v", wait, took)
		}
	}
}

// TestReopen: what was written is in the file when it is opened again,
// and IDs continue after the highest handed out.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feedmill.db")
	s, err := Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const sources, perSource = 4, 5
	added := 0
	for g := range sources {
		src := addSource(t, s, fmt.Sprintf("https://%d.example/", g))
		var items []storage.Item
		for i := range perSource {
			items = append(items, item(fmt.Sprintf("%d-%d", g, i), time.Now().Add(-time.Duration(i)*time.Minute)))
		}
		added += record(t, s, src.ID, items...).Added
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openAt(t, path, storage.Options{})
	if n := len(collect(t, s2, storage.Query{})); n != added || added != sources*perSource {
		t.Errorf("reopened store has %d items, want %d", n, added)
	}
	got, err := s2.Sources()
	if err != nil || len(got) != sources {
		t.Errorf("reopened store has %d sources, %v", len(got), err)
	}
	mustCheck(t, s2)
	src := addSource(t, s2, "https://new.example/")
	if src.ID != sources+1 {
		t.Errorf("new source ID %d after reopen", src.ID)
	}
	res, err := s2.RecordFetch(context.Background(), storage.Fetch{SourceID: src.ID, Items: []storage.Item{item("new", time.Now())}})
	if err != nil || len(res.Changed) != 1 || res.Changed[0].ID != sources*perSource+1 {
		t.Errorf("new item after reopen: %+v, %v", res, err)
	}
}

// TestCloseCommitsQueued closes while writes are still queued: each either
// commits or fails with ErrClosed, and what returned nil is on disk.
func TestCloseCommitsQueued(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feedmill.db")
	s, err := Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ok []string
	for i := range 200 {
		wg.Go(func() {
			u := fmt.Sprintf("https://%d.example/", i)
			if _, err := s.UpsertSource(context.Background(), storage.Source{URL: u}); err == nil {
				mu.Lock()
				ok = append(ok, u)
				mu.Unlock()
			} else if !errors.Is(err, storage.ErrClosed) {
				t.Error(err)
			}
		})
	}
	time.Sleep(time.Millisecond)
	s.Close()
	wg.Wait()
	s2 := openAt(t, path, storage.Options{})
	for _, u := range ok {
		if _, err := s2.SourceByURL(u); err != nil {
			t.Errorf("%s returned nil but is not stored: %v", u, err)
		}
	}
}

func TestBackup(t *testing.T) {
	s := openTest(t, storage.Options{})
	src := addSource(t, s, "https://a.example/")
	for i := range 20 {
		record(t, s, src.ID, item(fmtGUID(i), time.Now().Add(-time.Duration(i)*time.Minute)))
	}
	path := filepath.Join(t.TempDir(), "backup.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.Backup(f)
	if err != nil || n == 0 {
		t.Fatalf("Backup = %d, %v", n, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	b := openAt(t, path, storage.Options{})
	want, got := guids(collect(t, s, storage.Query{})), guids(collect(t, b, storage.Query{}))
	if strings.Join(want, ",") != strings.Join(got, ",") {
		t.Errorf("backup items %q, want %q", got, want)
	}
	mustCheck(t, b)
}

func TestCorruptValue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feedmill.db")
	s, err := Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	src := addSource(t, s, "https://a.example/")
	record(t, s, src.ID, item("a", time.Now()), item("b", time.Now().Add(-time.Hour)))
	victim := collect(t, s, storage.Query{})[1].ID
	s.Close()

	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(bucketItems)).Put(u64key(victim), []byte("\x01{garbage"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	s = openAt(t, path, storage.Options{})
	wantKey := fmt.Sprintf("%x", u64key(victim))
	for _, q := range []storage.Query{{}, {SourceIDs: []uint64{src.ID}}} {
		n := 0
		err = s.Items(q, func(storage.Item) bool { n++; return true })
		if err == nil || !strings.Contains(err.Error(), wantKey) {
			t.Errorf("Items over a corrupt value: %v (want the key %s)", err, wantKey)
		}
	}
	if _, err := s.Item(victim); err == nil {
		t.Error("Item of a corrupt value succeeded")
	}
	if err := s.Check(); err == nil || !strings.Contains(err.Error(), wantKey) {
		t.Errorf("Check: %v", err)
	}
	// The writer survives a corrupt value: an update of that item fails,
	// other writes go on.
	if _, err := s.RecordFetch(context.Background(), storage.Fetch{SourceID: src.ID, Items: []storage.Item{item("b", time.Now().Add(-time.Hour)), item("c", time.Now())}}); err == nil {
		t.Error("RecordFetch touching a corrupt item succeeded")
	}
	addSource(t, s, "https://b.example/")
}

func TestMigrationNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feedmill.db")
	s, err := Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(bucketMeta)).Put(metaSchema, u64key(schemaVersion()+1))
	})
	db.Close()
	_, err = Open(path, storage.Options{})
	if err == nil || !strings.Contains(err.Error(), "newer") || !strings.Contains(err.Error(), path) {
		t.Errorf("Open of a newer schema: %v", err)
	}
}

func TestPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feedmill.db")
	if s := openAt(t, path, storage.Options{}); s.Path() != path {
		t.Errorf("Path = %q", s.Path())
	}
}

// TestBatchFailureIsolated: a failing request in the same batch as others
// gets its error alone.
func TestBatchFailureIsolated(t *testing.T) {
	s := openTest(t, storage.Options{})
	src := addSource(t, s, "https://a.example/")
	var wg sync.WaitGroup
	errs := make([]error, 40)
	for i := range errs {
		wg.Go(func() {
			f := storage.Fetch{SourceID: src.ID, Items: []storage.Item{item(fmtGUID(i), time.Now())}}
			if i%4 == 0 {
				f.SourceID = 999 // unknown: fails
			}
			_, errs[i] = s.RecordFetch(context.Background(), f)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if (i%4 == 0) != (err != nil) {
			t.Errorf("request %d: %v", i, err)
		}
	}
	if n := len(collect(t, s, storage.Query{})); n != 30 {
		t.Errorf("%d items stored, want 30", n)
	}
	mustCheck(t, s)
}
