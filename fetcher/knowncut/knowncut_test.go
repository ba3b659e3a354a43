package knowncut_test

import (
	"bytes"
	"fmt"
	"net/url"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/feedmill/feedmill/fetcher/internal/testfeeds"
	"github.com/feedmill/feedmill/fetcher/knowncut"
	"github.com/feedmill/feedmill/fetcher/normalize"
	"github.com/feedmill/feedmill/fetcher/parse"
	"github.com/feedmill/feedmill/storage"
)

var (
	feedURL, _ = url.Parse("https://feeds.example/feed.xml")
	lim        = normalize.Limits{MaxItems: normalize.DefaultMaxItems, MaxItemBytes: normalize.DefaultMaxItemBytes}
	now        = time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
)

// fakeStore holds what a store would after recording items: their keys
// with their raw hashes.
type fakeStore map[string]uint64

func (s fakeStore) known(items []storage.Item) []bool {
	out := make([]bool, len(items))
	for i, it := range items {
		out[i] = it.Key != "" && it.RawHash != 0 && s[it.Key] == it.RawHash
	}
	return out
}

func (s fakeStore) record(items []storage.Item) {
	for i, k := range storage.ItemKeys(items) {
		if !items[i].Known {
			s[k] = items[i].RawHash
		}
	}
}

// wholePass is the full path: gofeed on the whole body, every item
// prepared, the unknown ones cleaned.
func wholePass(body []byte, st fakeStore) (feed []time.Time, meta normalize.Meta, items []storage.Item, context uint64, ok bool) {
	f, _, err := parse.Feed(body, parse.Options{})
	if err != nil {
		return nil, meta, nil, 0, false
	}
	context = normalize.Context(f, feedURL, lim)
	meta, items = normalize.FeedSkipping(f, feedURL, now, lim, st.known)
	return knowncut.Dates(f), meta, items, context, true
}

// sameAsWhole checks, for one body, that a pass that leaves the known
// items out of the parse gives what the full path gives, and reports
// whether any item was left out. The store holds the items of before
// (nil = the body's own items, recorded by a first full pass).
func sameAsWhole(t *testing.T, name string, before, body []byte) (cut bool) {
	t.Helper()
	c := knowncut.New(0)
	st := fakeStore{}
	if before == nil {
		before = body
	}
	prev, ok := c.Scan(before)
	if !ok {
		return false
	}
	dates, _, items, context, ok := wholePass(before, st)
	if !ok {
		return false
	}
	st.record(items)
	c.Remember(1, prev, context, now, items, dates)

	doc, ok := c.Scan(body)
	if !ok {
		return false
	}
	wantDates, wantMeta, want, wantContext, wholeOK := wholePass(body, st)
	small, kept, keptDates, keptContext := c.Cut(1, doc, now)
	if len(kept) == 0 {
		return false
	}
	f, _, err := parse.Feed(small, parse.Options{})
	if err != nil || f.FeedType != "rss" || len(f.Items)+len(kept) != doc.Items() ||
		normalize.Context(f, feedURL, lim) != keptContext {
		return false // the fetcher parses the whole body
	}
	gotDates := knowncut.Merge(knowncut.Dates(f), kept, keptDates)
	meta, got, ok := normalize.FeedKept(f, feedURL, now, lim, st.known, kept)
	if !ok {
		return false
	}
	if !wholeOK || wantContext != keptContext {
		t.Errorf("%s: the cut parse was taken, but the whole body fails to parse (%v) or has another context", name, !wholeOK)
		return true
	}
	if meta != wantMeta {
		t.Errorf("%s: meta %+v, the whole body's %+v", name, meta, wantMeta)
	}
	if g, w := fmt.Sprint(gotDates), fmt.Sprint(wantDates); g != w {
		t.Errorf("%s: schedule dates\n%s\nthe whole body's\n%s", name, g, w)
	}
	if g, w := dump(got), dump(want); g != w {
		t.Errorf("%s: items\n%s\nthe whole body's\n%s", name, g, w)
	}
	return true
}

// dump is what storage reads of items: a known item's identity fields,
// date and raw hash; every field of the others.
func dump(items []storage.Item) string {
	var b bytes.Buffer
	keys := storage.ItemKeys(items)
	for i, it := range items {
		if it.Known {
			fmt.Fprintf(&b, "%d known %s %q %q %q %s %s %x\n", i, keys[i], it.GUID, it.Link, it.Title, it.Published, it.Updated, it.RawHash)
			continue
		}
		fmt.Fprintf(&b, "%d %s %+v\n", i, keys[i], it)
	}
	return b.String()
}

// TestCutSharedFeeds: for every shared test feed, parsed again unchanged
// and with its first item changed, the cut pass gives what the full path
// gives; and the RSS feeds of realworld are cut.
func TestCutSharedFeeds(t *testing.T) {
	cut := map[string]bool{}
	for _, p := range testfeeds.Files(t) {
		body := testfeeds.Body(t, p)
		if sameAsWhole(t, p, nil, body) {
			cut[filepath.Base(p)] = true
		}
		changed := bytes.Replace(body, []byte("</item>"), []byte("<category>changed</category></item>"), 1)
		sameAsWhole(t, p+" (first item changed)", body, changed)
	}
	t.Logf("%d files cut", len(cut))
	for _, f := range []string{"content-encoded.rss", "guardian.rss", "giantbomb-podcast.rss", "uolNoticias.rss", "rss2sample.xml", "guid-dupes.xml"} {
		if !cut[f] {
			t.Errorf("%s: not cut", f)
		}
	}
}

// FuzzCut: for any body and any earlier body, the cut pass is either
// refused or the full path's answer.
//
//	go test -run '^$' -fuzz '^FuzzCut$' -fuzztime 30s ./fetcher/knowncut/
func FuzzCut(f *testing.F) {
	for _, p := range testfeeds.Files(f) {
		if body := testfeeds.Body(f, p); bytes.Contains(body, []byte("<item")) {
			f.Add(body, []byte(nil))
		}
	}
	doc := `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>https://s.example/</link>` +
		`<item><guid>a</guid><title>A</title><pubDate>Sun, 06 Dec 2026 08:00:00 GMT</pubDate></item>` +
		`<item><guid>a</guid><title>B</title><link>https://s.example/b</link></item>` +
		`<ITEM><link>https://s.example/c</link><description>&lt;p&gt;c&lt;/p&gt;</description></ITEM></channel></rss>`
	f.Add([]byte(doc), []byte(nil))
	f.Add([]byte(doc), bytes.Replace([]byte(doc), []byte("<title>B</title>"), []byte("<title>b</title>"), 1))
	f.Fuzz(func(t *testing.T, body, before []byte) {
		if len(before) == 0 {
			before = nil
		}
		sameAsWhole(t, "fuzz", before, body)
	})
}

// BenchmarkChangedFeed is the work a changed fetch of the Guardian
// capture does before the store (parse, prepare, clean the new items)
// when 40 % of its items are new: the whole parse, and the parse with the
// known items left out (scan, cut, parse of the rest, put back). The
// figure is the feed's items per CPU-second of the process.
//
//	go test -run '^$' -bench ChangedFeed ./fetcher/knowncut/
func BenchmarkChangedFeed(b *testing.B) {
	var before []byte
	for _, p := range testfeeds.Files(b) {
		if filepath.Base(p) == "guardian.rss" {
			before = testfeeds.Body(b, p)
		}
	}
	items := bytes.Count(before, []byte("</item>"))
	body := bytes.Replace(before, []byte("</item>"), []byte("<category>new</category></item>"), items*2/5)
	st := fakeStore{}
	_, _, old, context, ok := wholePass(before, st)
	if !ok {
		b.Fatal("guardian.rss does not parse")
	}
	st.record(old)
	for _, mode := range []string{"whole", "cut"} {
		b.Run(mode, func(b *testing.B) {
			c := knowncut.New(0)
			prev, _ := c.Scan(before)
			c.Remember(1, prev, context, now, old, make([]time.Time, len(old)))
			cpu0 := processCPU(b)
			for b.Loop() {
				if mode == "whole" {
					if _, _, _, _, ok := wholePass(body, st); !ok {
						b.Fatal("no parse")
					}
					continue
				}
				doc, _ := c.Scan(body)
				small, kept, _, _ := c.Cut(1, doc, now)
				f, _, err := parse.Feed(small, parse.Options{})
				if err != nil || len(kept) != items-items*2/5 {
					b.Fatalf("cut parse: %v, %d kept", err, len(kept))
				}
				if normalize.Context(f, feedURL, lim) != context {
					b.Fatal("another context")
				}
				if _, _, ok := normalize.FeedKept(f, feedURL, now, lim, st.known, kept); !ok {
					b.Fatal("not kept")
				}
			}
			b.ReportMetric(float64(items*b.N)/(processCPU(b)-cpu0).Seconds(), "items/cpu-s")
		})
	}
}

// processCPU is the process's CPU time so far (user and system).
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
