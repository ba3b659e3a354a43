package fulltext

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mmcdole/gofeed"
)

const realworld = "../../../shared/testdata/feeds/realworld"

// TestTeaserRuleOnCaptures: the full-text captures have no teaser (so
// full_text: auto fetches no page for them), the teaser captures are all
// teasers.
func TestTeaserRuleOnCaptures(t *testing.T) {
	tests := []struct {
		file   string
		teaser bool
	}{
		{"content-encoded.rss", false},
		{"customfields.rss", false},
		{"many-links.rss", false},
		{"feedburner.atom", false},
		{"guardian.rss", true},
		{"heise.atom", true},
		{"craigslist.rss", true},
		{"reddit-atom.rss", true},
	}
	for _, tt := range tests {
		b, err := os.ReadFile(filepath.Join(realworld, tt.file))
		if err != nil {
			t.Skipf("captures not available: %v", err)
		}
		feed, err := gofeed.NewParser().ParseString(string(b))
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		n := 0
		for _, it := range feed.Items {
			body := it.Content
			if body == "" {
				body = it.Description
			}
			is, why := IsTeaser(body, it.Link)
			if is != tt.teaser {
				t.Errorf("%s: %q: teaser = %v (%s), want %v", tt.file, it.Title, is, why, tt.teaser)
			}
			n++
		}
		if n == 0 {
			t.Errorf("%s: no items", tt.file)
		}
	}
}

func TestIsTeaser(t *testing.T) {
	long := ""
	for range 120 {
		long += "word "
	}
	tests := []struct {
		name, body string
		want       bool
	}{
		{"short", "<p>Two sentences. Of teaser.</p>", true},
		{"empty", "", true},
		{"own link", "<p>" + long + ` <a href="https://www.example.org/story/1/">Continue reading...</a></p>`, true},
		{"other link", "<p>" + long + ` <a href="https://example.org/other">more</a></p>`, false},
		{"cut off", "<p>" + long + "[…]</p>", true},
		{"story", "<p>" + long + long + "</p>", false},
	}
	for _, tt := range tests {
		if got, why := IsTeaser(tt.body, "https://example.org/story/1"); got != tt.want {
			t.Errorf("%s: IsTeaser = %v (%s), want %v", tt.name, got, why, tt.want)
		}
	}
}
