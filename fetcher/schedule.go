package fetcher

import (
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/adhocore/gronx"
)

// Backoff bounds after failures: the first failure waits backoffBase, each
// further one doubles it, up to backoffMax.
const (
	backoffBase = time.Hour
	backoffMax  = 7 * 24 * time.Hour
	// maxRetryAfter caps a server's Retry-After, so that a typo on the
	// server does not silence a source for years.
	maxRetryAfter = 7 * 24 * time.Hour
	// jitterFraction spreads sources with equal intervals apart.
	jitterFraction = 0.10
)

// scheduleInput is everything the next due time depends on. It is a plain
// value so the schedule stays a pure function that can grow (adaptive
// intervals, skipHours) without touching the fetch code.
type scheduleInput struct {
	Now         time.Time
	URL         string        // seeds the jitter
	Every       time.Duration // the source's own interval; 0 = Default
	Cron        string        // the source's cron expression; wins over Every
	Default     time.Duration // Options.Every
	MinInterval time.Duration
	MaxInterval time.Duration
	TTL         time.Duration // the feed's <ttl>, 0 = none
	ErrorStreak int           // failures in a row including this one; 0 = success
	RetryUntil  time.Time     // a Retry-After window; zero = none
}

// scheduleOutput is when the source is due next and the interval that gave
// that time.
type scheduleOutput struct {
	NextDue  time.Time
	Interval time.Duration
}

// nextDue computes the next due time of a source after a fetch at in.Now.
func nextDue(in scheduleInput) scheduleOutput {
	interval := baseInterval(in.Every, in.Default, in.MinInterval, in.MaxInterval, in.TTL)
	wait := interval
	if in.ErrorStreak > 0 {
		wait = backoff(in.ErrorStreak, interval)
	}
	due := in.Now.Add(jitter(in.URL, wait))
	if in.Cron != "" {
		// The cron expression decides; after failures, the first tick
		// at or after the backoff.
		after, incl := in.Now, false
		if in.ErrorStreak > 0 {
			after, incl = in.Now.Add(wait), true
		}
		if t, err := gronx.NextTickAfter(strings.TrimSpace(in.Cron), after, incl); err == nil {
			due = t
			interval = t.Sub(in.Now)
		}
		// An unparsable expression falls back to the interval (the
		// config check reports it).
	}
	if due.Before(in.RetryUntil) {
		due = in.RetryUntil
	}
	return scheduleOutput{NextDue: due, Interval: interval}
}

// baseInterval is the source's interval (every, else def), raised to the
// feed's ttl, clamped to [min, max].
func baseInterval(every, def, min, max, ttl time.Duration) time.Duration {
	d := every
	if d <= 0 {
		d = def
	}
	if ttl > d {
		d = ttl
	}
	if d < min {
		d = min
	}
	if max > 0 && d > max {
		d = max
	}
	return d
}

// backoff is the wait after streak failures in a row: 1h·2^(streak-1),
// capped at 7 days, never shorter than the normal interval.
func backoff(streak int, interval time.Duration) time.Duration {
	if streak < 1 {
		return interval
	}
	d := backoffMax
	if streak <= 10 { // 1h<<9 = 512h > 7d already
		d = backoffBase << (streak - 1)
		if d > backoffMax {
			d = backoffMax
		}
	}
	if d < interval {
		d = interval
	}
	return d
}

// jitter moves d by up to ±10%, by an amount fixed for each source (a
// hash of its URL), so sources added together do not stay in lockstep and
// tests can compute the result.
func jitter(seed string, d time.Duration) time.Duration {
	return d + time.Duration(float64(d)*jitterFactor(seed))
}

// jitterFactor is the source's fixed fraction in [-0.1, +0.1].
func jitterFactor(seed string) float64 {
	h := fnv.New64a()
	h.Write([]byte(seed))
	return (float64(h.Sum64()%2001)/1000 - 1) * jitterFraction
}

// retryAfter parses a Retry-After header (delay-seconds or an HTTP date)
// into an absolute time; zero when absent or unparsable.
func retryAfter(h http.Header, now time.Time) time.Time {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return time.Time{}
	}
	var t time.Time
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return time.Time{}
		}
		if time.Duration(n) > maxRetryAfter/time.Second {
			n = int64(maxRetryAfter / time.Second)
		}
		t = now.Add(time.Duration(n) * time.Second)
	} else if d, err := http.ParseTime(v); err == nil {
		t = d
	} else {
		return time.Time{}
	}
	if !t.After(now) {
		return time.Time{}
	}
	if t.After(now.Add(maxRetryAfter)) {
		t = now.Add(maxRetryAfter)
	}
	return t
}
