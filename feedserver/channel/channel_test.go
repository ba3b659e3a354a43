package channel

import (
	"slices"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"
)

func TestChannelDefaults(t *testing.T) {
	ch, err := Compile(Config{Name: "w"})
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
		ch   Config
		want []uint64
	}{
		{"neither", Config{}, []uint64{1, 2, 3}},
		{"tags", Config{Tags: []string{"world", "tech"}}, []uint64{1, 2}},
		{"urls", Config{Sources: []string{"https://c.example/feed"}}, []uint64{3}},
		{"both", Config{Tags: []string{"tech"}, Sources: []string{"https://c.example/feed"}}, []uint64{2, 3}},
		{"no match", Config{Tags: []string{"sport"}}, nil},
	}
	for _, tt := range tests {
		tt.ch.Name = "c"
		ch, err := Compile(tt.ch)
		if err != nil {
			t.Fatal(err)
		}
		var got []uint64
		for i := range srcs {
			if ch.Selects(&srcs[i]) {
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
		ch   Config
		want []uint64
	}{
		{"keep all", Config{Duplicates: "keep"}, []uint64{10, 9, 8, 7, 6, 5, 4}},
		// The earliest copy represents a story (7 over 8; 6 over 10, same
		// link); 5 has 10's link but is another item of 10's source.
		{"collapse", Config{}, []uint64{6, 9, 7, 5, 4}},
		{"max per source", Config{MaxPerSource: 1, Duplicates: "keep"}, []uint64{10, 9, 6}},
		{"min length", Config{MinLength: 8, Duplicates: "keep"}, []uint64{4}},
		{"title field", Config{Include: []string{"title:/^new /"}, Duplicates: "keep"}, []uint64{9}},
		{"category field", Config{Exclude: []string{"category:Sport"}, Duplicates: "keep"}, []uint64{10, 9, 8, 7, 6, 5}},
		{"link field", Config{Include: []string{"link:x/1"}, Duplicates: "keep"}, []uint64{10, 6, 5}},
		{"include word", Config{Include: []string{"war"}, Duplicates: "keep"}, []uint64{10, 8, 7}},
		{"exclude word", Config{Exclude: []string{"war"}, Duplicates: "keep"}, []uint64{9, 6, 5, 4}},
		{"include phrase", Config{Include: []string{`"big game"`}}, []uint64{4}},
		{"include category", Config{Include: []string{"sport"}}, []uint64{4}},
		{"include regex", Config{Include: []string{"/^new /"}}, []uint64{9}},
		{"include and exclude", Config{Include: []string{"war", "software"}, Exclude: []string{"again"}}, []uint64{10, 9, 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.ch.Name = "c"
			ch, err := Compile(tt.ch)
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
	ch, err := Compile(Config{Name: "c", Strip: []string{`/^READ MORE:.*$/`, "Advertisement"}})
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

// TestStoryPublishedStable: a collapsed story is dated by its earliest
// copy, also when a preferred source's later copy is the one shown.
func TestStoryPublishedStable(t *testing.T) {
	ch, err := Compile(Config{Name: "c"})
	if err != nil {
		t.Fatal(err)
	}
	early := time.Date(2025, 6, 1, 2, 1, 0, 0, time.UTC)
	late := time.Date(2025, 6, 1, 2, 58, 28, 0, time.UTC)
	for _, preferred := range []uint64{1, 2} {
		sel := newSelector(ch)
		sel.priority = func(id uint64) int {
			if id == preferred {
				return 1
			}
			return 2
		}
		sel.add(storage.Item{ID: 2, SourceID: 2, Story: 1, Title: "late copy", Published: late})
		sel.add(storage.Item{ID: 1, SourceID: 1, Title: "first copy", Published: early})
		sel.finish(nil)
		if len(sel.items) != 1 || sel.items[0].SourceID != preferred || !sel.items[0].Published.Equal(early) {
			t.Errorf("source %d preferred: %+v, want it dated %v", preferred, sel.items, early)
		}
	}
}
