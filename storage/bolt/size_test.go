package bolt

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"
)

func TestSizeIsTheFileSize(t *testing.T) {
	path := t.TempDir() + "/size.db"
	st, err := Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.Size()
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != fi.Size() || got == 0 {
		t.Errorf("Size() = %d, file is %d bytes", got, fi.Size())
	}
}

// A new store stays a small file: the large first mapping is only for a
// store already past 16 MiB (see initialMapping).
func TestNewStoreStaysSmall(t *testing.T) {
	s := openTest(t, storage.Options{})
	src := addSource(t, s, "https://small.example/feed")
	var items []storage.Item
	for i := range 50 {
		items = append(items, item(fmt.Sprintf("g%d", i), time.Now().Add(-time.Duration(i)*time.Minute)))
	}
	record(t, s, src.ID, items...)
	size, err := s.Size()
	if err != nil {
		t.Fatal(err)
	}
	if size > 1<<20 {
		t.Errorf("a store of 50 small items is a %d-byte file", size)
	}
	dir := t.TempDir()
	big, small := filepath.Join(dir, "big.db"), filepath.Join(dir, "small.db")
	for p, n := range map[string]int64{big: 16 << 20, small: 1 << 20} {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(p, n); err != nil {
			t.Fatal(err)
		}
	}
	if got := initialMapping(big); got != initialMmapSize {
		t.Errorf("initialMapping(16 MiB) = %d, want %d", got, initialMmapSize)
	}
	for _, p := range []string{small, filepath.Join(dir, "none.db")} {
		if got := initialMapping(p); got != 0 {
			t.Errorf("initialMapping(%s) = %d, want 0", p, got)
		}
	}
}
