package storagetest

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/internal/storytest"
)

// testExportImport copies a store with every kind of record into a new
// one (storage.Exporter to storage.Importer) and expects the copy to hold
// the same and to take the next fetch as the original does.
func testExportImport(t *testing.T, open Opener) {
	opts := storage.Options{Retention: storage.Retention{MaxItemsPerSource: 4}}
	from, clk := openClocked(t, open, opts)
	feeds := fillForCopy(t, from, clk.Now())
	opts.Now = clk.Now
	to := open(t, opts)

	records := exportAll(t, from)
	if err := importer(t, to).Import(context.Background(), replay(records)); err != nil {
		t.Fatalf("Import: %v", err)
	}
	if got, want := dump(t, to), dump(t, from); got != want {
		t.Fatalf("the copy exports\n%s\nthe original\n%s", got, want)
	}
	for _, s := range []storage.Store{from, to} {
		check(t, s)
	}
	sameContents(t, from, to, records)
	clk.Add(time.Minute)
	sameNextFetch(t, from, to, records, feeds, clk.Now())

	// Only into an empty store.
	err := importer(t, to).Import(context.Background(), replay(records))
	if err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("Import into a store with sources: %v", err)
	}
}

// sameContents expects the copy to to read as its original from.
func sameContents(t *testing.T, from, to storage.Store, records []storage.Record) {
	t.Helper()
	srcFrom, err := from.Sources()
	if err != nil {
		t.Fatal(err)
	}
	srcTo, err := to.Sources()
	if err != nil || !reflect.DeepEqual(srcFrom, srcTo) {
		t.Errorf("Sources of the copy = %+v, %v\nwant %+v", srcTo, err, srcFrom)
	}
	if a, b := Collect(t, from, storage.Query{}), Collect(t, to, storage.Query{}); !reflect.DeepEqual(a, b) {
		t.Errorf("Items of the copy = %+v\nwant %+v", b, a)
	}
	if got, err := to.SourceByURL("https://a.example/feed"); err != nil || got.URL != "https://a.example/moved" {
		t.Errorf("the moved source by its subscribed URL = %+v, %v", got, err)
	}
	subsFrom, _ := from.Subscriptions()
	subsTo, err := to.Subscriptions()
	if err != nil || len(subsTo) != len(subsFrom) || len(subsTo) == 0 {
		t.Fatalf("Subscriptions of the copy = %v, %v", subsTo, err)
	}
	for id, sub := range subsFrom {
		if !sameSubscription(subsTo[id], sub) {
			t.Errorf("subscription of source %d = %+v, want %+v", id, subsTo[id], sub)
		}
	}
	compareSimilarity(t, from, to, records)
}

// sameNextFetch expects the copy to to take the feeds fetched last as
// its original from does (known items unchanged, tombstoned ones
// skipped), a new copy of a story into the same story, and new items
// and sources under IDs past every one it copied.
func sameNextFetch(t *testing.T, from, to storage.Store, records []storage.Record, feeds [][]storage.Item, now time.Time) {
	t.Helper()
	var maxItem, maxSource uint64
	for _, r := range records {
		switch {
		case r.Item != nil:
			maxItem = max(maxItem, r.Item.ID)
		case r.Source != nil:
			maxSource = max(maxSource, r.Source.ID)
		}
	}
	var srcs []uint64 // by ID, as fillForCopy added them
	all, err := from.Sources()
	if err != nil || len(all) != len(feeds) {
		t.Fatalf("Sources = %d, %v; want %d", len(all), err, len(feeds))
	}
	for _, src := range all {
		srcs = append(srcs, src.ID)
	}
	for i, feed := range feeds {
		a, b := RecordItems(t, from, srcs[i], feed...), RecordItems(t, to, srcs[i], feed...)
		if !reflect.DeepEqual(a, b) || a.Added != 0 || a.Updated != 0 || a.Skipped != 2 {
			t.Errorf("source %d again: the copy %+v, the original %+v, want 2 skipped, nothing added or updated", srcs[i], b, a)
		}
		keys := storage.ItemKeys(feed)
		q := make([]storage.Item, len(feed))
		for j := range feed {
			q[j] = storage.Item{Key: keys[j], RawHash: feed[j].RawHash}
		}
		if a, b := from.KnownRaw(srcs[i], q), to.KnownRaw(srcs[i], q); !slices.Equal(a, b) {
			t.Errorf("KnownRaw of source %d: the copy %v, the original %v", srcs[i], b, a)
		}
	}
	copyA := dupItem("copy", storytest.A, 0, now)
	for _, s := range []storage.Store{from, to} {
		RecordItems(t, s, srcs[2], copyA)
	}
	a, b := itemByGUID(t, from, srcs[2], "copy"), itemByGUID(t, to, srcs[2], "copy")
	if b.ID <= maxItem || a.Story == 0 || b.Story != a.Story {
		t.Errorf("a new item in the copy: ID %d (copied up to %d), story %d; in the original story %d", b.ID, maxItem, b.Story, a.Story)
	}
	if src := AddSource(t, to, "https://new.example/feed"); src.ID <= maxSource {
		t.Errorf("a new source in the copy got ID %d (copied up to %d)", src.ID, maxSource)
	}
}

// fillForCopy gives s three sources (one moved, one with a subscription,
// one paused), items with stories, full text, raw hashes and
// tombstones, and returns the feeds fetched last, by source.
func fillForCopy(t *testing.T, s storage.Store, now time.Time) [][]storage.Item {
	ctx := context.Background()
	var srcs []storage.Source
	for _, u := range []string{"https://a.example/feed", "https://b.example/feed", "https://c.example/feed"} {
		src, err := s.UpsertSource(ctx, storage.Source{URL: u, Title: "T " + u, Tags: []string{"x", "y"}, Every: time.Hour,
			Origin: storage.OriginConfig, Priority: len(srcs), Paused: len(srcs) == 1})
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, src)
	}
	const fpA, fpB = 0x0123456789abcdef, 0x7edcba9876543210
	feeds := make([][]storage.Item, len(srcs))
	for g, src := range srcs {
		var feed []storage.Item
		for i := range 6 { // two over the cap: tombstones
			it := Item(fmt.Sprintf("%d-%d", g, i), now.Add(-time.Duration(i)*time.Hour))
			it.RawHash = uint64(100*g + i + 1)
			it.Categories, it.Author = []string{"news"}, "Someone"
			it.Enclosures = []storage.Enclosure{{URL: "https://cdn.example/a.mp3", Type: "audio/mpeg", Length: 1234, Duration: 60}}
			switch i {
			case 0:
				it.Lead, it.Fingerprint = storytest.Lead(storytest.A), fpA^uint64(g)
			case 1:
				it.Lead, it.Fingerprint = storytest.Lead(storytest.B), fpB^uint64(g)
			}
			feed = append(feed, it)
		}
		f := storage.Fetch{SourceID: src.ID, Items: feed, State: storage.FetchState{ETag: fmt.Sprintf(`"%d"`, g),
			FeedTitle: "Feed", LastStatus: 200, LastFetch: now, LastSuccess: now, NextDue: now.Add(time.Hour), Interval: time.Hour}}
		if g == 0 {
			f.NewURL = "https://a.example/moved"
		}
		if _, err := s.RecordFetch(ctx, f); err != nil {
			t.Fatal(err)
		}
		feeds[g] = feed
	}
	// A full text upgrades one item in place.
	it := itemByGUID(t, s, srcs[1].ID, "1-2")
	ok, err := s.RecordFullText(ctx, storage.FullTextResult{ItemID: it.ID, Hash: it.Hash, Content: "<p>" + storytest.C + "</p>",
		Fingerprint: 0x5555aaaa3333cccc, Lead: storytest.Lead(storytest.C),
		FullText: storage.FullText{URL: it.Link, Fetched: true, Extractor: "readability", Words: 30, At: now}})
	if err != nil || !ok {
		t.Fatalf("RecordFullText = %v, %v", ok, err)
	}
	at := now.Truncate(time.Second)
	for _, src := range srcs[:2] {
		if err := s.PutSubscription(ctx, storage.Subscription{SourceID: src.ID, ID: fmt.Sprintf("cb%d", src.ID), Secret: "secret",
			Hub: "https://hub.example/", Topic: src.URL, State: storage.SubActive, Requested: at, LeaseEnd: at.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	return feeds
}

func importer(t *testing.T, s storage.Store) storage.Importer {
	t.Helper()
	im, ok := s.(storage.Importer)
	if !ok {
		t.Fatalf("%T is no storage.Importer", s)
	}
	return im
}

// exportAll returns every record s exports, checking their order:
// sources before anything of theirs.
func exportAll(t *testing.T, s storage.Store) []storage.Record {
	t.Helper()
	ex, ok := s.(storage.Exporter)
	if !ok {
		t.Fatalf("%T is no storage.Exporter", s)
	}
	var out []storage.Record
	seen := map[uint64]bool{}
	err := ex.Export(context.Background(), func(r storage.Record) error {
		var sid uint64
		switch {
		case r.Source != nil:
			seen[r.Source.ID] = true
		case r.Item != nil:
			sid = r.Item.SourceID
		case r.Tombstone != nil:
			sid = r.Tombstone.SourceID
		case r.Subscription != nil:
			sid = r.Subscription.SourceID
		}
		if sid != 0 && !seen[sid] {
			t.Errorf("record %+v comes before its source", r)
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	return out
}

// replay yields records as Import asks for them.
func replay(records []storage.Record) func() (storage.Record, bool, error) {
	i := 0
	return func() (storage.Record, bool, error) {
		if i == len(records) {
			return storage.Record{}, false, nil
		}
		i++
		return records[i-1], true, nil
	}
}

// dump is the sorted text of everything s exports, the fields JSON
// leaves out included.
func dump(t *testing.T, s storage.Store) string {
	t.Helper()
	var lines []string
	for _, r := range exportAll(t, s) {
		var line string
		switch {
		case r.Source != nil:
			line = fmt.Sprintf("source %d %s", r.Source.ID, mustJSON(t, r.Source))
		case r.Item != nil:
			line = fmt.Sprintf("item %d %s lead %v raw %d", r.Item.ID, mustJSON(t, r.Item), r.Item.Lead, r.Item.RawHash)
		case r.Tombstone != nil:
			line = fmt.Sprintf("tombstone %d %q %d", r.Tombstone.SourceID, r.Tombstone.Key, r.Tombstone.At.UnixNano())
		case r.Subscription != nil:
			sub := r.Subscription
			line = fmt.Sprintf("subscription %d %s %s %s", sub.SourceID, sub.ID, sub.Secret, mustJSON(t, sub))
		}
		lines = append(lines, line)
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// compareSimilarity expects every pair of copied items to compare alike
// in both stores.
func compareSimilarity(t *testing.T, a, b storage.Store, records []storage.Record) {
	t.Helper()
	var ids []uint64
	for _, r := range records {
		if r.Item != nil {
			ids = append(ids, r.Item.ID)
		}
	}
	for i, x := range ids {
		for _, y := range ids[i+1:] {
			sa, errA := a.Similarity(x, y)
			sb, errB := b.Similarity(x, y)
			if sa != sb || (errA == nil) != (errB == nil) {
				t.Errorf("Similarity(%d, %d): the copy %+v, %v; the original %+v, %v", x, y, sb, errB, sa, errA)
			}
		}
	}
}

// testImportBadRecords: Import refuses a record it cannot place, naming
// it: one with no part or two, an item, tombstone or subscription of a
// source it has not imported, and an ID imported twice.
func testImportBadRecords(t *testing.T, open Opener) {
	clk := newClock()
	src := storage.Source{ID: 7, URL: "https://a.example/feed", Subscribed: "https://a.example/feed", Added: clk.Now()}
	it := Item("x", clk.Now())
	it.ID, it.SourceID, it.Key, it.FirstSeen = 41, 7, "g:x", clk.Now()
	it.Hash = it.BodyHash()
	orphan := it
	orphan.ID, orphan.SourceID = 42, 8
	tests := []struct {
		name    string
		records []storage.Record
		want    string // in the error
	}{
		{"empty record", []storage.Record{{}}, "record"},
		{"two parts", []storage.Record{{Source: &src, Item: &it}}, "record"},
		{"item of an unknown source", []storage.Record{{Source: &src}, {Item: &orphan}}, "42"},
		{"tombstone of an unknown source", []storage.Record{{Source: &src}, {Tombstone: &storage.Tombstone{SourceID: 8, Key: "g:y", At: clk.Now()}}}, "g:y"},
		{"subscription of an unknown source", []storage.Record{{Source: &src}, {Subscription: &storage.Subscription{SourceID: 8, ID: "cb"}}}, "8"},
		{"item twice", []storage.Record{{Source: &src}, {Item: &it}, {Item: &it}}, "41"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := openClocked(t, open, storage.Options{})
			err := importer(t, s).Import(context.Background(), replay(tt.records))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Import = %v, want an error naming %q", err, tt.want)
			}
		})
	}
}
