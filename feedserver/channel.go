package feedserver

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedmill/feedmill/storage"
)

// Channel is a curated feed, as the config describes it.
type Channel struct {
	Name        string
	Title       string
	Description string
	Language    string
	Tags        []string // sources with any of these tags ...
	Sources     []string // ... and/or these source URLs; neither = all sources
	Include     []string // keep items matching any: word, "phrase" or /regex/
	Exclude     []string // drop items matching any
	MaxAge      time.Duration
	Limit       int    // 0 = 50
	Duplicates  string // "collapse" (default) | "keep"
	Strip       []string
	// MinLength drops items whose body (content, else summary) has fewer
	// characters of plain text; 0 = no minimum.
	MinLength int
	// MaxPerSource caps the items one source has in the channel, after
	// duplicates are collapsed; 0 = no cap.
	MaxPerSource int
}

// DefaultLimit is the number of items a channel shows when its Limit is 0.
const DefaultLimit = 50

// Duplicates modes of a Channel.
const (
	DuplicatesCollapse = "collapse"
	DuplicatesKeep     = "keep"
)

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// channel is a validated Channel with its defaults applied and its
// matchers compiled.
type channel struct {
	Channel
	limit    int
	collapse bool
	include  []matcher
	exclude  []matcher
	strip    []*regexp.Regexp
}

// compileChannel validates c. Errors name the channel and the key.
func compileChannel(c Channel) (*channel, error) {
	var errs []error
	fail := func(key string, err error) {
		errs = append(errs, fmt.Errorf("channel %q: %s: %w", c.Name, key, err))
	}
	if !slugRE.MatchString(c.Name) {
		fail("name", errors.New("must be a URL slug: lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"))
	}
	for _, f := range Formats {
		if strings.HasSuffix(c.Name, "."+f) {
			fail("name", fmt.Errorf("must not end in .%s (the feed paths would clash)", f))
		}
	}
	ch := &channel{Channel: c, limit: c.Limit, collapse: true}
	switch c.Duplicates {
	case "", DuplicatesCollapse:
	case DuplicatesKeep:
		ch.collapse = false
	default:
		fail("duplicates", fmt.Errorf("%q: want %q or %q", c.Duplicates, DuplicatesCollapse, DuplicatesKeep))
	}
	switch {
	case c.Limit < 0:
		fail("limit", fmt.Errorf("%d: must not be negative", c.Limit))
	case c.Limit == 0:
		ch.limit = DefaultLimit
	}
	if c.MaxAge < 0 {
		fail("max_age", fmt.Errorf("%s: must not be negative", c.MaxAge))
	}
	if c.MinLength < 0 {
		fail("min_length", fmt.Errorf("%d: must not be negative", c.MinLength))
	}
	if c.MaxPerSource < 0 {
		fail("max_per_source", fmt.Errorf("%d: must not be negative", c.MaxPerSource))
	}
	var mErrs []error
	ch.include, mErrs = compileMatchers(c.Include)
	for _, err := range mErrs {
		errs = append(errs, fmt.Errorf("channel %q: include%w", c.Name, err))
	}
	ch.exclude, mErrs = compileMatchers(c.Exclude)
	for _, err := range mErrs {
		errs = append(errs, fmt.Errorf("channel %q: exclude%w", c.Name, err))
	}
	for i, e := range c.Strip {
		re, err := compileStrip(e)
		if err != nil {
			fail(fmt.Sprintf("strip[%d]", i), err)
			continue
		}
		ch.strip = append(ch.strip, re)
	}
	for i, t := range c.Tags {
		if strings.TrimSpace(t) == "" {
			fail(fmt.Sprintf("tags[%d]", i), errors.New("empty tag"))
		}
	}
	for i, u := range c.Sources {
		if strings.TrimSpace(u) == "" {
			fail(fmt.Sprintf("sources[%d]", i), errors.New("empty URL"))
		}
	}
	if ch.Title == "" {
		ch.Title = c.Name
	}
	if ch.Description == "" {
		ch.Description = "feedmill channel " + c.Name
	}
	return ch, errors.Join(errs...)
}

// selectsAll reports whether the channel takes every source.
func (ch *channel) selectsAll() bool { return len(ch.Tags) == 0 && len(ch.Sources) == 0 }

// selects reports whether the channel takes source src.
func (ch *channel) selects(src *storage.Source) bool {
	if ch.selectsAll() {
		return true
	}
	for _, t := range ch.Tags {
		if src.HasTag(t) {
			return true
		}
	}
	return slices.ContainsFunc(ch.Sources, src.Known)
}

// resolution is which sources each channel selects, computed from
// store.Sources() at one store.Version(nil).
type resolution struct {
	version uint64
	sources map[uint64]storage.Source
	// ids per channel name: nil for a channel that takes every source
	// (so the store's queries and versions cover sources added later),
	// else the sorted IDs (empty, non-nil when none match).
	ids map[string][]uint64
}

type resolver struct {
	mu   sync.Mutex
	cur  *resolution
	last atomic.Pointer[resolution] // cur, for reads without mu
}

// resolve returns the current resolution, recomputing it when the store's
// global version moved.
func (s *Server) resolve() (*resolution, error) {
	v := s.store.Version(nil)
	if r := s.res.last.Load(); r != nil && r.version == v {
		return r, nil
	}
	s.res.mu.Lock()
	defer s.res.mu.Unlock()
	if s.res.cur != nil && s.res.cur.version == v {
		return s.res.cur, nil
	}
	srcs, err := s.store.Sources()
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	r := &resolution{version: v, sources: make(map[uint64]storage.Source, len(srcs)), ids: make(map[string][]uint64, len(s.channels))}
	for _, src := range srcs {
		r.sources[src.ID] = src
	}
	for _, ch := range s.channels {
		if ch.selectsAll() {
			r.ids[ch.Name] = nil
			continue
		}
		ids := []uint64{}
		for i := range srcs {
			if ch.selects(&srcs[i]) {
				ids = append(ids, srcs[i].ID)
			}
		}
		slices.Sort(ids)
		r.ids[ch.Name] = ids
	}
	s.res.cur = r
	s.res.last.Store(r)
	return r, nil
}

// assembled is what a channel shows at one moment.
type assembled struct {
	items []storage.Item // newest first, filtered, collapsed, cut to the page
	more  bool           // items remain after this page
	// collapsed counts the copies of stories left out (duplicates: collapse).
	collapsed int
	also      map[uint64][]storage.Item // item ID -> the copies collapsed into it
	// validUntil is when the oldest item shown ages past MaxAge (zero: no
	// expiry).
	validUntil time.Time
	// oldestRead is the Published time of the last (oldest) item read:
	// while it is within MaxAge, a later assembly reads the same items
	// (assembly.go). Zero when none was read.
	oldestRead time.Time
}

// assemble reads the channel's items from the store: within MaxAge,
// filtered, duplicates collapsed, cut at the limit; page 2 and on are the
// next limit items each (pagination.go). A page past the last is ErrNoPage.
func (s *Server) assemble(ch *channel, ids []uint64, now time.Time, page int) (assembled, error) {
	q := storage.Query{SourceIDs: ids}
	if ch.MaxAge > 0 {
		q.Since = now.Add(-ch.MaxAge)
	}
	var out assembled
	sel := newSelector(ch)
	sources, err := s.withSources(sel)
	if err != nil {
		return out, err
	}
	first, want := pageBounds(ch.limit, page)
	err = s.store.Items(q, func(it storage.Item) bool {
		sel.add(it)
		return !sel.full(want)
	})
	if err != nil {
		return out, fmt.Errorf("channel %s: read items: %w", ch.Name, err)
	}
	out.oldestRead = sel.lastPub
	sel.finish(sources) // collapse.go
	out.also = sel.also
	if page > 1 && first >= len(sel.items) {
		return out, fmt.Errorf("channel %s: %w %d", ch.Name, ErrNoPage, page)
	}
	out.items, out.more = cutPage(sel.items, first, ch.limit)
	out.collapsed = sel.collapsed
	if ch.MaxAge > 0 && len(out.items) > 0 {
		out.validUntil = out.items[len(out.items)-1].Published.Add(ch.MaxAge)
	}
	return out, nil
}
