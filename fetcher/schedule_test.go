package fetcher

import (
	"net/http"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		streak   int
		interval time.Duration
		want     time.Duration
	}{
		{0, 30 * time.Minute, 30 * time.Minute},
		{1, 30 * time.Minute, time.Hour},
		{2, 30 * time.Minute, 2 * time.Hour},
		{3, 30 * time.Minute, 4 * time.Hour},
		{8, 30 * time.Minute, 128 * time.Hour},
		{9, 30 * time.Minute, 7 * 24 * time.Hour},
		{40, 30 * time.Minute, 7 * 24 * time.Hour},
		{1 << 30, 30 * time.Minute, 7 * 24 * time.Hour},
		{1, 6 * time.Hour, 6 * time.Hour}, // never shorter than the interval
		{3, 6 * time.Hour, 6 * time.Hour}, // 4h < 6h
		{4, 6 * time.Hour, 8 * time.Hour}, // 8h > 6h
		{20, 30 * 24 * time.Hour, 30 * 24 * time.Hour},
	}
	for _, tt := range tests {
		if got := backoff(tt.streak, tt.interval); got != tt.want {
			t.Errorf("backoff(%d, %v) = %v, want %v", tt.streak, tt.interval, got, tt.want)
		}
	}
}

func TestBaseInterval(t *testing.T) {
	const m = time.Minute
	tests := []struct {
		name                      string
		every, def, min, max, ttl time.Duration
		want                      time.Duration
	}{
		{"default", 0, 30 * m, 5 * m, 24 * time.Hour, 0, 30 * m},
		{"source interval wins", 15 * m, 30 * m, 5 * m, 24 * time.Hour, 0, 15 * m},
		{"clamped up", 1 * m, 30 * m, 5 * m, 24 * time.Hour, 0, 5 * m},
		{"clamped down", 48 * time.Hour, 30 * m, 5 * m, 24 * time.Hour, 0, 24 * time.Hour},
		{"ttl raises", 15 * m, 30 * m, 5 * m, 24 * time.Hour, 60 * m, 60 * m},
		{"ttl lower ignored", 60 * m, 30 * m, 5 * m, 24 * time.Hour, 10 * m, 60 * m},
		{"ttl capped by max", 15 * m, 30 * m, 5 * m, 24 * time.Hour, 7 * 24 * time.Hour, 24 * time.Hour},
	}
	for _, tt := range tests {
		if got := baseInterval(tt.every, tt.def, tt.min, tt.max, tt.ttl); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestJitter(t *testing.T) {
	for _, u := range []string{"https://a.example/feed", "https://b.example/feed", "", "x"} {
		f := jitterFactor(u)
		if f < -0.1 || f > 0.1 {
			t.Errorf("jitterFactor(%q) = %v, outside ±10%%", u, f)
		}
		if jitterFactor(u) != f {
			t.Errorf("jitterFactor(%q) not deterministic", u)
		}
		d := jitter(u, time.Hour)
		if d < 54*time.Minute || d > 66*time.Minute {
			t.Errorf("jitter(%q, 1h) = %v", u, d)
		}
	}
	if jitterFactor("https://a.example/feed") == jitterFactor("https://b.example/feed") {
		t.Error("two URLs got the same jitter")
	}
}

func TestNextDue(t *testing.T) {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	const u = "https://example.org/feed.xml"
	j := func(d time.Duration) time.Time { return now.Add(jitter(u, d)) }
	base := scheduleInput{Now: now, URL: u, Default: 30 * time.Minute, MinInterval: 5 * time.Minute, MaxInterval: 24 * time.Hour}
	tests := []struct {
		name         string
		mod          func(*scheduleInput)
		wantDue      time.Time
		wantInterval time.Duration
	}{
		{"success, default", func(*scheduleInput) {}, j(30 * time.Minute), 30 * time.Minute},
		{"success, source every", func(in *scheduleInput) { in.Every = 2 * time.Hour }, j(2 * time.Hour), 2 * time.Hour},
		{"success, ttl", func(in *scheduleInput) { in.TTL = 90 * time.Minute }, j(90 * time.Minute), 90 * time.Minute},
		{"first failure", func(in *scheduleInput) { in.ErrorStreak = 1 }, j(time.Hour), 30 * time.Minute},
		{"third failure", func(in *scheduleInput) { in.ErrorStreak = 3 }, j(4 * time.Hour), 30 * time.Minute},
		{"failure, long interval", func(in *scheduleInput) { in.ErrorStreak = 1; in.Every = 12 * time.Hour }, j(12 * time.Hour), 12 * time.Hour},
		{"retry-after later than backoff", func(in *scheduleInput) {
			in.ErrorStreak = 1
			in.RetryUntil = now.Add(3 * time.Hour)
		}, now.Add(3 * time.Hour), 30 * time.Minute},
		{"retry-after earlier than backoff", func(in *scheduleInput) {
			in.ErrorStreak = 1
			in.RetryUntil = now.Add(time.Minute)
		}, j(time.Hour), 30 * time.Minute},
		{"cron", func(in *scheduleInput) { in.Cron = "0 18 * * *" }, time.Date(2025, 3, 10, 18, 0, 0, 0, time.UTC), 6 * time.Hour},
		{"cron after failure", func(in *scheduleInput) { in.Cron = "0 */2 * * *"; in.ErrorStreak = 2 }, time.Date(2025, 3, 10, 14, 0, 0, 0, time.UTC), 2 * time.Hour},
		{"bad cron falls back", func(in *scheduleInput) { in.Cron = "every tuesday" }, j(30 * time.Minute), 30 * time.Minute},
	}
	for _, tt := range tests {
		in := base
		tt.mod(&in)
		got := nextDue(in)
		if !got.NextDue.Equal(tt.wantDue) || got.Interval != tt.wantInterval {
			t.Errorf("%s: got %v / %v, want %v / %v", tt.name, got.NextDue, got.Interval, tt.wantDue, tt.wantInterval)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Time
	}{
		{"", time.Time{}},
		{"120", now.Add(2 * time.Minute)},
		{" 3600 ", now.Add(time.Hour)},
		{"-5", time.Time{}},
		{"0", time.Time{}},
		{"soon", time.Time{}},
		{"Mon, 10 Mar 2025 15:00:00 GMT", now.Add(3 * time.Hour)},
		{"Mon, 10 Mar 2025 11:00:00 GMT", time.Time{}}, // in the past
		{"99999999999", now.Add(7 * 24 * time.Hour)},
		{"Tue, 10 Mar 2026 15:00:00 GMT", now.Add(7 * 24 * time.Hour)},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.value != "" {
			h.Set("Retry-After", tt.value)
		}
		if got := retryAfter(h, now); !got.Equal(tt.want) {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.value, got, tt.want)
		}
	}
}
