package knowncut

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"
)

// TestBudget: a source whose entries would take the cache over its budget
// keeps none (and cuts nothing); one that fits does, and replacing a
// source's entries gives its bytes back.
func TestBudget(t *testing.T) {
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	var b strings.Builder
	b.WriteString(`<rss><channel><title>t</title>`)
	var items []storage.Item
	for i := range 10 {
		fmt.Fprintf(&b, "<item><guid>g%d</guid></item>", i)
		items = append(items, storage.Item{GUID: fmt.Sprintf("g%d", i), RawHash: uint64(i + 1), Published: now.Add(-time.Hour)})
	}
	b.WriteString(`</channel></rss>`)
	body := []byte(b.String())
	dates := make([]time.Time, len(items))

	c := New(15 * (entryOverhead + 2))
	d, ok := c.Scan(body)
	if !ok || d.Items() != 10 {
		t.Fatalf("scan: %v, %d items", ok, d.Items())
	}
	c.Remember(1, d, 7, now, items, dates)
	if _, kept, _, ctx := c.Cut(1, d, now); len(kept) != 10 || ctx != 7 {
		t.Fatalf("source 1: %d kept (context %d), want 10 (7)", len(kept), ctx)
	}
	c.Remember(2, d, 7, now, items, dates)
	if _, kept, _, _ := c.Cut(2, d, now); len(kept) != 0 {
		t.Errorf("source 2 over the budget: %d kept", len(kept))
	}
	c.Remember(1, d, 7, now, items[:0], dates[:0]) // a document that does not match: forgotten
	if c.used != 0 {
		t.Errorf("%d bytes used after forgetting the only source", c.used)
	}
	c.Remember(2, d, 7, now, items, dates)
	if _, kept, _, _ := c.Cut(2, d, now); len(kept) != 10 {
		t.Errorf("source 2 within the budget: %d kept", len(kept))
	}
	if _, kept, _, _ := c.Cut(2, d, now.Add(-time.Second)); len(kept) != 0 {
		t.Errorf("a clock gone back cut %d items", len(kept))
	}
}
