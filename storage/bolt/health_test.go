package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"
)

// A deleted store file makes the store unhealthy for good (restart
// needed); its size stays known.
func TestHealthDeletedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gone.db")
	s := openAt(t, path, storage.Options{})
	addSource(t, s, "https://gone.example/feed")
	if err := s.Health(); err != nil {
		t.Fatalf("Health of a new store: %v", err)
	}
	before, err := s.Size()
	if err != nil || before == 0 {
		t.Fatalf("Size = %d, %v", before, err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	err = s.Health()
	if !errors.Is(err, storage.ErrUnhealthy) || !strings.Contains(err.Error(), "deleted") ||
		!strings.Contains(err.Error(), "restart needed") || strings.Count(err.Error(), path) != 1 {
		t.Errorf("Health after the file was deleted: %v", err)
	}
	if after, err := s.Size(); err != nil || after != before {
		t.Errorf("Size after the file was deleted = %d, %v; want %d", after, err, before)
	}
	addSource(t, s, "https://still.example/feed") // writes go on into the open file
	if err := s.Health(); err == nil {
		t.Error("Health cleared after a write to the deleted file")
	}
}

// A store file replaced by another is unhealthy until the opened file is
// back at the path.
func TestHealthReplacedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "swap.db")
	s := openAt(t, path, storage.Options{})
	if err := os.Link(path, filepath.Join(dir, "kept.db")); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.db")
	if err := os.WriteFile(other, []byte("not the store"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(other, path); err != nil {
		t.Fatal(err)
	}
	if err := s.Health(); err == nil || !strings.Contains(err.Error(), "replaced") {
		t.Errorf("Health after the file was replaced: %v", err)
	}
	if err := os.Rename(filepath.Join(dir, "kept.db"), path); err != nil {
		t.Fatal(err)
	}
	if err := s.Health(); err != nil {
		t.Errorf("Health with the opened file back in place: %v", err)
	}
}

// Commits that fail are counted, reported by Health once they have failed
// longer than the grace, logged once when they start and once when they
// end; the next commit that succeeds clears Health.
func TestHealthCommitsFailing(t *testing.T) {
	clk := newClock()
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	s := openTest(t, storage.Options{Now: clk.Now, Logger: log, HealthGrace: 10 * time.Second})
	h := s.commits
	cause := errors.New("no space left on device")
	h.commitFailed(cause, 3)
	clk.Add(5 * time.Second)
	h.commitFailed(cause, 1)
	if err := s.Health(); err != nil {
		t.Errorf("Health within the grace: %v", err)
	}
	clk.Add(6 * time.Second)
	err := s.Health()
	if !errors.Is(err, storage.ErrUnhealthy) || !errors.Is(err, cause) || !strings.Contains(err.Error(), "commits failing since") {
		t.Errorf("Health after the grace: %v", err)
	}
	if n := s.WriteErrors(); n != 2 {
		t.Errorf("WriteErrors = %d, want 2", n)
	}
	clk.Add(3 * time.Minute)
	addSource(t, s, "https://back.example/feed")
	if err := s.Health(); err != nil {
		t.Errorf("Health after a commit succeeded: %v", err)
	}
	out := logged.String()
	if strings.Count(out, "store cannot commit") != 1 || strings.Count(out, "store writable again after 3m11s, 2 commits failed") != 1 ||
		strings.Contains(out, "still cannot commit") {
		t.Errorf("log:\n%s", out)
	}
}

// While commits fail for long, a count is logged every failureLogEvery,
// not a line per failure.
func TestHealthFailureLogCount(t *testing.T) {
	clk := newClock()
	var logged bytes.Buffer
	h := newCommitHealth(slog.New(slog.NewTextHandler(&logged, nil)), clk.Now)
	for range 100 {
		h.commitFailed(errors.New("disk full"), 1)
		clk.Add(10 * time.Second) // 1000 s in all: 3 periods of 5 min
	}
	if n := strings.Count(logged.String(), "\n"); n != 4 {
		t.Errorf("%d log lines for 100 failures over 1000 s, want 4:\n%s", n, logged.String())
	}
	if !strings.Contains(logged.String(), "commits_failed=31") {
		t.Errorf("no count in the log:\n%s", logged.String())
	}
}

// bigItems are n items of about 16 KB each.
func bigItems(prefix string, n int, at time.Time) []storage.Item {
	items := make([]storage.Item, n)
	for i := range items {
		items[i] = item(fmt.Sprintf("%s-%d", prefix, i), at.Add(-time.Duration(i)*time.Minute))
		items[i].Content = strings.Repeat(fmt.Sprintf("<p>%s %d</p>", prefix, i), 1000)
	}
	return items
}

// recordErr is record that returns the error.
func recordErr(s *Store, sourceID uint64, items []storage.Item) error {
	_, err := s.RecordFetch(context.Background(), storage.Fetch{SourceID: sourceID, Items: items})
	return err
}
