package feedserver

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
)

// DefaultCacheMaxBytes is the rendition cache's budget when Options leave
// it zero.
const DefaultCacheMaxBytes = 64 << 20

// errBuildAborted is what requests waiting for a build get when it
// panicked.
var errBuildAborted = errors.New("feedserver: build aborted")

// cacheKey names one cached document: a page of a channel in a format
// (formatHTML: the preview). Pages count from 1.
type cacheKey struct {
	channel, format string
	page            int
}

// cache keeps renditions under a byte budget (the sum of their sizes, see
// rendition.size). When a put goes over it, the least recently used
// renditions leave first; a rendition larger than the whole budget is
// served but not kept. A channel's renditions of older store states leave
// as soon as one of a newer state is put. Lookups take a read lock and
// stamp the entry's use; puts take the write lock.
type cache struct {
	budget int64

	mu      sync.RWMutex
	entries map[cacheKey]*cacheEntry
	bytes   int64 // sum of the entries' sizes, ≤ budget

	clock   atomic.Uint64 // use stamps
	builds  atomic.Int64  // renditions built (cache misses)
	evicted atomic.Int64  // renditions dropped for the budget

	flightMu sync.Mutex
	flights  map[cacheKey]*flight // builds in progress, one per key
}

type cacheEntry struct {
	r    *rendition
	size int64
	used atomic.Uint64 // clock value at the last lookup or put
}

// flight is one build in progress; the requests that want the same key
// meanwhile wait for it instead of building again.
type flight struct {
	done chan struct{}
	r    *rendition
	err  error
}

func newCache(budget int64) *cache {
	if budget <= 0 {
		budget = DefaultCacheMaxBytes
	}
	return &cache{budget: budget, entries: map[cacheKey]*cacheEntry{}, flights: map[cacheKey]*flight{}}
}

// lookup returns the rendition cached under k (fresh or not), or nil.
func (c *cache) lookup(k cacheKey) *rendition {
	c.mu.RLock()
	e := c.entries[k]
	c.mu.RUnlock()
	if e == nil {
		return nil
	}
	e.used.Store(c.clock.Add(1))
	return e.r
}

// put caches r under k, unless a rendition of a newer store state is
// already there. It first drops the channel's renditions of older states,
// then the least recently used entries until the total fits the budget.
func (c *cache) put(k cacheKey, r *rendition) {
	size := r.size()
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.entries[k]; old != nil && old.r.gen > r.gen {
		return
	}
	for ok, e := range c.entries {
		if ok.channel == k.channel && e.r.gen < r.gen && !e.r.sameState(r) {
			c.remove(ok, e)
		}
	}
	if old := c.entries[k]; old != nil {
		c.remove(k, old)
	}
	if size > c.budget {
		return
	}
	for c.bytes+size > c.budget {
		c.evictOldest()
	}
	e := &cacheEntry{r: r, size: size}
	e.used.Store(c.clock.Add(1))
	c.entries[k] = e
	c.bytes += size
}

// remove drops the entry e of k; c.mu must be held.
func (c *cache) remove(k cacheKey, e *cacheEntry) {
	delete(c.entries, k)
	c.bytes -= e.size
}

// evictOldest drops the least recently used entry; c.mu must be held. The
// scan is linear: it runs only when a new rendition was built (which
// costs far more), and the budget keeps the entries few.
func (c *cache) evictOldest() {
	var (
		oldK cacheKey
		oldE *cacheEntry
	)
	for k, e := range c.entries {
		if oldE == nil || e.used.Load() < oldE.used.Load() {
			oldK, oldE = k, e
		}
	}
	if oldE != nil {
		c.remove(oldK, oldE)
		c.evicted.Add(1)
	}
}

// stats returns the number of cached renditions and their total size.
func (c *cache) stats() (entries int, bytes int64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries), c.bytes
}

// keys returns the cached keys, for tests.
func (c *cache) keys() []cacheKey {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]cacheKey, 0, len(c.entries))
	for k := range c.entries {
		out = append(out, k)
	}
	return out
}

// once runs build for k unless a build of k is already in progress, in
// which case it waits for that one and returns its result.
func (c *cache) once(k cacheKey, build func() (*rendition, error)) (*rendition, error) {
	c.flightMu.Lock()
	if f := c.flights[k]; f != nil {
		c.flightMu.Unlock()
		<-f.done
		return f.r, f.err
	}
	f := &flight{done: make(chan struct{})}
	c.flights[k] = f
	c.flightMu.Unlock()
	f.err = errBuildAborted // until build returns
	defer func() {
		c.flightMu.Lock()
		delete(c.flights, k)
		c.flightMu.Unlock()
		close(f.done)
	}()
	f.r, f.err = build()
	return f.r, f.err
}

// sameState reports whether r and o were rendered from the same sources
// at the same store version.
func (r *rendition) sameState(o *rendition) bool {
	return r.version == o.version && r.allSources == o.allSources && slices.Equal(r.ids, o.ids)
}
