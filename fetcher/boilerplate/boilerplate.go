package boilerplate

import (
	"regexp"
	"regexp/syntax"
	"unicode"
	"unicode/utf8"
)

// A boilerplateRule removes news cruft: a line or block of an item's body
// (see internal/htmlblock for what a line is) whose whole text it matches.
// Rules run at ingest, before the fingerprint is computed, so cruft never
// hides a duplicate; their names are recorded in Item.Cleaned for
// `feedmill explain`.
type boilerplateRule struct {
	Name string
	re   *regexp.Regexp // matched against the line's text, white space collapsed
}

// ruleFirst holds, for each of boilerplateRules, the ASCII bytes a
// matching line can start with (derived from its pattern by ruleStarts):
// most lines fail this test, which costs a lookup instead of a regexp run.
var ruleFirst = func() []firstBytes {
	out := make([]firstBytes, len(boilerplateRules))
	for i, r := range boilerplateRules {
		out[i] = ruleStarts(r.re.String())
	}
	return out
}()

// firstBytes is the set of ASCII bytes a match can start with; any means
// the set is unknown or includes every byte.
type firstBytes struct {
	any   bool
	ascii [utf8.RuneSelf]bool
}

// mayStart reports whether a line starting with the byte c can match.
// Non-ASCII starts are always tried.
func (f *firstBytes) mayStart(c byte) bool {
	return f.any || c >= utf8.RuneSelf || f.ascii[c]
}

// MaxLine is the longest line (in characters) a rule removes: cruft
// is short, and a paragraph of the story that happens to start with
// "Related:" is not.
const MaxLine = 300

// boilerplateRules are the built-in rules, in the order they are tried.
// Patterns are case-insensitive and anchored at the line's start, so they
// only ever take whole lines that ARE cruft. Each is anchored as a whole,
// ^(?:a|b): Go's regexp does not treat ^a|^b as anchored and would retry
// it at every position of every line (90x slower, measured).
var boilerplateRules = []boilerplateRule{
	{"read-more", regexp.MustCompile(`(?i)^(?:(?:read|see)\s+(?:more|also|next)\s*(?:[:：»›>|–—-]|$)|(?:continue|keep)\s+reading\b|read\s+the\s+(?:full|whole|rest\s+of\s+the)\s+(?:story|article|post)\b|click\s+here\s+to\s+read\b)`)},
	{"dont-miss", regexp.MustCompile(`(?i)^(?:(?:don['’]?t|do\s+not)\s+miss\s*(?:[:：»›|–—-]|$)|most\s+read\s*[:：–—-]|trending\s*(?:now)?\s*[:：–—-]|watch\s*(?:now|more)?\s*[:：]\s*)`)},
	{"related", regexp.MustCompile(`(?i)^(?:related(?:\s+(?:articles?|stories|story|content|coverage|reading|posts?|links?))?|more\s+on\s+this(?:\s+story)?|recommended(?:\s+for\s+you)?|you\s+(?:may|might)\s+also\s+(?:like|be\s+interested\s+in)|also\s+read|further\s+reading)\s*(?:[:：»›|–—-]|$)`)},
	{"newsletter", regexp.MustCompile(`(?i)^(?:(?:sign\s+up|subscribe|register)\b.{0,120}\bnewsletters?\b|get\s+(?:our|the)\b.{0,60}\bnewsletter\b|newsletters?\s*[:：–—-]\s*sign\s+up)`)},
	{"comment-form", regexp.MustCompile(`(?i)^(?:leave\s+a\s+(?:reply|comment)|post\s+a\s+comment|add\s+(?:a\s+)?comment|your\s+email\s+address\s+will\s+not\s+be\s+published|required\s+fields\s+are\s+marked|(?:\d+|no)\s+comments?\s*(?:so\s+far)?\s*\.?$|comments?\s*\(\d+\)$|view\s+comments?$|join\s+the\s+(?:conversation|discussion)\b)`)},
	{"share-buttons", regexp.MustCompile(`(?i)^(?:share\s+(?:this(?:\s+(?:article|story|post|page))?\s*[:：]?\s*$|(?:this\s+(?:article|story|post)\s+)?(?:on|via|to|with)\s+(?:facebook|twitter|x|linkedin|whatsapp|e-?mail|reddit|pinterest|telegram|bluesky|mastodon))|click\s+to\s+(?:share|email|print)\b|tweet\s+this\b|(?:(?:share|facebook|twitter|x|linkedin|whatsapp|e-?mail|reddit|pinterest|telegram|print|copy\s+link|tweet|flipboard)(?:\s*[|,·•/]\s*|\s+|$)){2,}$)`)},
	{"appeared-first", regexp.MustCompile(`(?i)^the\s+post\s+.+\s+appeared\s+first\s+on\s+.+$`)},
}

// Match returns the name of the first rule a line matches, or "".
func Match(line string) string {
	if utf8.RuneCountInString(line) > MaxLine {
		return ""
	}
	if line == "" {
		return ""
	}
	for i := range boilerplateRules {
		r := &boilerplateRules[i]
		if ruleFirst[i].mayStart(line[0]) && mayStartWith(i, []byte(line[:min(len(line), PrefixLen)])) && r.re.MatchString(line) {
			return r.Name
		}
	}
	return ""
}

// MatchBytes is Match for the cleaning pass's line buffer, which
// is known to hold at most MaxLine characters.
func MatchBytes(line []byte) string {
	if len(line) == 0 {
		return ""
	}
	for i := range boilerplateRules {
		r := &boilerplateRules[i]
		if ruleFirst[i].mayStart(line[0]) && mayStartWith(i, line) && r.re.Match(line) {
			return r.Name
		}
	}
	return ""
}

// ruleStarts returns the ASCII bytes a match of the pattern expr, which
// must be anchored at the start of the text (all rules are), can begin
// with. Anything it does not understand widens the set to every byte, so
// the filter may let a line through for nothing but never skips a match.
func ruleStarts(expr string) firstBytes {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil || !anchored(re) {
		return firstBytes{any: true}
	}
	var f firstBytes
	if nullable := addStarts(&f, re); nullable {
		f.any = true
	}
	return f
}

// anchored reports whether every match of re starts at the start of the
// text (a rule added without ^ must not be filtered by its first bytes).
func anchored(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpBeginText:
		return true
	case syntax.OpConcat, syntax.OpCapture:
		return len(re.Sub) > 0 && anchored(re.Sub[0])
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			if !anchored(sub) {
				return false
			}
		}
		return true
	}
	return false
}

// addStarts adds the bytes a match of re can start with to f and reports
// whether re can match the empty string (then what follows it can start
// the match too).
func addStarts(f *firstBytes, re *syntax.Regexp) (nullable bool) {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	case syntax.OpLiteral:
		if len(re.Rune) == 0 {
			return true
		}
		r := re.Rune[0]
		addRune(f, r)
		if re.Flags&syntax.FoldCase != 0 {
			for c := unicode.SimpleFold(r); c != r; c = unicode.SimpleFold(c) {
				addRune(f, c)
			}
		}
		return false
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for c := re.Rune[i]; c <= re.Rune[i+1] && c < utf8.RuneSelf; c++ {
				f.ascii[c] = true
			}
		}
		return false
	case syntax.OpCapture:
		return addStarts(f, re.Sub[0])
	case syntax.OpStar, syntax.OpQuest:
		addStarts(f, re.Sub[0])
		return true
	case syntax.OpPlus:
		return addStarts(f, re.Sub[0])
	case syntax.OpRepeat:
		n := addStarts(f, re.Sub[0])
		return n || re.Min == 0
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if !addStarts(f, sub) {
				return false
			}
		}
		return true
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			if addStarts(f, sub) {
				nullable = true
			}
		}
		return nullable
	}
	f.any = true // OpAnyChar, OpAnyCharNotNL, anything new
	return false
}

func addRune(f *firstBytes, r rune) {
	if r >= 0 && r < utf8.RuneSelf {
		f.ascii[r] = true
	}
}
