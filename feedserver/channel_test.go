package feedserver

import (
	"strings"
	"testing"
	"time"
)

func TestNewValidation(t *testing.T) {
	tests := []struct {
		name  string
		chans []Channel
		want  []string // substrings of the error; none = no error
	}{
		{"ok", []Channel{{Name: "world"}, {Name: "tech.news_2-x"}}, nil},
		{"bad slug", []Channel{{Name: "World"}}, []string{`channel "World": name:`}},
		{"empty name", []Channel{{Name: ""}}, []string{`channel "": name:`}},
		{"slash", []Channel{{Name: "a/b"}}, []string{`channel "a/b": name:`}},
		{"feed suffix", []Channel{{Name: "x.rss"}}, []string{`channel "x.rss": name:`}},
		{"duplicate", []Channel{{Name: "a"}, {Name: "a"}}, []string{`channel "a": name: duplicate`}},
		{"duplicates mode", []Channel{{Name: "a", Duplicates: "merge"}}, []string{`channel "a": duplicates:`}},
		{"keep", []Channel{{Name: "a", Duplicates: "keep"}}, nil},
		{"negative limit", []Channel{{Name: "a", Limit: -1}}, []string{`channel "a": limit:`}},
		{"negative max_age", []Channel{{Name: "a", MaxAge: -time.Hour}}, []string{`channel "a": max_age:`}},
		{"bad exclude", []Channel{{Name: "world", Exclude: []string{"a", "b", "/([/"}}}, []string{`channel "world": exclude[2]: bad regex /([/: `}},
		{"bad include", []Channel{{Name: "w", Include: []string{"/(/"}}}, []string{`channel "w": include[0]: bad regex /(/`}},
		{"empty include", []Channel{{Name: "w", Include: []string{""}}}, []string{`channel "w": include[0]: empty`}},
		{"bad strip", []Channel{{Name: "w", Strip: []string{"/[/"}}}, []string{`channel "w": strip[0]: bad regex`}},
		{"several", []Channel{{Name: "a", Limit: -2, Exclude: []string{"/(/"}}}, []string{`channel "a": limit:`, `channel "a": exclude[0]:`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(nil, Options{Channels: tt.chans})
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("New: no error, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestNewBaseURL(t *testing.T) {
	for _, u := range []string{"ftp://x", "/relative", "http://x/?q=1"} {
		if _, err := New(nil, Options{BaseURL: u}); err == nil || !strings.Contains(err.Error(), "base_url") {
			t.Errorf("BaseURL %q: err = %v, want a base_url error", u, err)
		}
	}
	s, err := New(nil, Options{BaseURL: "https://example.org/feeds/"})
	if err != nil {
		t.Fatal(err)
	}
	if s.base != "https://example.org/feeds" {
		t.Errorf("base = %q", s.base)
	}
}

func TestIndexAndOPMLWithoutStore(t *testing.T) {
	s, err := New(nil, Options{BaseURL: "https://f.example", Channels: []Channel{{Name: "world", Title: "World <news>"}}})
	if err != nil {
		t.Fatal(err)
	}
	idx, _ := s.Index()
	if !strings.Contains(string(idx), `<link rel="alternate" type="application/rss+xml" title="World &lt;news&gt; (RSS)" href="https://f.example/channels/world.rss">`) {
		t.Errorf("index:\n%s", idx)
	}
	opml, _ := s.OPML()
	if !strings.Contains(string(opml), `xmlUrl="https://f.example/channels/world.rss"`) {
		t.Errorf("opml:\n%s", opml)
	}
	if _, err := s.Render("world", "rss"); err == nil {
		t.Error("Render without a store: no error")
	}
}
