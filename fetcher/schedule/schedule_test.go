package schedule

import (
	"fmt"
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
		if got := Backoff(tt.streak, tt.interval); got != tt.want {
			t.Errorf("backoff(%d, %v) = %v, want %v", tt.streak, tt.interval, got, tt.want)
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
		d := Jitter(u, time.Hour)
		if d < 54*time.Minute || d > 66*time.Minute {
			t.Errorf("jitter(%q, 1h) = %v", u, d)
		}
	}
	if jitterFactor("https://a.example/feed") == jitterFactor("https://b.example/feed") {
		t.Error("two URLs got the same jitter")
	}
}

func TestNextDue(t *testing.T) {
	// Monday 2025-03-10 12:00 UTC.
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	const u = "https://example.org/feed.xml"
	const m, h, day = time.Minute, time.Hour, 24 * time.Hour
	j := func(d time.Duration) time.Time { return now.Add(Jitter(u, d)) }
	later := func(a, b time.Time) time.Time {
		if a.After(b) {
			return a
		}
		return b
	}
	// spread is the source's fixed offset into an allowed hour after
	// skipped ones.
	spread := time.Duration((jitterFactor(u) + jitterFraction) / (2 * jitterFraction) * float64(skipSpread))
	at := func(d, hh int) time.Time { return time.Date(2025, 3, d, hh, 0, 0, 0, time.UTC) }
	base := Input{Now: now, URL: u, Default: 30 * m, MinInterval: 5 * m, MaxInterval: day}
	tests := []struct {
		name         string
		mod          func(*Input)
		wantDue      time.Time
		wantInterval time.Duration
	}{
		{"nothing observed: default", func(*Input) {}, j(30 * m), 30 * m},
		{"source every", func(in *Input) { in.Every = 2 * h }, j(2 * h), 2 * h},
		{"source every clamped up", func(in *Input) { in.Every = m }, j(5 * m), 5 * m},
		{"source every clamped down", func(in *Input) { in.Every = 48 * h }, j(day), day},

		{"adaptive: publishing gap", func(in *Input) { in.PublishGap = 2 * h; in.NewestItem = now.Add(-h) }, j(2 * h), 2 * h},
		{"adaptive: busy feed clamped to min", func(in *Input) { in.PublishGap = m; in.NewestItem = now }, j(5 * m), 5 * m},
		{"adaptive: weekly feed clamped to max", func(in *Input) { in.PublishGap = 7 * day; in.NewestItem = now.Add(-day) }, j(day), day},
		{"adaptive: quiet feed slows down", func(in *Input) { in.PublishGap = h; in.NewestItem = now.Add(-10 * h) }, j(5 * h), 5 * h},
		{"adaptive: source every wins", func(in *Input) { in.Every = 15 * m; in.PublishGap = 2 * h }, j(15 * m), 15 * m},

		{"ttl raises", func(in *Input) { in.TTL = 90 * m }, later(j(90*m), now.Add(90*m)), 90 * m},
		{"ttl raises source every", func(in *Input) { in.Every = 15 * m; in.TTL = time.Hour }, later(j(h), now.Add(h)), h},
		{"ttl lower than interval", func(in *Input) { in.Every = 60 * m; in.TTL = 10 * m }, j(60 * m), 60 * m},
		{"ttl capped by max", func(in *Input) { in.TTL = 7 * day }, later(j(day), now.Add(day)), day},
		{"sy:updatePeriod raises", func(in *Input) { in.UpdatePeriod = 6 * h }, later(j(6*h), now.Add(6*h)), 6 * h},

		{"cache max-age is a lower bound", func(in *Input) { in.CacheUntil = now.Add(3 * h) }, now.Add(3 * h), 30 * m},
		{"cache shorter than interval", func(in *Input) { in.CacheUntil = now.Add(5 * m) }, j(30 * m), 30 * m},
		{"cache capped by max", func(in *Input) { in.CacheUntil = now.Add(3 * day) }, now.Add(day), 30 * m},
		{"cache ignored after failure", func(in *Input) { in.ErrorStreak = 1; in.CacheUntil = now.Add(3 * h) }, j(h), 30 * m},

		{"first failure", func(in *Input) { in.ErrorStreak = 1 }, j(h), 30 * m},
		{"third failure", func(in *Input) { in.ErrorStreak = 3 }, j(4 * h), 30 * m},
		{"backoff capped at 7 days", func(in *Input) { in.ErrorStreak = 50 }, j(7 * day), 30 * m},
		{"failure, long interval", func(in *Input) { in.ErrorStreak = 1; in.Every = 12 * h }, j(12 * h), 12 * h},
		{"retry-after later than backoff", func(in *Input) {
			in.ErrorStreak = 1
			in.RetryUntil = now.Add(3 * h)
		}, now.Add(3 * h), 30 * m},
		{"retry-after earlier than backoff", func(in *Input) {
			in.ErrorStreak = 1
			in.RetryUntil = now.Add(m)
		}, j(h), 30 * m},

		{"skipHours push to the next allowed hour", func(in *Input) { in.SkipHours = []int{12, 13} }, at(10, 14).Add(spread), 30 * m},
		{"skipHours elsewhere", func(in *Input) { in.SkipHours = []int{3, 4} }, j(30 * m), 30 * m},
		{"skipDays push to the next allowed day", func(in *Input) { in.SkipDays = []string{"Monday", "tuesday"} }, at(12, 0).Add(spread), 30 * m},
		{"skipHours and skipDays together", func(in *Input) {
			in.SkipDays = []string{"Monday"}
			in.SkipHours = []int{0, 1}
		}, at(11, 2).Add(spread), 30 * m},
		{"every hour skipped is ignored", func(in *Input) {
			for hh := range 24 {
				in.SkipHours = append(in.SkipHours, hh)
			}
		}, j(30 * m), 30 * m},
		{"unknown day names ignored", func(in *Input) { in.SkipDays = []string{"Caturday"} }, j(30 * m), 30 * m},
		{"retry-after beats skipHours", func(in *Input) {
			in.SkipHours = []int{12}
			in.ErrorStreak = 1
			in.RetryUntil = now.Add(5 * h)
		}, now.Add(5 * h), 30 * m},

		{"cron", func(in *Input) { in.Cron = "0 18 * * *" }, at(10, 18), 6 * h},
		{"cron wins over every and adaptive", func(in *Input) { in.Cron = "30 12 * * *"; in.Every = 2 * h; in.PublishGap = h },
			now.Add(30 * m), 30 * m},
		{"cron after failure", func(in *Input) { in.Cron = "0 */2 * * *"; in.ErrorStreak = 2 }, at(10, 14), 2 * h},
		{"cron honours ttl", func(in *Input) { in.Cron = "0 * * * *"; in.TTL = 3 * h }, at(10, 15), 3 * h},
		{"cron honours cache", func(in *Input) { in.Cron = "*/10 * * * *"; in.CacheUntil = now.Add(25 * m) }, now.Add(30 * m), 30 * m},
		{"cron skips skipped hours", func(in *Input) { in.Cron = "0 * * * *"; in.SkipHours = []int{13, 14} }, at(10, 15), 3 * h},
		{"bad cron falls back", func(in *Input) { in.Cron = "every tuesday" }, j(30 * m), 30 * m},
	}
	for _, tt := range tests {
		in := base
		tt.mod(&in)
		got := Next(in)
		if !got.NextDue.Equal(tt.wantDue) || got.Interval != tt.wantInterval {
			t.Errorf("%s: got %v / %v, want %v / %v", tt.name, got.NextDue, got.Interval, tt.wantDue, tt.wantInterval)
		}
	}
}

// TestNextDueSpreadsSources checks the jitter in the schedule itself:
// sources added together with the same settings come due at different
// times, all within ±10% of the interval.
func TestNextDueSpreadsSources(t *testing.T) {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	seen := map[time.Time]bool{}
	for i := range 100 {
		got := Next(Input{Now: now, URL: fmt.Sprintf("https://example.org/%d.xml", i),
			Default: time.Hour, MinInterval: time.Minute, MaxInterval: 24 * time.Hour})
		if d := got.NextDue.Sub(now); d < 54*time.Minute || d > 66*time.Minute {
			t.Errorf("source %d due after %v", i, d)
		}
		seen[got.NextDue] = true
	}
	if len(seen) < 90 {
		t.Errorf("only %d distinct due times for 100 sources", len(seen))
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
		if got := RetryAfter(h, now); !got.Equal(tt.want) {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.value, got, tt.want)
		}
	}
}

func TestStoreBackoff(t *testing.T) {
	const m = time.Minute
	for _, c := range []struct {
		n             int
		interval, max time.Duration
		want          time.Duration
	}{
		{1, 15 * m, 24 * 60 * m, 15 * m},
		{2, 15 * m, 24 * 60 * m, 30 * m},
		{3, 15 * m, 24 * 60 * m, 60 * m},
		{10, 15 * m, 24 * 60 * m, 24 * 60 * m},
		{1000, 15 * m, 24 * 60 * m, 24 * 60 * m},
		{3, 15 * m, 40 * m, 40 * m},
		{1, 15 * m, 5 * m, 15 * m}, // never below the interval
		{2, 0, 40 * m, 40 * m},
	} {
		if got := StoreBackoff(c.n, c.interval, c.max); got != c.want {
			t.Errorf("storeBackoff(%d, %s, %s) = %s, want %s", c.n, c.interval, c.max, got, c.want)
		}
	}
}
