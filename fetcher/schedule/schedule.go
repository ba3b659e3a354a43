package schedule

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
	// skipSpread spreads sources whose skipHours/skipDays end at the same
	// hour over the first minutes of the allowed hour.
	skipSpread = 10 * time.Minute
	// maxCronSteps bounds the search for a cron tick outside skipped
	// hours and days.
	maxCronSteps = 200
)

// Input is everything the next due time depends on. It is a plain
// value so that the schedule is one pure function of it, tested rule by
// rule.
type Input struct {
	Now         time.Time
	URL         string        // seeds the jitter
	Every       time.Duration // the source's own interval; 0 = adaptive
	Cron        string        // the source's cron expression; wins over Every
	Default     time.Duration // Options.Every: the interval before anything is observed
	MinInterval time.Duration
	MaxInterval time.Duration

	// What the feed says about itself.
	TTL          time.Duration // RSS <ttl>, 0 = none
	UpdatePeriod time.Duration // sy:updatePeriod / sy:updateFrequency, 0 = none
	SkipHours    []int         // RSS skipHours (UTC hours 0-23)
	SkipDays     []string      // RSS skipDays (English day names)
	// The observed publishing rate (see PublishGap).
	PublishGap time.Duration
	NewestItem time.Time
	// The response's Cache-Control max-age / Expires, as an absolute time;
	// zero = none.
	CacheUntil time.Time

	ErrorStreak int       // failures in a row including this one; 0 = success
	RetryUntil  time.Time // a Retry-After window; zero = none
}

// Output is when the source is due next and the interval that gave
// that time.
type Output struct {
	NextDue  time.Time
	Interval time.Duration
}

// Next computes the next due time of a source after a fetch at in.Now.
// The rules, in order:
//
//  1. The interval is the source's own Every, else the adaptive interval
//     from the observed publishing rate (see adaptiveInterval), else
//     Default; raised to the feed's <ttl> and sy:updatePeriod, and clamped
//     to [MinInterval, MaxInterval].
//  2. After failures the wait is the exponential backoff (1h·2^(n-1), at
//     most 7 days, never shorter than the interval); the due time is now
//     plus the wait moved by the source's fixed jitter (±10%).
//  3. A source with a cron expression is due at its first tick after now
//     (after the backoff, after failures) instead; the interval is the
//     distance to that tick. The feed's ttl and sy:updatePeriod still
//     hold: the first tick at or after them.
//  4. The response's Cache-Control max-age / Expires is a lower bound,
//     itself capped at now + MaxInterval.
//  5. skipHours/skipDays (UTC, as RSS says) push the due time to the next
//     allowed hour (a cron source: to its next tick in an allowed hour).
//  6. A Retry-After window is a hard lower bound.
func Next(in Input) Output {
	hintFloor := max(in.TTL, in.UpdatePeriod)
	interval := in.Every
	if interval <= 0 {
		interval = adaptiveInterval(in.PublishGap, in.NewestItem, in.Now, in.Default)
	}
	interval = clampInterval(max(interval, hintFloor), in.MinInterval, in.MaxInterval)
	wait := interval
	if in.ErrorStreak > 0 {
		wait = Backoff(in.ErrorStreak, interval)
	}

	// The earliest time the server and the feed allow.
	floor := in.Now
	if hintFloor > 0 {
		floor = in.Now.Add(clampInterval(hintFloor, 0, in.MaxInterval))
	}
	if in.ErrorStreak == 0 && in.CacheUntil.After(floor) {
		floor = minTime(in.CacheUntil, in.Now.Add(in.MaxInterval))
	}
	skip := newSkipSet(in.SkipHours, in.SkipDays)

	due, isCron := cronDue(in, floor, wait, skip)
	if isCron {
		interval = due.Sub(in.Now)
	} else {
		due = in.Now.Add(Jitter(in.URL, wait))
		if due.Before(floor) {
			due = floor
		}
		due = skip.next(due, in.URL)
	}
	if due.Before(in.RetryUntil) {
		due = in.RetryUntil
	}
	return Output{NextDue: due, Interval: interval}
}

// cronDue is the due time of a source with a cron expression: its first
// tick after now (at or after now+wait after failures, at or after floor)
// outside skipped hours. false when the source has no usable expression:
// an unparsable one falls back to the interval (the config check reports
// it).
func cronDue(in Input, floor time.Time, wait time.Duration, skip skipSet) (time.Time, bool) {
	expr := strings.TrimSpace(in.Cron)
	if expr == "" {
		return time.Time{}, false
	}
	after, incl := in.Now, false
	if in.ErrorStreak > 0 {
		after, incl = in.Now.Add(wait), true
	}
	if floor.After(after) {
		after, incl = floor, true
	}
	for range maxCronSteps {
		t, err := gronx.NextTickAfter(expr, after, incl)
		if err != nil {
			return time.Time{}, false
		}
		if !skip.skipped(t) {
			return t, true
		}
		after, incl = t, false
	}
	// Every tick for a long while is skipped: take the first allowed hour.
	return skip.next(after, in.URL), true
}

// clampInterval bounds d to [lo, hi]; hi <= 0 means no upper bound.
func clampInterval(d, lo, hi time.Duration) time.Duration {
	if d < lo {
		d = lo
	}
	if hi > 0 && d > hi {
		d = hi
	}
	return d
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Backoff is the wait after streak failures in a row: 1h·2^(streak-1),
// capped at 7 days, never shorter than the normal interval.
func Backoff(streak int, interval time.Duration) time.Duration {
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

// Jitter moves d by up to ±10%, by an amount fixed for each source (a
// hash of its URL), so sources added together do not stay in lockstep and
// tests can compute the result.
func Jitter(seed string, d time.Duration) time.Duration {
	return d + time.Duration(float64(d)*jitterFactor(seed))
}

// jitterFactor is the source's fixed fraction in [-0.1, +0.1].
func jitterFactor(seed string) float64 {
	h := fnv.New64a()
	h.Write([]byte(seed))
	return (float64(h.Sum64()%2001)/1000 - 1) * jitterFraction
}

// RetryAfter parses a Retry-After header (delay-seconds or an HTTP date)
// into an absolute time; zero when absent or unparsable.
func RetryAfter(h http.Header, now time.Time) time.Time {
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

// StoreBackoff is the wait after n fetches in a row whose result the store
// could not record: the source's interval for the first, doubled for each
// further one, at most maxWait (never less than the interval).
func StoreBackoff(n int, interval, maxWait time.Duration) time.Duration {
	if interval <= 0 {
		interval = maxWait
	}
	maxWait = max(maxWait, interval)
	d := interval
	for i := 1; i < n && d < maxWait; i++ {
		d *= 2
	}
	return min(d, maxWait)
}
