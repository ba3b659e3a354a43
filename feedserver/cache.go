package feedserver

import (
	"slices"
	"sync"
	"sync/atomic"
)

// slot caches the rendition of one (channel, format). Readers of a fresh
// rendition take no lock; builders serialize on mu, so concurrent requests
// for a stale entry build once.
type slot struct {
	mu  sync.Mutex
	cur atomic.Pointer[rendition]
}

// cacheKey names one cached document: page 1 of a channel in a format has
// page 1; older pages (see pagination.go) count up from 2.
type cacheKey struct {
	channel, format string
	page            int
}

// maxCachedPages bounds the slots made for pages after the first; pages
// past it are built for each request.
const maxCachedPages = 256

// cache holds one slot per (channel, format) for the first page, fixed at
// New, and slots for older pages made as they are asked for.
type cache struct {
	slots  map[cacheKey]*slot
	builds atomic.Int64 // renditions built, for tests

	pagesMu sync.Mutex
	pages   map[cacheKey]*slot
}

// slot returns the slot of k, false when the channel or format is unknown.
func (c *cache) slot(k cacheKey) (*slot, bool) {
	if sl, ok := c.slots[k]; ok || k.page <= 1 {
		return sl, ok
	}
	if _, ok := c.slots[cacheKey{k.channel, k.format, 1}]; !ok {
		return nil, false
	}
	c.pagesMu.Lock()
	defer c.pagesMu.Unlock()
	if sl := c.pages[k]; sl != nil {
		return sl, true
	}
	sl := &slot{}
	if len(c.pages) < maxCachedPages {
		c.pages[k] = sl
	}
	return sl, true
}

func newCache(chs []*channel) *cache {
	c := &cache{slots: map[cacheKey]*slot{}, pages: map[cacheKey]*slot{}}
	for _, ch := range chs {
		for _, f := range append(slices.Clone(Formats), formatHTML) {
			c.slots[cacheKey{ch.Name, f, 1}] = &slot{}
		}
	}
	return c
}
