package boilerplate

import (
	"strings"
	"testing"
)

func TestCruftRule(t *testing.T) {
	tests := []struct {
		line, want string
	}{
		{"READ MORE: Minister resigns over rail scandal", "read-more"},
		{"Read more »", "read-more"},
		{"See also: the full timeline", "read-more"},
		{"Continue reading...", "read-more"},
		{"DON'T MISS: Ten things you did not know", "dont-miss"},
		{"Don’t miss — our weekend quiz", "dont-miss"},
		{"Related: Storm warnings issued for the coast", "related"},
		{"Related articles", "related"},
		{"You may also like:", "related"},
		{"Sign up for our daily newsletter", "newsletter"},
		{"Subscribe to the Morning Briefing newsletter here", "newsletter"},
		{"Leave a Reply", "comment-form"},
		{"Your email address will not be published. Required fields are marked *", "comment-form"},
		{"Required fields are marked *", "comment-form"},
		{"12 Comments", "comment-form"},
		{"Share on Facebook", "share-buttons"},
		{"Share this:", "share-buttons"},
		{"Facebook Twitter LinkedIn Email", "share-buttons"},
		{"Click to share on Twitter (Opens in new window)", "share-buttons"},
		{"The post Ten tips for spring appeared first on Garden Weekly.", "appeared-first"},
		// Not cruft: story text that merely mentions the words.
		{"Readers were asked to read more carefully before signing.", ""},
		{"Related research suggests the effect is small.", ""},
		{"She said she would not miss the vote.", ""},
		{"The newsletter, which launched in 2019, has 40,000 subscribers and a sign up page.", ""},
		{"Share prices fell on Facebook and Twitter after the report.", ""},
		{"The post office will close early on Friday, officials said.", ""},
		{"Comments from residents were mixed.", ""},
		{"Read more: " + strings.Repeat("a very long paragraph ", 30), ""},
	}
	for _, tt := range tests {
		if got := Match(tt.line); got != tt.want {
			t.Errorf("Match(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}
