package bolt

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedmill/feedmill/storage"

	"github.com/feedmill/feedmill/internal/logonce"
)

// defaultHealthGrace is how long commits may fail before Health reports
// it, when Options.HealthGrace is 0.
const defaultHealthGrace = 10 * time.Second

// commitHealth records whether the writer's commits succeed. The writer
// calls commitFailed and commitSucceeded; Health reads it. A run of
// failures is logged through a logonce.Streak: once when it starts, a
// count every few minutes while it lasts, once when it ends.
type commitHealth struct {
	now    func() time.Time
	streak *logonce.Streak

	total atomic.Uint64 // failed commits since Open

	mu      sync.Mutex
	since   time.Time // first failure of the current run; zero when commits succeed
	lastErr error
	failed  int // failed commits in the current run
}

// newCommitHealth returns a commitHealth logging to log, reading the time
// from now.
func newCommitHealth(log *slog.Logger, now func() time.Time) *commitHealth {
	return &commitHealth{now: now, streak: logonce.New(log, logonce.Messages{
		Start:   "store cannot commit: nothing is saved, sources back off until it can",
		Ongoing: "store still cannot commit",
		End:     "store writable again",
		Unit:    "commits",
	}, 0, now)}
}

// commitFailed records a commit of requests writes that failed with err.
func (h *commitHealth) commitFailed(err error, requests int) {
	h.total.Add(1)
	h.mu.Lock()
	if h.since.IsZero() {
		h.since = h.now()
	}
	h.lastErr = err
	h.failed++
	h.mu.Unlock()
	h.streak.Fail(err, "requests", requests)
}

// commitSucceeded records a commit that succeeded, ending a run of
// failures.
func (h *commitHealth) commitSucceeded() {
	h.mu.Lock()
	h.since, h.lastErr, h.failed = time.Time{}, nil, 0
	h.mu.Unlock()
	h.streak.OK()
}

// check is the commits' part of Health.
func (h *commitHealth) check(grace time.Duration) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.since.IsZero() || h.now().Sub(h.since) < grace {
		return nil
	}
	return fmt.Errorf("commits failing since %s (%d failed): %w", h.since.Format(time.RFC3339), h.failed, h.lastErr)
}

// Health is nil while the store can do its job, else an error wrapping
// ErrUnhealthy that names the store's path and the cause:
//   - commits have been failing for longer than Options.HealthGrace (the
//     last commit's error, such as "no space left on device"); it clears
//     by itself at the next commit that succeeds;
//   - the file at the store's path is no longer the one opened (deleted,
//     or replaced by another file): writes go on into the open file, which
//     the next Open will not see, so only a restart clears it.
//
// A read-only store reports only the second.
func (s *Store) Health() error {
	if err := s.fileHealth(); err != nil {
		return fmt.Errorf("store %s: %w: %w", s.path, storage.ErrUnhealthy, err)
	}
	if err := s.commits.check(s.grace); err != nil {
		return fmt.Errorf("store %s: %w: %w", s.path, storage.ErrUnhealthy, err)
	}
	return nil
}

// fileHealth compares the file at the store's path with the open one.
func (s *Store) fileHealth() error {
	open, err := s.file.Stat()
	if err != nil {
		return fmt.Errorf("stat the open file: %w", err)
	}
	onDisk, err := os.Stat(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return errors.New("the file was deleted while open; writes since are lost at the next start: restart needed (restore a backup first)")
	}
	if err != nil {
		return fmt.Errorf("stat: %w", err)
	}
	a, ok1 := identityOf(open)
	b, ok2 := identityOf(onDisk)
	if ok1 && ok2 && a != b {
		return errors.New("the file was replaced by another while open; writes go to the old one: restart needed")
	}
	return nil
}

// WriteErrors is the number of commits that failed since Open (each
// failed commit once, however many writes it carried).
func (s *Store) WriteErrors() uint64 { return s.commits.total.Load() }

// Size is the size in bytes of the open store file (for /metrics): it
// stays known when the file's path is deleted or replaced. bbolt never
// shrinks the file: free pages are reused, and compaction is offline.
func (s *Store) Size() (int64, error) {
	fi, err := s.file.Stat()
	if err != nil {
		return 0, fmt.Errorf("store %s: size: %w", s.path, err)
	}
	return fi.Size(), nil
}
