package schedule

import (
	"net/http"
	"testing"
	"time"
)

func TestCacheUntil(t *testing.T) {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		headers map[string]string
		want    time.Time
	}{
		{"none", nil, time.Time{}},
		{"max-age", map[string]string{"Cache-Control": "public, max-age=600"}, now.Add(10 * time.Minute)},
		{"max-age quoted, upper case", map[string]string{"Cache-Control": `MAX-AGE="60"`}, now.Add(time.Minute)},
		{"max-age less Age", map[string]string{"Cache-Control": "max-age=600", "Age": "100"}, now.Add(500 * time.Second)},
		{"Age beyond max-age", map[string]string{"Cache-Control": "max-age=600", "Age": "900"}, time.Time{}},
		{"max-age wins over Expires", map[string]string{"Cache-Control": "max-age=60", "Expires": "Mon, 10 Mar 2025 18:00:00 GMT"}, now.Add(time.Minute)},
		{"no-cache", map[string]string{"Cache-Control": "no-cache, max-age=600"}, time.Time{}},
		{"no-store", map[string]string{"Cache-Control": "no-store"}, time.Time{}},
		{"max-age=0", map[string]string{"Cache-Control": "max-age=0"}, time.Time{}},
		{"bad max-age", map[string]string{"Cache-Control": "max-age=soon"}, time.Time{}},
		{"huge max-age capped", map[string]string{"Cache-Control": "max-age=999999999"}, now.Add(7 * 24 * time.Hour)},
		{"Expires", map[string]string{"Expires": "Mon, 10 Mar 2025 14:00:00 GMT"}, now.Add(2 * time.Hour)},
		{"Expires against the server's Date", map[string]string{"Expires": "Mon, 10 Mar 2025 15:00:00 GMT", "Date": "Mon, 10 Mar 2025 14:00:00 GMT"}, now.Add(time.Hour)},
		{"Expires past", map[string]string{"Expires": "Mon, 10 Mar 2025 11:00:00 GMT"}, time.Time{}},
		{"Expires 0", map[string]string{"Expires": "0"}, time.Time{}},
	}
	for _, tt := range tests {
		h := http.Header{}
		for k, v := range tt.headers {
			h.Set(k, v)
		}
		if got := CacheUntil(h, now); !got.Equal(tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSkipSet(t *testing.T) {
	s := newSkipSet([]int{0, 23, 24, -1, 99}, []string{"Sunday", " sat ", "Caturday"})
	mon := time.Date(2025, 3, 10, 0, 30, 0, 0, time.UTC) // a Monday
	tests := []struct {
		t    time.Time
		want bool
	}{
		{mon, true},                                    // hour 0 (24 means 0 too)
		{mon.Add(time.Hour), false},                    // 01:30
		{mon.Add(22 * time.Hour), false},               // 22:30
		{mon.Add(23 * time.Hour), true},                // 23:30
		{mon.Add(5*24*time.Hour + 12*time.Hour), true}, // Saturday noon
		{mon.Add(6*24*time.Hour + 12*time.Hour), true}, // Sunday noon
		// Hours are UTC whatever the zone of t.
		{time.Date(2025, 3, 10, 1, 30, 0, 0, time.FixedZone("CET", 3600)), true},
	}
	for _, tt := range tests {
		if got := s.skipped(tt.t); got != tt.want {
			t.Errorf("skipped(%v) = %v, want %v", tt.t, got, tt.want)
		}
	}
	// Friday 23:10 -> Saturday, Sunday and Monday 00h are skipped: Monday 01:00.
	fri := time.Date(2025, 3, 14, 23, 10, 0, 0, time.UTC)
	got := s.next(fri, "x")
	if got.Before(time.Date(2025, 3, 17, 1, 0, 0, 0, time.UTC)) || got.After(time.Date(2025, 3, 17, 1, 10, 0, 0, time.UTC)) {
		t.Errorf("next(%v) = %v", fri, got)
	}
}
