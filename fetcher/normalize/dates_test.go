package normalize

import (
	"bufio"
	"encoding/json"
	"html"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
)

const datesTSV = "../../../shared/testdata/feeds/feedparser/dates.tsv"

// readDate is how an item's date is read: gofeed's parse, else ParseDate.
func readDate(t *testing.T, s string) (time.Time, bool) {
	t.Helper()
	doc := `<rss version="2.0"><channel><title>t</title><item><title>i</title><pubDate>` +
		html.EscapeString(s) + `</pubDate></item></channel></rss>`
	feed, err := gofeed.NewParser().ParseString(doc)
	if err != nil || len(feed.Items) != 1 {
		t.Fatalf("%q: %v", s, err)
	}
	d := parsedDate(feed.Items[0].PublishedParsed, feed.Items[0].Published)
	return d, !d.IsZero()
}

// unread are the cases of dates.tsv left unread on purpose: an ordinal
// date with a two-digit year (YYDDD) cannot be told from the W3C cases
// that must not read ("22013").
var unread = map[string]bool{"03335": true}

// TestDatesTSV reads every case of the Universal Feed Parser's date
// tests: a value where it expects one, none where it expects none.
func TestDatesTSV(t *testing.T) {
	f, err := os.Open(datesTSV)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	n := 0
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 3 {
			continue
		}
		var in string
		if err := json.Unmarshal([]byte(cols[1]), &in); err != nil {
			t.Fatalf("%s: %v", cols[1], err)
		}
		var want []int
		if cols[2] != "null" {
			if err := json.Unmarshal([]byte(cols[2]), &want); err != nil {
				t.Fatalf("%s: %v", cols[2], err)
			}
		}
		n++
		if unread[in] {
			continue
		}
		got, ok := readDate(t, in)
		switch {
		case want == nil && ok:
			t.Errorf("%s %q: got %v, want no date", cols[0], in, got)
		case want != nil && !ok:
			t.Errorf("%s %q: no date, want %v", cols[0], in, want)
		case want != nil:
			w := time.Date(want[0], time.Month(want[1]), want[2], want[3], want[4], want[5], 0, time.UTC)
			if !got.Truncate(time.Second).Equal(w) {
				t.Errorf("%s %q: got %v, want %v", cols[0], in, got.UTC(), w)
			}
		}
	}
	if n < 60 {
		t.Fatalf("read %d cases", n)
	}
}

// TestParseDateLanguages reads month and weekday names of the common feed
// languages, and refuses what it would have to guess.
func TestParseDateLanguages(t *testing.T) {
	want := time.Date(2018, 9, 24, 22, 42, 40, 0, time.UTC)
	for _, s := range []string{
		"Seg, 24 Set 2018 19:42:40 -0300",         // pt (UOL)
		"lun, 24 sep 2018 19:42:40 -0300",         // es
		"lundi, 24 septembre 2018 19:42:40 -0300", // fr
		"Mo, 24 Sept. 2018 23:42:40 +0100",        // de
		"lun, 24 settembre 2018 19:42:40 -0300",   // it
		"ma, 24 sep 2018 19:42:40 -0300",          // nl
		"Пн, 24 сентября 2018 19:42:40 -0300",     // ru
	} {
		got, err := ParseDate(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{
		"", "24 zzz 2018", "Seg, 24 Set 2018 25:00:00", "31 juin 2018", "24 ju 2018", "24 Set 2018 10:00 +99:00",
		"24/09/2018", "Seg 24 Set 2018 10:00:00 xyz",
	} {
		if got, err := ParseDate(s); err == nil {
			t.Errorf("ParseDate(%q) = %v, want an error", s, got)
		}
	}
}

// FuzzParseDate: no input panics, and a date read is one a time can hold
// in UTC.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"Seg, 24 Set 2018 19:42:40 -0300", "2004년 05월 28일  01:31:15", "2004-05-25 오후 11:23:17",
		"2003-012-31T10:14:55+00:00", "Κυρ, 11 Ιούλ 2004 12:00:00 EST", "-03-12", "GMT-01:01", "31 juin 2018", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err == nil && (d.IsZero() || d.Location() != time.UTC) {
			t.Errorf("ParseDate(%q) = %v", s, d)
		}
	})
}
