package boilerplate

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// cruftRuleSlow is cruftRule without the first-byte filter: the reference
// the filter must agree with.
func cruftRuleSlow(line string) string {
	if utf8.RuneCountInString(line) > MaxLine {
		return ""
	}
	for _, r := range boilerplateRules {
		if r.re.MatchString(line) {
			return r.Name
		}
	}
	return ""
}

// cruftLines are lines that match (or nearly match) the built-in rules.
var cruftLines = []string{
	"READ MORE: Minister resigns", "read more", "See also: x", "Continue reading...", "keep reading",
	"Read the full story", "Click here to read", "DON'T MISS: quiz", "Don’t miss — quiz", "dont miss",
	"Do not miss:", "Most read: x", "Trending now: x", "Watch: x", "watch now: x", "Related: x",
	"Related articles", "More on this story", "Recommended for you", "You may also like:",
	"Also read:", "Further reading", "Sign up for our daily newsletter", "Subscribe to the newsletter",
	"Register for our newsletters", "Get our free newsletter", "Newsletter: sign up", "Leave a Reply",
	"Post a comment", "Add comment", "Your email address will not be published.",
	"Required fields are marked *", "12 Comments", "No comments so far.", "Comments (3)",
	"View comments", "Join the conversation", "Share this:", "Share on Facebook", "share via e-mail",
	"Click to share on Twitter", "Click to print", "Tweet this", "Facebook Twitter LinkedIn Email",
	"X | Reddit", "Email Print", "WhatsApp Telegram", "Pinterest, Flipboard", "Copy link Tweet",
	"The post Ten tips appeared first on Garden Weekly.", "Readers were asked to read more.",
	"Zebra crossing", "ſhare this:", "Kelvin", "\u212Aeep reading", "«Read more»", "1 comment",
}

func TestRuleStartsNeverSkipAMatch(t *testing.T) {
	for _, l := range cruftLines {
		for _, line := range []string{l, strings.ToLower(l), strings.ToUpper(l)} {
			if got, want := Match(line), cruftRuleSlow(line); got != want {
				t.Errorf("Match(%q) = %q, without the filter %q", line, got, want)
			}
			for i, r := range boilerplateRules {
				if r.re.MatchString(line) && !ruleFirst[i].mayStart(line[0]) {
					t.Errorf("rule %s matches %q but its filter skips %q", r.Name, line, line[0])
				}
			}
		}
	}
	// The filter does filter: no rule starts with 'z' or 'b'.
	for i, r := range boilerplateRules {
		for _, c := range []byte("zZbB") {
			if ruleFirst[i].mayStart(c) {
				t.Errorf("rule %s: filter lets %q through", r.Name, c)
			}
		}
	}
}

func TestRuleStarts(t *testing.T) {
	tests := []struct {
		expr      string
		yes, no   string
		unbounded bool
	}{
		{expr: `(?i)^the\s+post`, yes: "tT", no: "ahP"},
		{expr: `^(?:a|b*c|(?:d)+e)`, yes: "abcd", no: "eA"},
		{expr: `^[x-z]\d`, yes: "xyz", no: "aw0"},
		{expr: `^(?:\d+|no)\s`, yes: "09n", no: "Na"},
		{expr: `^x?`, unbounded: true},
		{expr: `^.a`, unbounded: true},
		{expr: `^(?:a{0,2})b`, yes: "ab", no: "c"},
		{expr: `(`, unbounded: true},
		{expr: `(?i)foo`, unbounded: true},             // not anchored: a match may start anywhere
		{expr: `(?i)^a|b`, unbounded: true},            // only one branch anchored
		{expr: `(?i)(?:^a|^b)c`, yes: "aAbB", no: "c"}, // every branch anchored
	}
	for _, tt := range tests {
		f := ruleStarts(tt.expr)
		if f.any != tt.unbounded {
			t.Errorf("ruleStarts(%q).any = %v", tt.expr, f.any)
		}
		for _, c := range []byte(tt.yes) {
			if !f.mayStart(c) {
				t.Errorf("ruleStarts(%q) skips %q", tt.expr, c)
			}
		}
		for _, c := range []byte(tt.no) {
			if f.mayStart(c) {
				t.Errorf("ruleStarts(%q) lets %q through", tt.expr, c)
			}
		}
		if !f.mayStart(0xC3) {
			t.Errorf("ruleStarts(%q) skips a non-ASCII start", tt.expr)
		}
	}
}

// FuzzCruftRule: the first-byte filter never changes cruftRule's answer.
func FuzzCruftRule(f *testing.F) {
	for _, l := range cruftLines {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if got, want := Match(line), cruftRuleSlow(line); got != want {
			t.Errorf("Match(%q) = %q, without the filter %q", line, got, want)
		}
	})
}
