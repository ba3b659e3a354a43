package channel

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/feedmill/feedmill/storage"
)

// Config is a curated feed, as the config file describes it.
type Config struct {
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

// Channel is a validated Config with its defaults applied and its
// matchers compiled. It is immutable.
type Channel struct {
	Config
	limit    int
	collapse bool
	include  []matcher
	exclude  []matcher
	strip    []*regexp.Regexp
}

// Compile validates c and applies its defaults. A name may not end in a
// dot and one of the reserved suffixes (the feed formats' extensions).
// Errors name the channel and the key.
func Compile(c Config, reserved ...string) (*Channel, error) {
	var errs []error
	fail := func(key string, err error) {
		errs = append(errs, fmt.Errorf("channel %q: %s: %w", c.Name, key, err))
	}
	if !slugRE.MatchString(c.Name) {
		fail("name", errors.New("must be a URL slug: lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"))
	}
	for _, f := range reserved {
		if strings.HasSuffix(c.Name, "."+f) {
			fail("name", fmt.Errorf("must not end in .%s (the feed paths would clash)", f))
		}
	}
	ch := &Channel{Config: c, limit: c.Limit, collapse: true}
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

// PageSize is how many items a page of the channel shows.
func (ch *Channel) PageSize() int { return ch.limit }

// Collapses reports whether the channel shows one item per story.
func (ch *Channel) Collapses() bool { return ch.collapse }

// SelectsAll reports whether the channel takes every source.
func (ch *Channel) SelectsAll() bool { return len(ch.Tags) == 0 && len(ch.Sources) == 0 }

// Selects reports whether the channel takes source src.
func (ch *Channel) Selects(src *storage.Source) bool {
	if ch.SelectsAll() {
		return true
	}
	for _, t := range ch.Tags {
		if src.HasTag(t) {
			return true
		}
	}
	return slices.ContainsFunc(ch.Sources, src.Known)
}

// Resolution is which sources each channel selects, computed from
// store.Sources() at one store.Version(nil).
type Resolution struct {
	Version uint64
	Sources map[uint64]storage.Source
	// IDs per channel name: nil for a channel that takes every source
	// (so the store's queries and versions cover sources added later),
	// else the sorted IDs (empty, non-nil when none match).
	IDs map[string][]uint64
}

// Resolve reads the store's sources and works out which each channel
// selects; version is the store's global version read before.
func Resolve(store storage.Store, chs []*Channel, version uint64) (*Resolution, error) {
	srcs, err := store.Sources()
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	r := &Resolution{Version: version, Sources: make(map[uint64]storage.Source, len(srcs)), IDs: make(map[string][]uint64, len(chs))}
	for _, src := range srcs {
		r.Sources[src.ID] = src
	}
	for _, ch := range chs {
		if ch.SelectsAll() {
			r.IDs[ch.Name] = nil
			continue
		}
		ids := []uint64{}
		for i := range srcs {
			if ch.Selects(&srcs[i]) {
				ids = append(ids, srcs[i].ID)
			}
		}
		slices.Sort(ids)
		r.IDs[ch.Name] = ids
	}
	return r, nil
}

// Assembled is what a channel shows at one moment.
type Assembled struct {
	Items []storage.Item // newest first, filtered, collapsed, cut to the page
	More  bool           // items remain after this page
	// Collapsed counts the copies of stories left out (duplicates: collapse).
	Collapsed int
	Also      map[uint64][]storage.Item // item ID -> the copies collapsed into it
	// ValidUntil is when the oldest item shown ages past MaxAge (zero: no
	// expiry).
	ValidUntil time.Time
	// OldestRead is the Published time of the last (oldest) item read:
	// while it is within MaxAge, a later assembly reads the same items.
	// Zero when none was read.
	OldestRead time.Time
}

// Assemble reads the channel's items from the store: within MaxAge,
// filtered, duplicates collapsed, cut at the page size; page 2 and on are
// the next PageSize items each. A page past the last is ErrNoPage.
func Assemble(store storage.Store, ch *Channel, res *Resolution, now time.Time, page int) (Assembled, error) {
	q := storage.Query{SourceIDs: res.IDs[ch.Name]}
	if ch.MaxAge > 0 {
		q.Since = now.Add(-ch.MaxAge)
	}
	var out Assembled
	sel := newSelector(ch)
	sel.priority = func(id uint64) int { return res.Sources[id].Priority }
	first, want := pageBounds(ch.limit, page)
	err := store.Items(q, func(it storage.Item) bool {
		sel.add(it)
		return !sel.full(want)
	})
	if err != nil {
		return out, fmt.Errorf("channel %s: read items: %w", ch.Name, err)
	}
	out.OldestRead = sel.lastPub
	sel.finish(res.Sources) // collapse.go
	out.Also = sel.also
	if page > 1 && first >= len(sel.items) {
		return out, fmt.Errorf("channel %s: %w %d", ch.Name, ErrNoPage, page)
	}
	out.Items, out.More = cutPage(sel.items, first, ch.limit)
	out.Collapsed = sel.collapsed
	if ch.MaxAge > 0 && len(out.Items) > 0 {
		out.ValidUntil = out.Items[len(out.Items)-1].Published.Add(ch.MaxAge)
	}
	return out, nil
}
