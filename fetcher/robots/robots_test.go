package robots

import (
	"context"
	"errors"
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

func TestAllowed(t *testing.T) {
	var calls atomic.Int32
	answers := map[string]struct {
		status int
		body   string
		err    error
	}{
		"https://a.example/robots.txt": {200, "User-agent: *\nDisallow: /private/\n\nUser-agent: feedmill\nDisallow: /nofeedmill/\n", nil},
		"https://b.example/robots.txt": {404, "", nil},
		"https://c.example/robots.txt": {503, "", nil},
		"https://d.example/robots.txt": {0, "", errors.New("connection refused")},
		"https://e.example/robots.txt": {403, "", nil},
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := New(func(_ context.Context, u string) (int, []byte, error) {
		calls.Add(1)
		a := answers[u]
		return a.status, []byte(a.body), a.err
	}, "feedmill", 3, func() time.Time { return now })
	tests := []struct {
		page    string
		want    bool
		wantErr error
	}{
		{"https://a.example/news/1", true, nil},
		{"https://a.example/nofeedmill/1", false, nil},
		{"https://b.example/x", true, nil},
		{"https://c.example/x", false, ErrWait},
		{"https://d.example/x", true, nil},
		{"https://e.example/x", true, nil},
	}
	for _, tt := range tests {
		u, _ := url.Parse(tt.page)
		got, err := c.Allowed(context.Background(), u)
		if got != tt.want || !errors.Is(err, tt.wantErr) {
			t.Errorf("Allowed(%s) = %v, %v; want %v, %v", tt.page, got, err, tt.want, tt.wantErr)
		}
	}
	if len(c.hosts) > 3 {
		t.Errorf("%d hosts cached, bound 3", len(c.hosts))
	}
	n := calls.Load()
	u, _ := url.Parse("https://e.example/y")
	c.Allowed(context.Background(), u)
	if calls.Load() != n {
		t.Error("a cached host's robots.txt was fetched again")
	}
	now = now.Add(Refresh + time.Minute)
	c.Allowed(context.Background(), u)
	if calls.Load() != n+1 {
		t.Error("robots.txt not refreshed after a day")
	}
}
