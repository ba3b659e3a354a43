package feedserver

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/feedmill/feedmill/feedserver/channel"
)

// Channel is a curated feed as the config describes it (package channel
// validates and applies it).
type Channel = channel.Config

// Explanation is what `feedmill explain` prints (see channel.Explain).
type Explanation = channel.Explanation

// ErrNoPage and ErrUnknownItem are returned (wrapped) for a page past a
// channel's last and for an explain reference that names no item.
var (
	ErrNoPage      = channel.ErrNoPage
	ErrUnknownItem = channel.ErrUnknownItem
)

// resolver keeps the current channel.Resolution.
type resolver struct {
	mu   sync.Mutex
	cur  *channel.Resolution
	last atomic.Pointer[channel.Resolution] // cur, for reads without mu
}

// resolve returns the current resolution, recomputing it when the store's
// global version moved.
func (s *Server) resolve() (*channel.Resolution, error) {
	v := s.store.Version(nil)
	if r := s.res.last.Load(); r != nil && r.Version == v {
		return r, nil
	}
	s.res.mu.Lock()
	defer s.res.mu.Unlock()
	if s.res.cur != nil && s.res.cur.Version == v {
		return s.res.cur, nil
	}
	r, err := channel.Resolve(s.store, s.channels, v)
	if err != nil {
		return nil, err
	}
	s.res.cur = r
	s.res.last.Store(r)
	return r, nil
}

// Explain tells what the channel name does with the item ref (its ID, or
// its link), or, with ref "", sums up the channel's current window.
func (s *Server) Explain(name, ref string) (Explanation, error) {
	ch, ok := s.byName[name]
	if !ok {
		return Explanation{}, fmt.Errorf("%w %q", ErrUnknownChannel, name)
	}
	if s.store == nil {
		return Explanation{}, errNoStore
	}
	res, err := s.resolve()
	if err != nil {
		return Explanation{}, err
	}
	return channel.Explain(s.store, ch, res, s.now(), ref)
}
