package channel

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/feedmill/feedmill/storage"
)

// explainScan bounds how many items of a channel Explain reads.
const explainScan = 20000

// Explanation says what a channel does with one item (Item), or sums up
// its current window (Summary), for `feedmill explain`.
type Explanation struct {
	Channel string              `json:"channel"`
	Item    *ItemExplanation    `json:"item,omitempty"`
	Summary *ChannelExplanation `json:"summary,omitempty"`
}

// ItemExplanation is the fate of one item in a channel.
type ItemExplanation struct {
	ID        uint64    `json:"id"`
	Story     uint64    `json:"story"`
	Source    string    `json:"source"`
	Title     string    `json:"title"`
	Link      string    `json:"link,omitempty"`
	Published time.Time `json:"published"`
	// Status: shown, dropped or collapsed.
	Status string `json:"status"`
	// Rule that dropped or collapsed it: include, exclude, min_length,
	// max_per_source, limit, max_age, source (the channel does not select
	// its source), collapsed.
	Rule   string `json:"rule,omitempty"`
	Detail string `json:"detail,omitempty"`
	// Cleaned are the ingest rules that changed it (boilerplate, tracking
	// pixels, iframes); Stripped the channel's strip entries that removed
	// lines of it.
	Cleaned  []string `json:"cleaned,omitempty"`
	Stripped []string `json:"stripped,omitempty"`
	// FullText is what became of its article page (nil: not asked for).
	FullText *storage.FullText `json:"full_text,omitempty"`
	// Copies are the other items of its story in the channel's window.
	Copies []CopyExplanation `json:"copies,omitempty"`
}

// CopyExplanation is another copy of the item's story.
type CopyExplanation struct {
	ID         uint64             `json:"id"`
	Source     string             `json:"source"`
	Title      string             `json:"title"`
	Link       string             `json:"link,omitempty"`
	Shown      bool               `json:"shown"` // the copy that represents the story
	Similarity storage.Similarity `json:"similarity"`
}

// ChannelExplanation sums up a channel's current window.
type ChannelExplanation struct {
	Considered int            `json:"considered"` // items read (within max_age)
	Shown      int            `json:"shown"`
	Dropped    map[string]int `json:"dropped"` // by rule
	Stories    int            `json:"stories_collapsed"`
	Cleaned    map[string]int `json:"cleaned"` // ingest rules, over the items read
	Stripped   map[string]int `json:"stripped"`
}

// ErrUnknownItem is returned (wrapped) by Explain for a reference that
// names no stored item.
var ErrUnknownItem = errors.New("no such item")

// Explain tells what channel ch does with the item ref (its ID, or its
// link), or, with ref "", sums up the channel's current window at now.
func Explain(store storage.Store, ch *Channel, res *Resolution, now time.Time, ref string) (Explanation, error) {
	name := ch.Name
	q := storage.Query{SourceIDs: res.IDs[name]}
	if ch.MaxAge > 0 {
		q.Since = now.Add(-ch.MaxAge)
	}
	sel := newSelector(ch)
	sel.priority = func(id uint64) int { return res.Sources[id].Priority }
	verdicts := map[uint64]verdict{}
	stripped := map[uint64][]string{}
	var read []storage.Item
	sel.trace = func(it *storage.Item, v verdict) {
		if v.Strip != nil {
			stripped[it.ID] = v.Strip
		}
		// The first verdict is the filters'; a later one (collapsed,
		// max_per_source) overrides a pass.
		if _, seen := verdicts[it.ID]; !seen || v.Rule != "" {
			verdicts[it.ID] = v
		}
	}
	err := store.Items(q, func(it storage.Item) bool {
		read = append(read, it)
		sel.add(it)
		return len(read) < explainScan
	})
	if err != nil {
		return Explanation{}, fmt.Errorf("channel %s: read items: %w", name, err)
	}
	sel.finish(res.Sources)
	position := map[uint64]int{}
	for i, it := range sel.items {
		position[it.ID] = i
	}
	out := Explanation{Channel: name}
	if ref == "" {
		out.Summary = summarize(ch, sel, read, verdicts, stripped)
		return out, nil
	}
	target, found, err := findItem(store, ref, read)
	if err != nil {
		return out, err
	}
	src := res.Sources[target.SourceID]
	ie := &ItemExplanation{ID: target.ID, Story: StoryID(&target), Source: src.DisplayTitle(), Title: target.Title,
		Link: target.Link, Published: target.Published, Cleaned: target.Cleaned, Stripped: stripped[target.ID],
		FullText: target.FullText}
	out.Item = ie
	switch {
	case !ch.Selects(&src):
		ie.Status, ie.Rule, ie.Detail = "dropped", "source", "the channel does not select source "+src.URL
		return out, nil
	case !found && ch.MaxAge > 0 && target.Published.Before(q.Since):
		ie.Status, ie.Rule, ie.Detail = "dropped", "max_age", fmt.Sprintf("published before %s (max_age %s)", q.Since.Format(time.RFC3339), ch.MaxAge)
		return out, nil
	case !found:
		ie.Status, ie.Rule, ie.Detail = "dropped", "limit", fmt.Sprintf("past the %d newest items explain reads", explainScan)
		return out, nil
	}
	v := verdicts[target.ID]
	pos, listed := position[target.ID]
	switch {
	case v.Rule == "collapsed":
		ie.Status, ie.Rule, ie.Detail = "collapsed", v.Rule, v.Detail
	case v.Rule != "":
		ie.Status, ie.Rule, ie.Detail = "dropped", v.Rule, v.Detail
	case !listed:
		ie.Status, ie.Rule, ie.Detail = "dropped", "story", "another copy of its story was dropped"
	case pos >= ch.limit:
		ie.Status, ie.Rule, ie.Detail = "dropped", "limit", fmt.Sprintf("item %d of the channel, past its limit %d (on a later page)", pos+1, ch.limit)
	default:
		ie.Status = "shown"
	}
	if st := sel.byStory[StoryID(&target)]; st != nil {
		if ie.Copies, err = storyCopies(store, &target, st, res.Sources); err != nil {
			return out, err
		}
	}
	return out, nil
}

// summarize sums up what the selector did with the items read.
func summarize(ch *Channel, sel *selector, read []storage.Item, verdicts map[uint64]verdict, stripped map[uint64][]string) *ChannelExplanation {
	sum := &ChannelExplanation{Considered: len(read), Shown: min(len(sel.items), ch.limit),
		Dropped: map[string]int{}, Cleaned: map[string]int{}, Stripped: map[string]int{}}
	for _, it := range read {
		if v := verdicts[it.ID]; v.Rule != "" {
			sum.Dropped[v.Rule]++
		}
		for _, c := range it.Cleaned {
			sum.Cleaned[c]++
		}
		for _, st := range stripped[it.ID] {
			sum.Stripped[st]++
		}
	}
	if n := len(sel.items) - ch.limit; n > 0 {
		sum.Dropped["limit"] = n
	}
	sum.Stories = len(sel.also)
	return sum
}

// storyCopies lists the copies of target's story other than target, with
// their similarity to it.
func storyCopies(store storage.Store, target *storage.Item, st *story, sources map[uint64]storage.Source) ([]CopyExplanation, error) {
	var out []CopyExplanation
	for _, c := range append([]storage.Item{st.rep}, st.copies...) {
		if c.ID == target.ID {
			continue
		}
		sim, err := store.Similarity(target.ID, c.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, CopyExplanation{ID: c.ID, Source: sourceTitle(c.SourceID, sources),
			Title: c.Title, Link: c.Link, Shown: c.ID == st.rep.ID, Similarity: sim})
	}
	return out, nil
}

// findItem finds the item ref names (an ID, or a link) among the items
// read, else in the store (by ID).
func findItem(store storage.Store, ref string, read []storage.Item) (storage.Item, bool, error) {
	ref = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(ref), "urn:feedmill:item:"))
	id, idErr := strconv.ParseUint(ref, 10, 64)
	for _, it := range read {
		if (idErr == nil && it.ID == id) || (idErr != nil && it.Link == ref) {
			return it, true, nil
		}
	}
	if idErr != nil {
		return storage.Item{}, false, fmt.Errorf("%w with link %s in the channel's window", ErrUnknownItem, ref)
	}
	it, err := store.Item(id)
	if err != nil {
		return storage.Item{}, false, fmt.Errorf("%w %d: %w", ErrUnknownItem, id, err)
	}
	return it, false, nil
}
