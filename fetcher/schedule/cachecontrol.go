package schedule

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// CacheUntil is how long the response says it stays fresh, as an absolute
// time: Cache-Control max-age (less the Age header) wins over Expires, as
// in RFC 9111; no-store and no-cache mean "no promise". Zero when the
// response makes none, or when the time is already past. The schedule uses
// it as a lower bound on the next fetch (see Next), on 200s and 304s
// alike.
func CacheUntil(h http.Header, now time.Time) time.Time {
	maxAge := int64(-1)
	for _, line := range h.Values("Cache-Control") {
		for _, dir := range strings.Split(line, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(dir), "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "no-store", "no-cache":
				return time.Time{}
			case "max-age":
				n, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(val), `"`), 10, 64)
				if err == nil && n >= 0 {
					maxAge = n
				}
			}
		}
	}
	if maxAge >= 0 {
		if age, err := strconv.ParseInt(strings.TrimSpace(h.Get("Age")), 10, 64); err == nil && age > 0 {
			maxAge -= age
		}
		if maxAge <= 0 {
			return time.Time{}
		}
		if maxAge > int64(maxRetryAfter/time.Second) {
			maxAge = int64(maxRetryAfter / time.Second)
		}
		return now.Add(time.Duration(maxAge) * time.Second)
	}
	v := strings.TrimSpace(h.Get("Expires"))
	if v == "" {
		return time.Time{}
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return time.Time{} // "0", "-1" and other junk mean already expired
	}
	// Measured against the server's own Date, so a skewed server clock
	// does not matter.
	if date, err := http.ParseTime(h.Get("Date")); err == nil {
		t = now.Add(t.Sub(date))
	}
	if !t.After(now) {
		return time.Time{}
	}
	return minTime(t, now.Add(maxRetryAfter))
}
