package logonce

import (
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// DefaultEvery is how often a lasting run of failures is reported.
const DefaultEvery = 5 * time.Minute

// Messages are the texts of one cause's lines.
type Messages struct {
	Start   string // first failure: "store cannot commit"
	Ongoing string // while it lasts: "store still cannot commit"
	End     string // first success after: "store writable again"
	Unit    string // what failed, plural: "commits" (in "823 commits failed")
}

// Streak follows one cause of failures. It is safe for concurrent use; the
// zero value is not usable, use New.
type Streak struct {
	log   *slog.Logger
	msg   Messages
	every time.Duration
	now   func() time.Time

	mu         sync.Mutex
	failing    bool
	since      time.Time // first failure of the run
	failures   int       // in the run
	reportedAt time.Time // last line written
	reported   int       // failures at that line
}

// New returns a Streak writing to log, reporting a lasting run every
// every (<= 0: DefaultEvery), reading the time from now (nil: time.Now).
func New(log *slog.Logger, msg Messages, every time.Duration, now func() time.Time) *Streak {
	if every <= 0 {
		every = DefaultEvery
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Streak{log: log, msg: msg, every: every, now: now}
}

// Fail counts one failure. The first of a run is logged at Warn with err
// and attrs; later ones only as a count, at most once per period.
func (s *Streak) Fail(err error, attrs ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.failures++
	if !s.failing {
		s.failing, s.since, s.reportedAt, s.reported = true, now, now, s.failures
		s.log.Warn(s.msg.Start, append([]any{"err", errText(err)}, attrs...)...)
		return
	}
	if now.Sub(s.reportedAt) < s.every {
		return
	}
	s.log.Warn(s.msg.Ongoing, "for", now.Sub(s.since).Round(time.Second),
		s.msg.Unit+"_failed", s.failures, "since_last_report", s.failures-s.reported, "err", errText(err))
	s.reportedAt, s.reported = now, s.failures
}

// OK ends a run of failures, if one is going on, with one Info line.
func (s *Streak) OK() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.failing {
		return
	}
	d := s.now().Sub(s.since).Round(time.Second)
	s.log.Info(s.msg.End+" after "+d.String()+", "+strconv.Itoa(s.failures)+" "+s.msg.Unit+" failed",
		"duration", d, s.msg.Unit+"_failed", s.failures)
	s.failing, s.failures, s.reported = false, 0, 0
}

// Failing reports whether a run of failures is going on, and since when.
func (s *Streak) Failing() (bool, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failing, s.since
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
