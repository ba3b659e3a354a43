package logonce

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/testclock"
)

var storeMessages = Messages{
	Start:   "store cannot commit",
	Ongoing: "store still cannot commit",
	End:     "store writable again",
	Unit:    "commits",
}

func newTestStreak() (*Streak, *bytes.Buffer, *testclock.Clock) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	clock := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	return New(log, storeMessages, 5*time.Minute, clock.Now), &buf, clock
}

func lines(buf *bytes.Buffer) []string {
	s := strings.TrimSpace(buf.String())
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// TestStreakLines: 823 failures over 3m12s are three lines at most: the
// start, no count (under five minutes), the end with the duration and
// the count.
func TestStreakLines(t *testing.T) {
	s, buf, clock := newTestStreak()
	s.OK() // nothing going on: no line
	if n := len(lines(buf)); n != 0 {
		t.Fatalf("OK without failures logged %d lines", n)
	}
	diskFull := errors.New("write feedmill.db: no space left on device")
	for i := range 823 {
		if i > 0 {
			clock.Add(192 * time.Second / 822)
		}
		s.Fail(diskFull, "path", "feedmill.db")
	}
	clock.Add(time.Second / 4)
	s.OK()
	s.OK()
	got := lines(buf)
	if len(got) != 2 {
		t.Fatalf("want 2 lines, got %d:\n%s", len(got), buf)
	}
	for _, want := range []string{"level=WARN", `msg="store cannot commit"`, `err="write feedmill.db: no space left on device"`, "path=feedmill.db"} {
		if !strings.Contains(got[0], want) {
			t.Errorf("start line lacks %s: %s", want, got[0])
		}
	}
	for _, want := range []string{"level=INFO", `msg="store writable again after 3m12s, 823 commits failed"`, "commits_failed=823"} {
		if !strings.Contains(got[1], want) {
			t.Errorf("end line lacks %s: %s", want, got[1])
		}
	}
}

// TestStreakCounts: a run that lasts is counted every period, not per
// failure, and a new run starts afresh.
func TestStreakCounts(t *testing.T) {
	s, buf, clock := newTestStreak()
	err := errors.New("network unreachable")
	for range 20 * 60 { // one failure a second for 20 minutes
		s.Fail(err)
		clock.Add(time.Second)
	}
	got := lines(buf)
	// Start at 0, counts at 5, 10, 15 minutes.
	if len(got) != 4 {
		t.Fatalf("want 4 lines in 20 minutes, got %d:\n%s", len(got), buf)
	}
	for i, line := range got[1:] {
		if !strings.Contains(line, `msg="store still cannot commit"`) || !strings.Contains(line, "since_last_report=300") {
			t.Errorf("count line %d: %s", i+1, line)
		}
	}
	if !strings.Contains(got[3], "commits_failed=901") || !strings.Contains(got[3], "for=15m0s") {
		t.Errorf("third count line: %s", got[3])
	}
	if failing, since := s.Failing(); !failing || !since.Equal(clock.Now().Add(-20*time.Minute)) {
		t.Errorf("Failing() = %v, %v", failing, since)
	}
	s.OK()
	buf.Reset()
	s.Fail(err)
	s.OK()
	got = lines(buf)
	if len(got) != 2 || !strings.Contains(got[1], "after 0s, 1 commits failed") {
		t.Errorf("second run:\n%s", buf)
	}
	if failing, _ := s.Failing(); failing {
		t.Error("still failing after OK")
	}
}

func TestStreakConcurrent(t *testing.T) {
	s, buf, _ := newTestStreak()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				s.Fail(errors.New("x"))
			}
		}()
	}
	wg.Wait()
	s.OK()
	got := lines(buf)
	if len(got) != 2 || !strings.Contains(got[1], "800 commits failed") {
		t.Errorf("concurrent failures:\n%s", buf)
	}
}
