package feedserver

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"
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

func TestChannelDefaults(t *testing.T) {
	ch, err := compileChannel(Channel{Name: "w"})
	if err != nil {
		t.Fatal(err)
	}
	if ch.limit != DefaultLimit || !ch.collapse || ch.Title != "w" || ch.Description != "feedmill channel w" {
		t.Errorf("defaults: %+v", ch)
	}
}

func TestChannelSelects(t *testing.T) {
	srcs := []storage.Source{
		{ID: 1, URL: "https://a.example/feed", Tags: []string{"world"}},
		{ID: 2, URL: "https://b.example/feed", Tags: []string{"tech"}},
		{ID: 3, URL: "https://c.example/feed"},
	}
	tests := []struct {
		name string
		ch   Channel
		want []uint64
	}{
		{"neither", Channel{}, []uint64{1, 2, 3}},
		{"tags", Channel{Tags: []string{"world", "tech"}}, []uint64{1, 2}},
		{"urls", Channel{Sources: []string{"https://c.example/feed"}}, []uint64{3}},
		{"both", Channel{Tags: []string{"tech"}, Sources: []string{"https://c.example/feed"}}, []uint64{2, 3}},
		{"no match", Channel{Tags: []string{"sport"}}, nil},
	}
	for _, tt := range tests {
		tt.ch.Name = "c"
		ch, err := compileChannel(tt.ch)
		if err != nil {
			t.Fatal(err)
		}
		var got []uint64
		for i := range srcs {
			if ch.selects(&srcs[i]) {
				got = append(got, srcs[i].ID)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: selects %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestSelector covers filters and duplicates on items offered newest first.
func TestSelector(t *testing.T) {
	items := []storage.Item{
		{ID: 10, SourceID: 1, Title: "War in the north", Link: "https://x/1"},
		{ID: 9, SourceID: 2, Title: "New software release", Link: "https://x/2"},
		{ID: 8, SourceID: 2, Title: "War in the north, again", Story: 7, Link: "https://y/8"},
		{ID: 7, SourceID: 1, Title: "Original war story", Link: "https://x/7"},
		{ID: 6, SourceID: 3, Title: "Same link other source", Link: "https://x/1"},
		{ID: 5, SourceID: 1, Title: "Same link same source", Link: "https://x/1"},
		{ID: 4, SourceID: 3, Title: "Sports", Summary: "<p>The <b>big game</b></p>", Categories: []string{"Sport"}},
	}
	tests := []struct {
		name string
		ch   Channel
		want []uint64
	}{
		{"keep all", Channel{Duplicates: "keep"}, []uint64{10, 9, 8, 7, 6, 5, 4}},
		// The earliest copy represents a story (7 over 8; 6 over 10, same
		// link); 5 has 10's link but is another item of 10's source.
		{"collapse", Channel{}, []uint64{6, 9, 7, 5, 4}},
		{"max per source", Channel{MaxPerSource: 1, Duplicates: "keep"}, []uint64{10, 9, 6}},
		{"min length", Channel{MinLength: 8, Duplicates: "keep"}, []uint64{4}},
		{"title field", Channel{Include: []string{"title:/^new /"}, Duplicates: "keep"}, []uint64{9}},
		{"category field", Channel{Exclude: []string{"category:Sport"}, Duplicates: "keep"}, []uint64{10, 9, 8, 7, 6, 5}},
		{"link field", Channel{Include: []string{"link:x/1"}, Duplicates: "keep"}, []uint64{10, 6, 5}},
		{"include word", Channel{Include: []string{"war"}, Duplicates: "keep"}, []uint64{10, 8, 7}},
		{"exclude word", Channel{Exclude: []string{"war"}, Duplicates: "keep"}, []uint64{9, 6, 5, 4}},
		{"include phrase", Channel{Include: []string{`"big game"`}}, []uint64{4}},
		{"include category", Channel{Include: []string{"sport"}}, []uint64{4}},
		{"include regex", Channel{Include: []string{"/^new /"}}, []uint64{9}},
		{"include and exclude", Channel{Include: []string{"war", "software"}, Exclude: []string{"again"}}, []uint64{10, 9, 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.ch.Name = "c"
			ch, err := compileChannel(tt.ch)
			if err != nil {
				t.Fatal(err)
			}
			sel := newSelector(ch)
			for _, it := range items {
				it.Published = time.Date(2025, 6, 1, int(it.ID), 0, 0, 0, time.UTC)
				sel.add(it)
			}
			sel.finish(nil)
			var got []uint64
			for _, it := range sel.items {
				got = append(got, it.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("kept %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStrip(t *testing.T) {
	ch, err := compileChannel(Channel{Name: "c", Strip: []string{`/^READ MORE:.*$/`, "Advertisement"}})
	if err != nil {
		t.Fatal(err)
	}
	sel := newSelector(ch)
	sel.add(storage.Item{ID: 1, Content: "body\nread more: elsewhere\nAdvertisement tail"})
	sel.add(storage.Item{ID: 2, Content: "<p>Story text.</p><p>READ MORE: other story</p><div>Keep this<br>Advertisement<br>and this</div>"})
	sel.finish(nil)
	if got := sel.items[0].Content; got != "body" {
		t.Errorf("stripped content = %q", got)
	}
	if got := sel.items[1].Content; got != "<p>Story text.</p><div>Keep this<br/>and this</div>" {
		t.Errorf("stripped content = %q", got)
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
