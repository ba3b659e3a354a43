package feedserver

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedmill/feedmill/feedserver/channel"
)

// assemblies keeps the last assembly of each channel's first page, so that
// the formats of a channel (rss, atom, json and the preview) rebuilt after
// one store change read and collapse the channel's items once, not four
// times. Later pages are asked for one format at a time, if at all, and
// are assembled for each request that misses the cache: an assembly holds
// a page of whole items, outside the cache's byte budget, so only one per
// channel is kept.
// A channel's assemblies of an older store state leave when one of a
// newer state is kept. An assembly is reused only when a fresh one would be the same: same
// sources, store version and resolution (source titles and priorities),
// and no item it read has aged past the channel's MaxAge since, so the
// same items would be read in the same order.
type assemblies struct {
	mu    sync.Mutex
	m     map[assemblyKey]*assemblyEntry
	count atomic.Int64 // assemblies made, for tests
}

type assemblyKey struct {
	channel string
	page    int
}

type assemblyEntry struct {
	ids        []uint64
	allSources bool
	version    uint64
	resVersion uint64 // the Resolution's Version (not the Resolution: an old one is not kept alive)
	built      time.Time
	got        channel.Assembled
}

// assembleShared returns the channel's assembly for page, reusing the one
// another format built from the same store state. The result is shared:
// callers must not modify it.
func (s *Server) assembleShared(ch *channel.Channel, ids []uint64, res *channel.Resolution, version uint64, now time.Time, page int) (channel.Assembled, error) {
	k := assemblyKey{ch.Name, page}
	s.asm.mu.Lock()
	e := s.asm.m[k]
	s.asm.mu.Unlock()
	if e != nil && e.resVersion == res.Version && e.version == version && e.allSources == (ids == nil) && slices.Equal(e.ids, ids) &&
		!now.Before(e.built) && (ch.MaxAge <= 0 || !e.got.OldestRead.Before(now.Add(-ch.MaxAge))) {
		return e.got, nil
	}
	s.asm.count.Add(1)
	got, err := channel.Assemble(s.store, ch, res, now, page)
	if err != nil {
		return got, err
	}
	s.asm.mu.Lock()
	if s.asm.m == nil {
		s.asm.m = map[assemblyKey]*assemblyEntry{}
	}
	for ok, e := range s.asm.m {
		if ok.channel == k.channel && e.resVersion < res.Version && e.version != version {
			delete(s.asm.m, ok) // another store state of the channel's
		}
	}
	if page <= 1 {
		s.asm.m[k] = &assemblyEntry{ids: ids, allSources: ids == nil, version: version, resVersion: res.Version, built: now, got: got}
	}
	s.asm.mu.Unlock()
	return got, nil
}
