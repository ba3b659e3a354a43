package feedserver

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/feedmill/feedmill/internal/testlog"
	"github.com/feedmill/feedmill/storage"
)

// TestUnreadableStoreLogsOnce: when a channel's items cannot be read (a
// damaged item value), every request for it fails, but the log has one
// line for the cause, not one per request.
func TestUnreadableStoreLogsOnce(t *testing.T) {
	f := newFixture(t)
	a := f.source("https://a.example/feed", "a")
	f.items(a, storage.Item{Title: "One"}, storage.Item{Title: "Two"})
	f.close()
	db, err := bolt.Open(f.path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("items"))
		var keys [][]byte
		b.ForEach(func(k, _ []byte) error { keys = append(keys, append([]byte(nil), k...)); return nil })
		for _, k := range keys {
			if err := b.Put(k, []byte{2, 0xff, 0xff}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	f.open()

	var logs testlog.Buffer
	s, err := New(f.store, Options{BaseURL: "https://feeds.example.org", Now: f.clock.Now,
		Logger:   slog.New(slog.NewTextHandler(&logs, nil)),
		Channels: []Channel{{Name: "ach", Tags: []string{"a"}}}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	for range 20 {
		for _, path := range []string{"/channels/ach.rss", "/channels/ach.atom", "/channels/ach"} {
			resp, err := http.Get(ts.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("%s with its items unreadable: %s", path, resp.Status)
			}
		}
	}
	if n := strings.Count(logs.String(), "level="); n != 1 {
		t.Errorf("%d log lines for 60 failed requests, want 1:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), `msg="feedserver: cannot read channel ach from the store`) || !strings.Contains(logs.String(), "item value") {
		t.Errorf("the line does not name the channel and the cause:\n%s", logs.String())
	}
}
