package normalize

import (
	"net/url"

	"github.com/feedmill/feedmill/fetcher/fingerprint"
)

// Story is an article page's story made ready for storage like every
// other body.
type Story struct {
	Content     string
	Fingerprint uint64
	Lead        []uint32
	Cleaned     []string // the rules that changed it
}

// CleanStory cleans the story extracted from an item's page (the page's
// final URL is page) the way item bodies are cleaned (item.go):
// boilerplate, pixels and foreign iframes out, URLs absolute against the
// page and canonical, sanitize.HTML last; then the fingerprint with the
// item's title.
func CleanStory(title, storyHTML string, page *url.URL) Story {
	var s Story
	s.Content, _ = cleanBody(Text(storyHTML), page, &s.Cleaned)
	s.Fingerprint, s.Lead = fingerprint.Of(title, s.Content)
	return s
}
