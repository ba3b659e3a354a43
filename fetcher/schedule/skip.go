package schedule

import (
	"strings"
	"time"
)

// skipSet is an RSS channel's skipHours and skipDays: hours (UTC, 0-23)
// and days in which aggregators should not fetch it. A set that would
// skip every hour or every day is ignored: it would silence the source.
type skipSet struct {
	hours [24]bool
	days  [7]bool
	any   bool
}

// dayNames maps RSS skipDays names (and their usual abbreviations) to
// time.Weekday.
var dayNames = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday,
	"wednesday": time.Wednesday, "thursday": time.Thursday, "friday": time.Friday,
	"saturday": time.Saturday,
	"sun":      time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// newSkipSet builds the set from the hints the feed parser collected; unknown
// names and out-of-range hours are ignored.
func newSkipSet(hours []int, days []string) skipSet {
	var s skipSet
	nh, nd := 0, 0
	for _, h := range hours {
		if h >= 0 && h < 24 && !s.hours[h] {
			s.hours[h] = true
			nh++
		}
	}
	for _, d := range days {
		if wd, ok := dayNames[strings.ToLower(strings.TrimSpace(d))]; ok && !s.days[wd] {
			s.days[wd] = true
			nd++
		}
	}
	if nh == 24 {
		s.hours = [24]bool{}
		nh = 0
	}
	if nd == 7 {
		s.days = [7]bool{}
		nd = 0
	}
	s.any = nh > 0 || nd > 0
	return s
}

// skipped reports whether t falls in a skipped hour or day (UTC).
func (s skipSet) skipped(t time.Time) bool {
	if !s.any {
		return false
	}
	u := t.UTC()
	return s.hours[u.Hour()] || s.days[u.Weekday()]
}

// next is t when it is allowed, else the start of the next allowed hour
// plus a few minutes fixed per source (seed), so that sources with the
// same skip hints do not all come due on the hour.
func (s skipSet) next(t time.Time, seed string) time.Time {
	if !s.skipped(t) {
		return t
	}
	u := t.UTC().Truncate(time.Hour)
	for range 8 * 24 { // at most a week of skipped hours, plus one day
		u = u.Add(time.Hour)
		if !s.skipped(u) {
			spread := time.Duration((jitterFactor(seed) + jitterFraction) / (2 * jitterFraction) * float64(skipSpread))
			return u.Add(spread).In(t.Location())
		}
	}
	return t // unreachable: a set never skips a whole week
}
