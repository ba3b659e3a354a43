package scrape

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"github.com/mmcdole/gofeed"

	"github.com/feedmill/feedmill/fetcher/urlclean"
)

// Selectors are the CSS selectors of the config's `scrape:` key. Item is
// matched on the page, the others inside each item; only Item is
// required.
type Selectors struct {
	Item    string // each item on the page
	Title   string // its text is the title ("" = the link's text)
	Link    string // the first match's href ("" = the title's link)
	Date    string // datetime attribute, else the text
	Summary string // inner HTML
	Content string // inner HTML
}

// ErrNoItems is the error of a page where the item selector matches
// nothing: a page that changed its layout, never an empty success.
var ErrNoItems = errors.New("scrape: item selector matched nothing")

// SelectorError names the key of a selector that does not compile.
type SelectorError struct {
	Key      string // item, title, link, date, summary or content
	Selector string
	Err      error
}

// Error says which selector is bad and why.
func (e *SelectorError) Error() string {
	return fmt.Sprintf("%s: bad CSS selector %q: %v", e.Key, e.Selector, e.Err)
}

// Scraper holds compiled selectors; safe for concurrent use.
type Scraper struct {
	item, title, link, date, summary, content cascadia.Selector // nil = not given
}

// Compile compiles s; an error is a *SelectorError (or says Item is
// missing).
func Compile(s Selectors) (*Scraper, error) {
	if strings.TrimSpace(s.Item) == "" {
		return nil, &SelectorError{Key: "item", Err: errors.New("the item selector is required")}
	}
	sc := &Scraper{}
	for _, f := range []struct {
		key, sel string
		dst      *cascadia.Selector
	}{
		{"item", s.Item, &sc.item}, {"title", s.Title, &sc.title}, {"link", s.Link, &sc.link},
		{"date", s.Date, &sc.date}, {"summary", s.Summary, &sc.summary}, {"content", s.Content, &sc.content},
	} {
		if strings.TrimSpace(f.sel) == "" {
			continue
		}
		m, err := cascadia.Compile(f.sel)
		if err != nil {
			return nil, &SelectorError{Key: f.key, Selector: f.sel, Err: err}
		}
		*f.dst = m
	}
	return sc, nil
}

// Feed builds a feed from the UTF-8 page body fetched at pageURL: its
// title and language from the page, one item per match of the item
// selector. A match without a title or a link is left out; ErrNoItems
// when the item selector matches nothing, an error too when no match
// gives an item.
func (sc *Scraper) Feed(body []byte, pageURL *url.URL) (*gofeed.Feed, error) {
	if !utf8.Valid(body) {
		// The fetcher converts every body to UTF-8 first; this is for
		// other callers.
		body = bytes.ToValidUTF8(body, []byte("\uFFFD"))
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("scrape: %w", err)
	}
	base := pageURL
	if href, ok := doc.Find("base[href]").First().Attr("href"); ok {
		if u, err := pageURL.Parse(strings.TrimSpace(href)); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
			base = u
		}
	}
	feed := &gofeed.Feed{
		Title:    squash(doc.Find("title").First().Text()),
		Link:     pageURL.String(),
		Language: strings.TrimSpace(doc.Find("html").AttrOr("lang", "")),
	}
	matches := doc.FindMatcher(sc.item)
	if matches.Length() == 0 {
		return nil, ErrNoItems
	}
	matches.Each(func(_ int, s *goquery.Selection) {
		if it := sc.item1(s, base); it != nil {
			feed.Items = append(feed.Items, it)
		}
	})
	if len(feed.Items) == 0 {
		return nil, fmt.Errorf("scrape: the item selector matched %d elements, none with a title or a link", matches.Length())
	}
	return feed, nil
}

// item1 builds the item of one match; nil when it has neither title nor
// link.
func (sc *Scraper) item1(s *goquery.Selection, base *url.URL) *gofeed.Item {
	var titleSel *goquery.Selection
	if sc.title != nil {
		titleSel = s.FindMatcher(sc.title).First()
	}
	link := sc.itemLink(s, titleSel, base)
	title := ""
	if titleSel != nil {
		title = squash(titleSel.Text())
	} else if a := linkElement(s, nil); a != nil {
		title = squash(a.Text())
	}
	if title == "" && link == "" {
		return nil
	}
	it := &gofeed.Item{Title: title, Link: link, GUID: link}
	if sc.date != nil {
		d := s.FindMatcher(sc.date).First()
		raw := d.AttrOr("datetime", "")
		if raw == "" {
			raw = d.AttrOr("content", "")
		}
		if raw == "" {
			raw = d.Text()
		}
		if t, ok := ParseDate(raw); ok {
			it.Published = raw
			it.PublishedParsed = &t
		}
	}
	it.Description = innerHTML(s, sc.summary)
	it.Content = innerHTML(s, sc.content)
	return it
}

// itemLink is the item's canonical link: the href of the link selector's
// first match, else of the title's link (the title itself, an <a> inside
// it or around it), else of the item's first link.
func (sc *Scraper) itemLink(s, titleSel *goquery.Selection, base *url.URL) string {
	var href string
	if sc.link != nil {
		l := s.FindMatcher(sc.link).First()
		href = l.AttrOr("href", "")
		if href == "" {
			href = l.Find("a[href]").First().AttrOr("href", "")
		}
	} else if a := linkElement(s, titleSel); a != nil {
		href = a.AttrOr("href", "")
	}
	if strings.TrimSpace(href) == "" {
		return ""
	}
	u, err := urlclean.Canonical(href, base)
	if err != nil || !urlclean.IsHTTP(u) {
		return ""
	}
	return u
}

// linkElement finds the <a href> that stands for an item: the title when
// it is one, inside it, around it; else the item itself or its first.
func linkElement(item, title *goquery.Selection) *goquery.Selection {
	var cands []*goquery.Selection
	if title != nil && title.Length() > 0 {
		cands = append(cands, title.Filter("a[href]"), title.Find("a[href]"), title.ParentsFiltered("a[href]"))
	}
	cands = append(cands, item.Filter("a[href]"), item.Find("a[href]"))
	for _, c := range cands {
		if c.Length() > 0 {
			return c.First()
		}
	}
	return nil
}

// innerHTML is the inner HTML of m's first match in s ("" for nil m or
// no match).
func innerHTML(s *goquery.Selection, m cascadia.Selector) string {
	if m == nil {
		return ""
	}
	sel := s.FindMatcher(m).First()
	if sel.Length() == 0 {
		return ""
	}
	h, err := sel.Html()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(h)
}

// squash trims s and makes every run of white space one space.
func squash(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// dateLayouts are the forms ParseDate tries, most common on pages first.
var dateLayouts = []string{
	time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04Z07:00", "2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02",
	time.RFC1123Z, time.RFC1123, "Mon, 2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 MST", "2 Jan 2006 15:04:05 -0700",
	time.RFC850, time.ANSIC, time.UnixDate,
	"January 2, 2006 3:04 PM", "January 2, 2006 15:04", "January 2, 2006", "Jan 2, 2006 3:04 PM", "Jan 2, 2006", "Jan. 2, 2006",
	"Monday, January 2, 2006", "Mon, Jan 2, 2006", "2 January 2006 15:04", "2 January 2006", "2 Jan 2006 15:04", "2 Jan 2006",
	"Monday 2 January 2006", "January 2006", "02.01.2006 15:04", "02.01.2006", "2.1.2006", "2006/01/02 15:04", "2006/01/02",
	"01/02/2006", "20060102",
}

// ParseDate reads a date as pages write it, leniently: the forms of
// dateLayouts, after dropping a leading word such as "Posted on" or
// "Published:", commas and ordinal suffixes ("1st", "22nd"). A date
// without a zone is UTC. ok is false when no form fits.
func ParseDate(raw string) (time.Time, bool) {
	s := squash(raw)
	if s == "" {
		return time.Time{}, false
	}
	for _, try := range dateCandidates(s) {
		for _, layout := range dateLayouts {
			if t, err := time.Parse(layout, try); err == nil {
				return t.UTC(), true
			}
		}
	}
	return time.Time{}, false
}

// dateCandidates are s and s without what pages put around a date.
func dateCandidates(s string) []string {
	out := []string{s}
	for _, p := range []string{"posted on ", "published on ", "published: ", "updated: ", "updated on ", "posted ", "published ", "on "} {
		if len(s) > len(p) && strings.EqualFold(s[:len(p)], p) {
			s = s[len(p):]
			out = append(out, s)
			break
		}
	}
	if t := stripOrdinals(s); t != s {
		out = append(out, t)
	}
	return out
}

// stripOrdinals turns "March 1st, 2025" into "March 1, 2025".
func stripOrdinals(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		core := strings.TrimRight(w, ",")
		for _, suf := range []string{"st", "nd", "rd", "th"} {
			if n := strings.TrimSuffix(core, suf); n != core && n != "" && strings.Trim(n, "0123456789") == "" {
				words[i] = n + w[len(core):]
			}
		}
	}
	return strings.Join(words, " ")
}
