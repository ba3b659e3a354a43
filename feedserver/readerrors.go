package feedserver

import (
	"sync"

	"github.com/feedmill/feedmill/internal/logonce"
)

// readErrors logs the failures to read a channel (or the index) from the
// store once per run of failures, not once per request: a damaged item
// fails every request for its channel. There is one run per channel and
// one for the index, so that a channel that fails does not take turns
// with one that works.
type readErrors struct {
	mu      sync.Mutex
	streaks map[string]*logonce.Streak // channel name ("" = the index) -> its run
}

// streak returns name's run, creating it.
func (s *Server) readStreak(name string) *logonce.Streak {
	e := &s.readErrs
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.streaks == nil {
		e.streaks = map[string]*logonce.Streak{}
	}
	st := e.streaks[name]
	if st == nil {
		what := "channel " + name
		if name == "" {
			what = "the index page"
		}
		st = logonce.New(s.log, logonce.Messages{
			Start:   "feedserver: cannot read " + what + " from the store; serving the previous copy where there is one",
			Ongoing: "feedserver: still cannot read " + what + " from the store",
			End:     "feedserver: " + what + " read from the store again",
			Unit:    "reads",
		}, 0, s.now)
		e.streaks[name] = st
	}
	return st
}

// readFailed records a failure to read channel name ("" = the index).
func (s *Server) readFailed(name string, err error, attrs ...any) {
	s.readStreak(name).Fail(err, attrs...)
}

// readOK records that channel name ("" = the index) was read and built.
func (s *Server) readOK(name string) {
	s.readErrs.mu.Lock()
	st := s.readErrs.streaks[name]
	s.readErrs.mu.Unlock()
	if st != nil {
		st.OK()
	}
}
