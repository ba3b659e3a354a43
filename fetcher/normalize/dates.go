package normalize

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Dates gofeed does not read: ParseDate is the fallback for an item's
// date when gofeed's parse found none, and the correction where gofeed
// gave a zone abbreviation it does not know an offset of zero. It reads,
// leniently:
//
//   - dates with month names in the common feed languages (English,
//     Portuguese, Spanish, French, German, Italian, Dutch, Russian,
//     Greek, Hungarian, Polish, Swedish, Danish, Norwegian, Turkish),
//     with or without a weekday in any of them, the month's full name or
//     any unambiguous start of it ("Seg, 24 Set 2018 19:42:40 -0300",
//     "Κυρ, 11 Ιούλ 2004 12:00:00 EST", "Thu Aug 30 2012 17:26:16 +0200");
//   - numeric dates with the year first ("2006/09/15 08:19:53 EDT", ISO
//     8601 and W3C forms with a two-digit year or a part left out,
//     "2004-július-13T9:15-05:00");
//   - Korean dates ("2004년 05월 28일 01:31:15", "2004-05-25 오후
//     11:23:17"), in Korean time unless they name a zone;
//   - zones as offsets, GMT±hh:mm, Etc/GMT, and the abbreviations of
//     zoneOffsets.
//
// It reads nothing it has to guess at: a day, month or time out of range,
// an unknown word after the date has begun, a month name that could be two
// months, a day/month order it cannot tell.

var errNoDate = errors.New("no date")

// ParseDate reads s as described above, in UTC.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 128 {
		return time.Time{}, errNoDate
	}
	f := fold(s)
	if t, ok := parseNumeric(f); ok {
		return t.UTC(), nil
	}
	if t, ok := parseWords(f); ok {
		return t.UTC(), nil
	}
	return time.Time{}, errNoDate
}

// correctZone returns ParseDate's reading of raw instead of t when t's
// zone is an abbreviation zoneOffsets knows with another offset (gofeed
// reads those it does not know as UTC).
func correctZone(t time.Time, raw string) time.Time {
	f := strings.Fields(strings.ToLower(raw))
	if len(f) == 0 {
		return t
	}
	want, ok := zoneOffsets[f[len(f)-1]]
	if _, off := t.Zone(); !ok || want == off {
		return t
	}
	if fixed, err := ParseDate(raw); err == nil {
		return fixed
	}
	return t
}

// fold lower-cases s and drops its diacritics ("Ιούλ" -> "ιουλ",
// "július" -> "julius").
func fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return norm.NFC.String(b.String()) // Hangul syllables back together
}

// isoDate: the year first, with dashes, the time optional, a zone only
// after a time. The
// month may have three digits ("2003-012-31") or be a month's name.
var isoDate = regexp.MustCompile(`^(\d{4})(?:-(\d{1,3}|\pL+)(?:-(\d{1,2}))?)?` +
	`(?:[t ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?` +
	` ?(z|[+-]\d{2}(?::?\d{2})?)?)?$`)

// Two-digit years: YYMMDD, YY-MM-DD, -YYMM, -YY-MM.
var (
	shortYMD = regexp.MustCompile(`^(\d{2})(-?)(\d{2})(-?)(\d{2})$`)
	shortYM  = regexp.MustCompile(`^-(\d{2})-?(\d{2})$`)
)

// parseNumeric reads the ISO 8601 and W3C forms.
func parseNumeric(s string) (time.Time, bool) {
	if m := shortYMD.FindStringSubmatch(s); m != nil && m[2] == m[4] {
		return dateOf(century(atoi(m[1])), atoi(m[3]), atoi(m[5]), 0, 0, 0, time.UTC)
	}
	if m := shortYM.FindStringSubmatch(s); m != nil {
		return dateOf(century(atoi(m[1])), atoi(m[2]), 1, 0, 0, 0, time.UTC)
	}
	m := isoDate.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, false
	}
	month, day := 1, 1
	if m[2] != "" {
		if month = atoi(m[2]); month < 0 {
			if month = monthOf(m[2]); month == 0 {
				return time.Time{}, false
			}
		}
	}
	if m[3] != "" {
		day = atoi(m[3])
	}
	loc := time.UTC
	if m[7] != "" {
		var ok bool
		if loc, ok = offsetZone(m[7]); !ok {
			return time.Time{}, false
		}
	}
	return dateOf(atoi(m[1]), month, day, max(atoi(m[4]), 0), max(atoi(m[5]), 0), max(atoi(m[6]), 0), loc)
}

// timeOfDay is H:MM or H:MM:SS with an optional fraction.
var timeOfDay = regexp.MustCompile(`^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?$`)

// yearFirst is a year-first numeric date: 2006/09/15, 2004-05-25.
var yearFirst = regexp.MustCompile(`^(\d{4})[/-](\d{1,2})[/-](\d{1,2})$`)

// wordDate collects the parts parseWords found.
type wordDate struct {
	year, month, day     int
	hour, minute, second int
	timeSet, pm, am      bool
	loc                  *time.Location
	begun                bool // a date part was read: unknown words are errors from here on
}

// parseWords reads dates made of words and numbers separated by spaces
// and commas.
func parseWords(s string) (time.Time, bool) {
	d := wordDate{year: -1, month: -1, day: -1}
	korean := strings.ContainsAny(s, "년월일") || strings.Contains(s, "오전") || strings.Contains(s, "오후")
	if korean {
		s = strings.NewReplacer("년", "/", "월", "/", "일", " ", "오전", " am ", "오후", " pm ").Replace(s)
		s = strings.ReplaceAll(s, "/ ", "/")
		d.loc = time.FixedZone("KST", 9*3600)
	}
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
	for _, tok := range fields {
		if !d.take(strings.TrimSuffix(tok, ".")) {
			return time.Time{}, false
		}
	}
	if d.year < 0 || d.month < 0 || d.day < 0 {
		return time.Time{}, false
	}
	switch {
	case d.pm && d.hour >= 1 && d.hour <= 11:
		d.hour += 12
	case d.am && d.hour == 12:
		d.hour = 0
	case (d.pm || d.am) && d.hour > 12:
		return time.Time{}, false
	}
	loc := d.loc
	if loc == nil {
		loc = time.UTC
	}
	return dateOf(d.year, d.month, d.day, d.hour, d.minute, d.second, loc)
}

// take reads one token into d; false when it cannot be read.
func (d *wordDate) take(tok string) bool {
	if tok == "" {
		return true
	}
	if m := timeOfDay.FindStringSubmatch(tok); m != nil {
		if d.timeSet {
			return false
		}
		d.timeSet, d.begun = true, true
		d.hour, d.minute, d.second = atoi(m[1]), atoi(m[2]), max(atoi(m[3]), 0)
		return true
	}
	if m := yearFirst.FindStringSubmatch(tok); m != nil {
		if d.year >= 0 || d.month >= 0 || d.day >= 0 {
			return false
		}
		d.year, d.month, d.day, d.begun = atoi(m[1]), atoi(m[2]), atoi(m[3]), true
		return true
	}
	if n := atoi(tok); n >= 0 {
		switch {
		case len(tok) == 4 && d.year < 0:
			d.year = n
		case len(tok) <= 2 && d.day < 0:
			d.day = n
		case len(tok) == 2 && d.year < 0:
			d.year = century(n)
		default:
			return false
		}
		d.begun = true
		return true
	}
	if loc, ok := zoneOf(tok); ok {
		if d.loc != nil && !strings.HasPrefix(d.loc.String(), "KST") || !d.begun {
			return false
		}
		d.loc = loc
		return true
	}
	switch tok {
	case "am", "a.m":
		d.am = true
		return true
	case "pm", "p.m":
		d.pm = true
		return true
	}
	if m := monthOf(tok); m > 0 && d.month < 0 {
		d.month, d.begun = m, true
		return true
	}
	// A weekday, in any language, before the date begins.
	return !d.begun && isWord(tok)
}

func isWord(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// atoi is s as a non-negative decimal number, -1 when it is not one.
func atoi(s string) int {
	if s == "" || len(s) > 9 {
		return -1
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || s[0] == '+' || s[0] == '-' {
		return -1
	}
	return n
}

// century places a two-digit year: 00–69 in the 2000s, 70–99 in the
// 1900s.
func century(y int) int {
	if y < 70 {
		return 2000 + y
	}
	return 1900 + y
}

// dateOf is the time of these parts in loc, when each is in its range
// (years from 1000: a feed's date is never earlier).
func dateOf(y, mo, d, h, mi, s int, loc *time.Location) (time.Time, bool) {
	if y < 1000 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, s, 0, loc)
	if t.Day() != d {
		return time.Time{}, false // 31 June
	}
	return t, true
}

// offsetZone reads "z", "+hh", "+hhmm" and "+hh:mm".
func offsetZone(s string) (*time.Location, bool) {
	if s == "z" {
		return time.UTC, true
	}
	if len(s) < 3 || s[0] != '+' && s[0] != '-' {
		return nil, false
	}
	digits := strings.ReplaceAll(s[1:], ":", "")
	if len(digits) != 2 && len(digits) != 4 || strings.Count(s, ":") > 1 {
		return nil, false
	}
	h, m := atoi(digits[:2]), 0
	if len(digits) == 4 {
		m = atoi(digits[2:])
	}
	if h < 0 || h > 14 || m < 0 || m > 59 {
		return nil, false
	}
	off := (h*60 + m) * 60
	if s[0] == '-' {
		off = -off
	}
	return time.FixedZone("", off), true
}

// zoneOf reads a zone token: an offset, GMT or UTC with or without one,
// Etc/GMT, or an abbreviation of zoneOffsets.
func zoneOf(tok string) (*time.Location, bool) {
	if off, ok := zoneOffsets[tok]; ok {
		return time.FixedZone(strings.ToUpper(tok), off), true
	}
	for _, p := range []string{"etc/gmt", "gmt", "utc", "ut"} {
		if rest, ok := strings.CutPrefix(tok, p); ok && rest != "" {
			return offsetZone(rest)
		}
	}
	if tok == "etc/gmt" || tok == "etc/utc" {
		return time.UTC, true
	}
	if tok != "" && (tok[0] == '+' || tok[0] == '-') {
		return offsetZone(tok)
	}
	return nil, false
}

// zoneOffsets are the zone abbreviations feeds use, in seconds east of
// UTC (lower case).
var zoneOffsets = map[string]int{
	"z": 0, "ut": 0, "utc": 0, "gmt": 0, "wet": 0,
	"bst": 3600, "cet": 3600, "met": 3600, "mez": 3600, "west": 3600,
	"cest": 2 * 3600, "mest": 2 * 3600, "mesz": 2 * 3600, "eet": 2 * 3600, "sast": 2 * 3600,
	"eest": 3 * 3600, "msk": 3 * 3600,
	"ist": 19800, "jst": 9 * 3600, "kst": 9 * 3600, "hkt": 8 * 3600, "sgt": 8 * 3600, "awst": 8 * 3600,
	"acst": 34200, "aest": 10 * 3600, "aedt": 11 * 3600, "nzst": 12 * 3600, "nzdt": 13 * 3600,
	"at": -4 * 3600, "ast": -4 * 3600, "adt": -3 * 3600, "nst": -12600, "ndt": -9000,
	"et": -5 * 3600, "est": -5 * 3600, "edt": -4 * 3600,
	"ct": -6 * 3600, "cst": -6 * 3600, "cdt": -5 * 3600,
	"mt": -7 * 3600, "mst": -7 * 3600, "mdt": -6 * 3600,
	"pt": -8 * 3600, "pst": -8 * 3600, "pdt": -7 * 3600,
	"akst": -9 * 3600, "akdt": -8 * 3600, "hst": -10 * 3600,
	"brt": -3 * 3600, "art": -3 * 3600,
}

// monthNames are the months' names, folded (see fold), by month: full
// names in the languages listed above, their genitive forms where a date
// uses them, and abbreviations that are not a start of a full name.
var monthNames = [12][]string{
	{"january", "janeiro", "enero", "janvier", "januar", "gennaio", "januari", "январь", "января", "ιανουαριος", "ιανουαριου", "styczen", "stycznia", "ocak"},
	{"february", "fevereiro", "febrero", "fevrier", "februar", "febbraio", "februari", "февраль", "февраля", "φεβρουαριος", "φεβρουαριου", "luty", "lutego", "subat", "şubat"},
	{"march", "marco", "marzo", "mars", "marz", "mrz", "maart", "mrt", "marts", "март", "марта", "μαρτιος", "μαρτιου", "marcius", "marzec", "marca", "mart"},
	{"april", "abril", "avril", "aprile", "апрель", "апреля", "απριλιος", "απριλιου", "aprilis", "kwiecien", "kwietnia", "nisan"},
	{"may", "maio", "mayo", "mai", "maggio", "mei", "maj", "май", "мая", "μαιος", "μαιου", "majus", "maja", "mayıs"},
	{"june", "junho", "junio", "juin", "juni", "giugno", "июнь", "июня", "ιουνιος", "ιουνιου", "junius", "czerwiec", "czerwca", "haziran"},
	{"july", "julho", "julio", "juillet", "juli", "luglio", "июль", "июля", "ιουλιος", "ιουλιου", "julius", "lipiec", "lipca", "temmuz"},
	{"august", "agosto", "aout", "augustus", "augusti", "август", "августа", "αυγουστος", "αυγουστου", "augusztus", "sierpien", "sierpnia", "ağustos", "agustos"},
	{"september", "setembro", "septiembre", "setiembre", "septembre", "settembre", "сентябрь", "сентября", "σεπτεμβριος", "σεπτεμβριου", "szeptember", "wrzesien", "wrzesnia", "eylul"},
	{"october", "outubro", "octubre", "octobre", "oktober", "ottobre", "октябрь", "октября", "οκτωβριος", "οκτωβριου", "oktober", "pazdziernik", "pazdziernika", "ekim"},
	{"november", "novembro", "noviembre", "novembre", "ноябрь", "ноября", "νοεμβριος", "νοεμβριου", "listopad", "listopada", "kasım", "kasim"},
	{"december", "dezembro", "diciembre", "decembre", "dezember", "dicembre", "desember", "декабрь", "декабря", "δεκεμβριος", "δεκεμβριου", "grudzien", "grudnia", "aralık", "aralik"},
}

// monthOf is the month a folded token names: a name of monthNames, or a
// start of at least three letters of names of one month only; 0 when none
// or several.
func monthOf(tok string) int {
	if len([]rune(tok)) < 3 || !isWord(tok) {
		return 0
	}
	found := 0
	for i, names := range monthNames {
		for _, n := range names {
			if strings.HasPrefix(n, tok) {
				if found != 0 && found != i+1 {
					return 0
				}
				found = i + 1
				break
			}
		}
	}
	return found
}
