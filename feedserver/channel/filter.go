package channel

import (
	"fmt"
	"html"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/feedmill/feedmill/storage"
)

// A matcher is one compiled include/exclude entry.
type matcher struct {
	src   string // the entry as written, for explanations
	field string // "" = title, text and categories; else one of matchFields
	re    *regexp.Regexp
}

// matchFields are the field prefixes an include/exclude entry may start
// with ("title:/^Live/", "category:Sport", "link:example.com/sponsored").
var matchFields = []string{"title", "content", "author", "category", "link"}

// fieldPrefix splits a known "field:" prefix off an entry.
func fieldPrefix(e string) (field, rest string) {
	for _, f := range matchFields {
		if len(e) > len(f) && strings.EqualFold(e[:len(f)], f) && e[len(f)] == ':' {
			return f, strings.TrimSpace(e[len(f)+1:])
		}
	}
	return "", e
}

// compileMatcher compiles one include/exclude entry:
//
//   - /regex/: a Go regular expression, always case-insensitive;
//   - "quoted phrase": the phrase, literally;
//   - anything else: a word or phrase (runs of spaces match any white space).
//
// Phrases match case-insensitively on word boundaries: "war" matches
// "War!" but not "software". A boundary is only required where the phrase
// begins or ends with a letter, digit or underscore, so ".net" matches
// "asp.net".
//
// An entry may start with a field prefix (title:, content:, author:,
// category:, link:): it then looks at that field only. content: is the
// plain text of summary and content; category: each category alone.
func compileMatcher(entry string) (matcher, error) {
	field, e := fieldPrefix(strings.TrimSpace(entry))
	m, err := compilePattern(e, entry)
	m.field = field
	return m, err
}

// compilePattern compiles the pattern part of an entry.
func compilePattern(e, entry string) (matcher, error) {
	switch {
	case len(e) >= 2 && e[0] == '/' && e[len(e)-1] == '/':
		expr := e[1 : len(e)-1]
		if expr == "" {
			return matcher{}, fmt.Errorf("empty regex %s", e)
		}
		re, err := regexp.Compile("(?i)" + expr)
		if err != nil {
			return matcher{}, fmt.Errorf("bad regex %s: %w", e, err)
		}
		return matcher{src: entry, re: re}, nil
	case len(e) >= 2 && e[0] == '"' && e[len(e)-1] == '"':
		e = e[1 : len(e)-1]
		if strings.TrimSpace(e) == "" {
			return matcher{}, fmt.Errorf("empty phrase %s", entry)
		}
	case e == "":
		return matcher{}, fmt.Errorf("empty entry")
	default:
		e = strings.Join(strings.Fields(e), " ")
	}
	return matcher{src: entry, re: regexp.MustCompile(phraseRegexp(e))}, nil
}

// phraseRegexp builds a case-insensitive, word-bounded pattern for a
// literal phrase. RE2's \b is ASCII-only, so boundaries are spelled out
// with Unicode classes.
func phraseRegexp(phrase string) string {
	const word = `\pL\pN\pM_`
	var b strings.Builder
	b.WriteString("(?i)")
	first, _ := utf8.DecodeRuneInString(phrase)
	if isWordRune(first) {
		b.WriteString(`(?:^|[^` + word + `])`)
	}
	for i, part := range strings.Split(phrase, " ") {
		if i > 0 {
			b.WriteString(`\s+`)
		}
		b.WriteString(regexp.QuoteMeta(part))
	}
	last, _ := utf8.DecodeLastRuneInString(phrase)
	if isWordRune(last) {
		b.WriteString(`(?:$|[^` + word + `])`)
	}
	return b.String()
}

func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsNumber(r) || unicode.IsMark(r)
}

func compileMatchers(entries []string) ([]matcher, []error) {
	var ms []matcher
	var errs []error
	for i, e := range entries {
		m, err := compileMatcher(e)
		if err != nil {
			errs = append(errs, fmt.Errorf("[%d]: %w", i, err))
			continue
		}
		ms = append(ms, m)
	}
	return ms, errs
}

// compileStrip compiles a strip entry: /regex/ (multi-line, case-insensitive)
// or a literal text.
func compileStrip(entry string) (*regexp.Regexp, error) {
	e := strings.TrimSpace(entry)
	if len(e) >= 2 && e[0] == '/' && e[len(e)-1] == '/' {
		if len(e) == 2 {
			return nil, fmt.Errorf("empty regex %s", e)
		}
		re, err := regexp.Compile("(?im)" + e[1:len(e)-1])
		if err != nil {
			return nil, fmt.Errorf("bad regex %s: %w", e, err)
		}
		return re, nil
	}
	if e == "" {
		return nil, fmt.Errorf("empty entry")
	}
	return regexp.MustCompile(regexp.QuoteMeta(e)), nil
}

// fieldText is what a matcher with a field prefix looks at.
func fieldText(field string, it *storage.Item) []string {
	switch field {
	case "title":
		return []string{it.Title}
	case "content":
		return []string{PlainText(it.Summary) + "\n" + PlainText(it.Content)}
	case "author":
		return []string{it.Author}
	case "category":
		return it.Categories
	case "link":
		return []string{it.Link}
	}
	return []string{matchText(it)}
}

// matchText is what include/exclude look at: the title, the plain text of
// the summary and the content, and the categories, one per line.
func matchText(it *storage.Item) string {
	var b strings.Builder
	b.WriteString(it.Title)
	b.WriteByte('\n')
	b.WriteString(PlainText(it.Summary))
	b.WriteByte('\n')
	b.WriteString(PlainText(it.Content))
	for _, c := range it.Categories {
		b.WriteByte('\n')
		b.WriteString(c)
	}
	return b.String()
}

// PlainText drops the tags of an HTML fragment (each becomes a space, so
// words in adjacent elements do not merge), the contents of script and style
// elements, and decodes entities.
func PlainText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for len(s) > 0 {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		s = s[i:]
		end := strings.IndexByte(s, '>')
		if end < 0 {
			// A lone "<" is text.
			b.WriteString(s)
			break
		}
		tag := strings.ToLower(s[1:end])
		s = s[end+1:]
		if !inlineTags[tagName(tag)] {
			b.WriteByte(' ')
		}
		for _, skip := range []string{"script", "style"} {
			if tag == skip || strings.HasPrefix(tag, skip+" ") {
				if j := strings.Index(strings.ToLower(s), "</"+skip); j >= 0 {
					s = s[j:]
				} else {
					s = ""
				}
			}
		}
	}
	return html.UnescapeString(b.String())
}

// inlineTags do not separate words: "soft<b>ware</b>" is one word.
var inlineTags = map[string]bool{
	"a": true, "abbr": true, "b": true, "bdi": true, "bdo": true, "cite": true, "code": true,
	"data": true, "dfn": true, "em": true, "i": true, "kbd": true, "mark": true, "q": true,
	"s": true, "samp": true, "small": true, "span": true, "strong": true, "sub": true,
	"sup": true, "time": true, "u": true, "var": true,
}

// tagName is the element name of a tag's inside ("/b", "a href=..").
func tagName(tag string) string {
	tag = strings.TrimPrefix(tag, "/")
	if i := strings.IndexAny(tag, " \t\n\r/"); i >= 0 {
		tag = tag[:i]
	}
	return tag
}

// matchAny returns the first matcher that matches the item. The item's
// texts are computed once per field.
func matchAny(ms []matcher, it *storage.Item) (matcher, bool) {
	texts := map[string][]string{}
	for _, m := range ms {
		t, ok := texts[m.field]
		if !ok {
			t = fieldText(m.field, it)
			texts[m.field] = t
		}
		for _, s := range t {
			if m.re.MatchString(s) {
				return m, true
			}
		}
	}
	return matcher{}, false
}
