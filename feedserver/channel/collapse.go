package channel

import (
	"fmt"
	"html"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/feedmill/feedmill/internal/htmlblock"
	"github.com/feedmill/feedmill/storage"
)

// storyWindow is how far apart in time copies of one story may lie: the
// store links copies published within 3 days of each other (storage's
// dedup.go), so a channel reads that far past its last story to see all
// of its copies.
const storyWindow = 72 * time.Hour

// A story is one item shown, with the copies collapsed into it.
type story struct {
	id     uint64
	rep    storage.Item    // the copy shown
	copies []storage.Item  // the other copies, in the order seen
	from   map[uint64]bool // sources of the copies
	seen   time.Time       // Published of the first (newest) copy read
}

// A verdict is what a channel did with one item (for explain).
type verdict struct {
	Rule   string // "" = shown; else what dropped it: include, exclude, min_length, max_per_source, collapsed, limit
	Detail string // the entry that matched, the representative, ...
	Strip  []string
}

// selector applies a channel's strip, filters, min_length, duplicates and
// max_per_source rules to items offered newest first. After finish, items
// holds what the channel shows, in order.
type selector struct {
	ch        *Channel
	stories   []*story
	byStory   map[uint64]*story
	byLink    map[string]*story
	lastPub   time.Time
	items     []storage.Item
	also      map[uint64][]storage.Item // shown item ID -> its other copies
	collapsed int                       // copies left out (duplicates: collapse)
	past      int                       // items read after the selector had enough stories
	// trace, when set, hears the verdict on every item (explain.go).
	trace func(it *storage.Item, v verdict)
	// priority orders sources for the representative of a story (lower
	// wins; 0 = none); nil = by time only.
	priority func(sourceID uint64) int
}

func newSelector(ch *Channel) *selector {
	return &selector{ch: ch, byStory: map[uint64]*story{}, byLink: map[string]*story{}}
}

func (sel *selector) note(it *storage.Item, v verdict) {
	if sel.trace != nil {
		sel.trace(it, v)
	}
}

// add offers one item and reports whether it passed the filters.
func (sel *selector) add(it storage.Item) bool {
	ch := sel.ch
	sel.lastPub = it.Published
	var stripped []string
	if len(ch.strip) > 0 {
		drop := func(line string) bool {
			for i, re := range ch.strip {
				if re.MatchString(line) {
					stripped = append(stripped, ch.Strip[i])
					return true
				}
			}
			return false
		}
		it.Summary, _ = htmlblock.RemoveFrom(it.Summary, drop)
		it.Content, _ = htmlblock.RemoveFrom(it.Content, drop)
	}
	if ch.MinLength > 0 {
		if n := bodyLength(&it); n < ch.MinLength {
			sel.note(&it, verdict{Rule: "min_length", Detail: fmt.Sprintf("%d characters of text, below %d", n, ch.MinLength), Strip: stripped})
			return false
		}
	}
	if len(ch.include) > 0 {
		if _, ok := matchAny(ch.include, &it); !ok {
			sel.note(&it, verdict{Rule: "include", Detail: "matches no include entry", Strip: stripped})
			return false
		}
	}
	if m, ok := matchAny(ch.exclude, &it); ok {
		sel.note(&it, verdict{Rule: "exclude", Detail: m.src, Strip: stripped})
		return false
	}
	sel.note(&it, verdict{Strip: stripped})
	if !ch.collapse {
		sel.stories = append(sel.stories, &story{id: it.ID, rep: it, seen: it.Published})
		return true
	}
	id := StoryID(&it)
	st := sel.byStory[id]
	if st == nil && it.Link != "" {
		// The same canonical link from another source is the same story
		// even when the texts differ too much to tell.
		if other := sel.byLink[it.Link]; other != nil && !other.from[it.SourceID] {
			st = other
		}
	}
	if st == nil {
		st = &story{id: id, rep: it, seen: it.Published, from: map[uint64]bool{}}
		sel.stories = append(sel.stories, st)
	} else {
		sel.collapsed++
		if sel.better(&it, &st.rep) {
			st.copies = append(st.copies, st.rep)
			st.rep = it
		} else {
			st.copies = append(st.copies, it)
		}
	}
	st.from[it.SourceID] = true
	sel.byStory[id] = st
	if it.Link != "" && sel.byLink[it.Link] == nil {
		sel.byLink[it.Link] = st
	}
	return true
}

// better reports whether copy a should represent its story rather than b:
// the lower source priority (config order), else the earlier, else the
// lower ID.
func (sel *selector) better(a, b *storage.Item) bool {
	if sel.priority != nil {
		pa, pb := sel.priority(a.SourceID), sel.priority(b.SourceID)
		if pa == 0 {
			pa = int(^uint(0) >> 1)
		}
		if pb == 0 {
			pb = int(^uint(0) >> 1)
		}
		if pa != pb {
			return pa < pb
		}
	}
	if !a.Published.Equal(b.Published) {
		return a.Published.Before(b.Published)
	}
	return a.ID < b.ID
}

// full reports whether the selector has want stories and has read far
// enough past the last of them to have seen all its copies: storyWindow
// further back in time, but at most 4×want+200 more items (a busy store
// must not make every render read days of items; a copy past that bound
// is then neither a candidate to represent its story nor listed in "Also
// ran in").
func (sel *selector) full(want int) bool {
	if len(sel.stories) < want {
		return false
	}
	if !sel.ch.collapse {
		return true
	}
	sel.past++
	return sel.past > 4*want+200 || sel.lastPub.Before(sel.stories[want-1].seen.Add(-storyWindow))
}

// finish applies max_per_source, adds "Also ran in" to collapsed stories
// and sets items. sources names the copies' sources (nil = by ID only).
func (sel *selector) finish(sources map[uint64]storage.Source) {
	perSource := map[uint64]int{}
	sel.items = sel.items[:0]
	for _, st := range sel.stories {
		if max := sel.ch.MaxPerSource; max > 0 {
			if perSource[st.rep.SourceID] >= max {
				sel.note(&st.rep, verdict{Rule: "max_per_source", Detail: fmt.Sprintf("source %d already has %d items", st.rep.SourceID, max)})
				continue
			}
			perSource[st.rep.SourceID]++
		}
		it := st.rep
		if len(st.copies) > 0 {
			if sel.also == nil {
				sel.also = map[uint64][]storage.Item{}
			}
			sel.also[it.ID] = st.copies
			for i := range st.copies {
				sel.note(&st.copies[i], verdict{Rule: "collapsed", Detail: fmt.Sprintf("into item %d (story %d)", it.ID, st.id)})
			}
			addAlsoRan(&it, st.copies, sources)
			it.Published = storyPublished(&st.rep, st.copies)
		}
		sel.items = append(sel.items, it)
	}
}

// storyPublished is a collapsed story's publication time: its earliest
// copy's, whichever copy is shown, so that the date readers keep does not
// move when another copy becomes the one shown.
func storyPublished(rep *storage.Item, copies []storage.Item) time.Time {
	t := rep.Published
	for i := range copies {
		if copies[i].Published.Before(t) {
			t = copies[i].Published
		}
	}
	return t
}

// addAlsoRan appends "Also ran in: <a href=link>Source</a>, …" to the
// item's content (its summary when it has no content).
func addAlsoRan(it *storage.Item, copies []storage.Item, sources map[uint64]storage.Source) {
	var b strings.Builder
	b.WriteString(`<p class="feedmill-also">Also ran in: `)
	seen := map[uint64]bool{it.SourceID: true}
	n := 0
	for _, c := range copies {
		if seen[c.SourceID] {
			continue
		}
		seen[c.SourceID] = true
		if n > 0 {
			b.WriteString(", ")
		}
		n++
		title := sourceTitle(c.SourceID, sources)
		if c.Link != "" {
			fmt.Fprintf(&b, `<a href="%s">%s</a>`, html.EscapeString(c.Link), html.EscapeString(title))
		} else {
			b.WriteString(html.EscapeString(title))
		}
	}
	if n == 0 {
		return
	}
	b.WriteString("</p>")
	if it.Content != "" {
		it.Content += "\n" + b.String()
	} else {
		it.Summary += "\n" + b.String()
	}
}

func sourceTitle(id uint64, sources map[uint64]storage.Source) string {
	if src, ok := sources[id]; ok {
		return src.DisplayTitle()
	}
	return fmt.Sprintf("source %d", id)
}

// bodyLength is the length in characters of the plain text of an item's
// content, else its summary.
func bodyLength(it *storage.Item) int {
	body := it.Content
	if body == "" {
		body = it.Summary
	}
	return utf8.RuneCountInString(strings.Join(strings.Fields(PlainText(body)), " "))
}

// StoryID is the story an item belongs to: the ID of the story's first item.
func StoryID(it *storage.Item) uint64 {
	if it.Story != 0 {
		return it.Story
	}
	return it.ID
}
