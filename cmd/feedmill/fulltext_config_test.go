package main

import (
	"strings"
	"testing"

	"github.com/feedmill/feedmill/fetcher"
)

func TestFullTextConfig(t *testing.T) {
	bad := []struct{ yaml, want string }{
		{"fetch:\n  full_text: sometimes\n", "fetch.full_text (line 2): want never, auto or always"},
		{"sources:\n  - url: https://a.example/feed\n    full_text: yes\n", "sources[0].full_text (line 3): want never, auto or always"},
		{"sources:\n  - url: https://a.example/feed\n    content_selector: \"article[\"\n", "sources[0].content_selector (line 3): content selector \"article[\""},
	}
	for _, tt := range bad {
		_, err := loadConfig(writeConfig(t, tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("config:\n%s\nerror %v, want %q", tt.yaml, err, tt.want)
		}
	}

	c, err := loadConfig(writeConfig(t, `fetch:
  full_text: auto
sources:
  - url: https://a.example/feed
  - url: https://b.example/feed
    full_text: always
    content_selector: "article .story-body"
  - url: https://c.example/feed
    full_text: never
`))
	if err != nil {
		t.Fatal(err)
	}
	o := c.fetcherOptions().FullText
	if o.Default.Mode != fetcher.FullTextAuto {
		t.Errorf("default mode %q", o.Default.Mode)
	}
	if r := o.BySource["https://b.example/feed"]; r.Mode != fetcher.FullTextAlways || r.Selector.String() != "article .story-body" {
		t.Errorf("b: %+v", r)
	}
	if r := o.BySource["https://c.example/feed"]; r.Mode != fetcher.FullTextNever {
		t.Errorf("c: %+v", r)
	}
	if _, ok := o.BySource["https://a.example/feed"]; ok {
		t.Error("a has a rule of its own")
	}
}
