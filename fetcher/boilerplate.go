package fetcher

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
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

// maxCruftLine is the longest line (in characters) a rule removes: cruft
// is short, and a paragraph of the story that happens to start with
// "Related:" is not.
const maxCruftLine = 300

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

// cruftRule returns the name of the first rule a line matches, or "".
func cruftRule(line string) string {
	if utf8.RuneCountInString(line) > maxCruftLine {
		return ""
	}
	for _, r := range boilerplateRules {
		if r.re.MatchString(line) {
			return r.Name
		}
	}
	return ""
}

// isFeedburnerFlare reports whether n is FeedBurner's "flare" block (share
// links under each item) or one of its links.
func isFeedburnerFlare(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return false
	}
	for _, a := range n.Attr {
		switch a.Key {
		case "class":
			for _, c := range strings.Fields(a.Val) {
				if c == "feedflare" {
					return true
				}
			}
		case "href":
			if strings.Contains(a.Val, "feeds.feedburner.com/~ff/") || strings.Contains(a.Val, "feedproxy.google.com/~ff/") {
				return true
			}
		}
	}
	return false
}
