package storagetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/feedmill/feedmill/internal/testclock"
	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/internal/storytest"
)

// Opener opens a fresh, empty store with opts and closes it when t ends.
type Opener func(t *testing.T, opts storage.Options) storage.Store

// Run runs the conformance suite, one subtest per rule, each on stores
// that open gives it.
func Run(t *testing.T, open func(t *testing.T, opts storage.Options) storage.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"UpsertSource", testUpsertSource},
		{"RemoveSource", testRemoveSource},
		{"RecordFetch", testRecordFetch},
		{"RecordFetchPublishedZero", testRecordFetchPublishedZero},
		{"RecordFetchStateAndURL", testRecordFetchStateAndURL},
		{"RecordFetchConcurrent", testRecordFetchConcurrent},
		{"KnownRaw", testKnownRaw},
		{"Items", testItemsQuery},
		{"ItemsChunks", testItemsChunks},
		{"Item", testItem},
		{"Version", testVersion},
		{"RecordFullText", testRecordFullText},
		{"RecordFullTextRefilesStory", testRecordFullTextRefilesStory},
		{"RetentionMaxItems", testMaxItemsPerSource},
		{"RetentionMaxAge", testMaxAge},
		{"RetentionChunks", testApplyRetentionChunks},
		{"Stories", testStoryAssignment},
		{"StoriesLookupBounded", testStoryLookupBounded},
		{"StoriesForgetRemoved", testStoriesForgetRemoved},
		{"Similarity", testSimilarity},
		{"Subscriptions", testSubscriptions},
		{"Health", testHealth},
		{"Close", testClose},
		{"CanceledWrite", testCanceledWrite},
		{"ExportImport", testExportImport},
		{"ImportBadRecords", testImportBadRecords},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open) })
	}
}

func newClock() *testclock.Clock { return testclock.New(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)) }

// openClocked opens a store whose clock is a new test clock.
func openClocked(t *testing.T, open Opener, opts storage.Options) (storage.Store, *testclock.Clock) {
	t.Helper()
	clk := newClock()
	opts.Now = clk.Now
	return open(t, opts), clk
}

// AddSource adds a source of the config with that URL.
func AddSource(t testing.TB, s storage.Store, url string) storage.Source {
	t.Helper()
	src, err := s.UpsertSource(context.Background(), storage.Source{URL: url, Origin: storage.OriginConfig})
	if err != nil {
		t.Fatalf("UpsertSource(%s): %v", url, err)
	}
	return src
}

// Item builds a test item with a GUID, link and date.
func Item(guid string, published time.Time) storage.Item {
	return storage.Item{
		GUID:      guid,
		Link:      "https://example.org/" + guid,
		Title:     "Title " + guid,
		Content:   "<p>Content of " + guid + "</p>",
		Published: published,
	}
}

// dupItem is an item with a lead of text and fingerprint fp, for the
// near-duplicate rules.
func dupItem(guid, text string, fp uint64, at time.Time) storage.Item {
	it := Item(guid, at)
	it.Lead = storytest.Lead(text)
	it.Fingerprint = fp
	return it
}

// RecordItems records items as a fetch of sourceID and returns its counts
// (Ingested.Changed is checked here and left out, so results compare).
func RecordItems(t testing.TB, s storage.Store, sourceID uint64, items ...storage.Item) storage.Ingested {
	t.Helper()
	res, err := s.RecordFetch(context.Background(), storage.Fetch{SourceID: sourceID, Items: items})
	if err != nil {
		t.Fatalf("RecordFetch: %v", err)
	}
	if len(res.Changed) != res.Added+res.Updated {
		t.Errorf("Changed lists %d items, Added+Updated = %d", len(res.Changed), res.Added+res.Updated)
	}
	for _, c := range res.Changed {
		if c.Index < 0 || c.Index >= len(items) || c.ID == 0 {
			t.Errorf("Changed %+v out of range", c)
		}
	}
	res.Changed = nil
	return res
}

// check runs the store's own consistency check, when it has one.
func check(t testing.TB, s storage.Store) {
	t.Helper()
	if c, ok := s.(storage.Checker); ok {
		if err := c.Check(); err != nil {
			t.Fatalf("Check: %v", err)
		}
	}
}

// Collect returns the items q selects, in order.
func Collect(t testing.TB, s storage.Store, q storage.Query) []storage.Item {
	t.Helper()
	var out []storage.Item
	if err := s.Items(q, func(it storage.Item) bool { out = append(out, it); return true }); err != nil {
		t.Fatalf("Items: %v", err)
	}
	return out
}

// GUIDs are the items' GUIDs, in order.
func GUIDs(items []storage.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.GUID
	}
	return out
}

func fmtGUID(i int) string { return fmt.Sprintf("item-%04d", i) }

// itemByGUID returns the item of source sourceID (0 = any) with that GUID.
func itemByGUID(t *testing.T, s storage.Store, sourceID uint64, guid string) storage.Item {
	t.Helper()
	q := storage.Query{}
	if sourceID != 0 {
		q.SourceIDs = []uint64{sourceID}
	}
	for _, it := range Collect(t, s, q) {
		if it.GUID == guid {
			return it
		}
	}
	t.Fatalf("no item %s in source %d", guid, sourceID)
	return storage.Item{}
}

// threeSources opens a store with sources a, b and c, and returns an hour
// before its clock's now.
func threeSources(t *testing.T, open Opener) (s storage.Store, a, b, c storage.Source, t0 time.Time) {
	s, clk := openClocked(t, open, storage.Options{})
	a = AddSource(t, s, "https://a.example/feed")
	b = AddSource(t, s, "https://b.example/feed")
	c = AddSource(t, s, "https://c.example/feed")
	return s, a, b, c, clk.Now().Add(-time.Hour)
}
