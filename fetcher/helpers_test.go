package fetcher

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage/bolt"

	"github.com/feedmill/feedmill/internal/testclock"
	"github.com/feedmill/feedmill/storage"
)

const (
	edgeDir      = "../../shared/testdata/feeds/edge"
	realworldDir = "../../shared/testdata/feeds/realworld"
)

func newClock() *testclock.Clock { return testclock.New(time.Now().UTC().Truncate(time.Second)) }

// openStore opens a fresh bbolt store in t.TempDir().
func openStore(t *testing.T, clock *testclock.Clock) *bolt.Store {
	t.Helper()
	opts := storage.Options{}
	if clock != nil {
		opts.Now = clock.Now
	}
	st, err := bolt.Open(filepath.Join(t.TempDir(), "feedmill.db"), opts)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func addSource(t *testing.T, st storage.Store, url string) storage.Source {
	t.Helper()
	s, err := st.UpsertSource(context.Background(), storage.Source{URL: url, Origin: storage.OriginCLI})
	if err != nil {
		t.Fatalf("add source %s: %v", url, err)
	}
	return s
}

func getSource(t *testing.T, st storage.Store, url string) storage.Source {
	t.Helper()
	s, err := st.SourceByURL(url)
	if err != nil {
		t.Fatalf("source %s: %v", url, err)
	}
	return s
}

func countItems(t *testing.T, st storage.Store, id uint64) int {
	t.Helper()
	n := 0
	if err := st.Items(storage.Query{SourceIDs: []uint64{id}}, func(storage.Item) bool { n++; return true }); err != nil {
		t.Fatal(err)
	}
	return n
}

// newTestFetcher is a Fetcher allowed to reach 127.0.0.1.
func newTestFetcher(st storage.Store, clock *testclock.Clock, mod func(*Options)) *Fetcher {
	// No per-host spacing: tests that fetch one host many times would
	// wait for it (TestHostRate tests it).
	opts := Options{AllowPrivate: true, Timeout: 5 * time.Second, HostInterval: -1}
	if clock != nil {
		opts.Now = clock.Now
	}
	if mod != nil {
		mod(&opts)
	}
	return New(st, opts)
}

func pass(t *testing.T, f *Fetcher, po PassOptions) Report {
	t.Helper()
	rep, err := f.Pass(context.Background(), po)
	if err != nil {
		t.Fatalf("pass: %v", err)
	}
	return rep
}

func onlyResult(t *testing.T, rep Report) Result {
	t.Helper()
	if len(rep.Results) != 1 {
		t.Fatalf("want 1 result, got %+v", rep.Results)
	}
	return rep.Results[0]
}

const sampleRSS = `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Sample</title><link>https://example.org/</link><ttl>60</ttl>
<item><title>One</title><link>https://example.org/1?utm_source=rss</link><guid>https://example.org/1</guid><pubDate>Mon, 03 Mar 2025 10:00:00 GMT</pubDate></item>
<item><title>Two</title><link>/2</link><guid isPermaLink="false">two</guid><pubDate>Mon, 03 Mar 2025 11:00:00 GMT</pubDate></item>
</channel></rss>`
