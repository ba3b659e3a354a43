package normalize

import (
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/feedmill/feedmill/fetcher/internal/testfeeds"
	"github.com/feedmill/feedmill/fetcher/parse"
	"github.com/feedmill/feedmill/fetcher/sanitize"
)

var testNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// cleanedBody is cleanBody's HTML.
func cleanedBody(s string, base *url.URL, rules *[]string) string {
	out, _ := cleanBody(s, base, rules)
	return out
}

// checkSanitized fails when the sanitizer would change out again: what
// cleanBody returns is the policy's own output.
func checkSanitized(t *testing.T, in, out string) {
	t.Helper()
	if again := sanitize.HTML(out); again != out {
		t.Errorf("the sanitizer changes the cleaned output again\n  in: %q\n out: %q\nthen: %q", in, out, again)
	}
}

// parseFeed is parse.Feed with the default options.
func parseFeed(body []byte) (*gofeed.Feed, parse.Hints, error) {
	return parse.Feed(body, parse.Options{})
}

// edgeFile is a file of the shared edge-case feeds.
func edgeFile(t *testing.T, name string) string {
	return filepath.Join(testfeeds.Dir(t), "edge", name)
}
