package storage

import (
	"slices"
	"strings"
	"testing"
)

func TestItemKeys(t *testing.T) {
	h := func(title, content string) string { return "h:" + contentHash(Item{Title: title, Content: content}) }
	tests := []struct {
		name  string
		items []Item
		want  []string
	}{
		{
			name:  "guid",
			items: []Item{{GUID: "a", Link: "https://x/1"}, {GUID: "b", Link: "https://x/1"}},
			want:  []string{"g:a", "g:b"},
		},
		{
			name:  "missing guid uses link",
			items: []Item{{Link: "https://x/1", Title: "T"}},
			want:  []string{"l:https://x/1"},
		},
		{
			name:  "guid reused for different links",
			items: []Item{{GUID: "same", Link: "https://x/1"}, {GUID: "same", Link: "https://x/2"}, {GUID: "other", Link: "https://x/3"}},
			want:  []string{"l:https://x/1", "l:https://x/2", "g:other"},
		},
		{
			name:  "guid reused without links, different titles",
			items: []Item{{GUID: "same", Title: "one", Content: "c"}, {GUID: "same", Title: "two", Content: "c"}},
			want:  []string{h("one", "c"), h("two", "c")},
		},
		{
			name:  "hash fallback",
			items: []Item{{Title: "T", Content: "C"}, {Title: "T", Summary: "S"}},
			want:  []string{h("T", "C"), h("T", "S")},
		},
		{
			name:  "exact repeat in batch keeps its guid",
			items: []Item{{GUID: "a", Link: "https://x/1", Title: "T"}, {GUID: "a", Link: "https://x/1", Title: "T"}},
			want:  []string{"g:a", "g:a"},
		},
		{
			name:  "repeat without guid or link",
			items: []Item{{Title: "T", Content: "C"}, {Title: "T", Content: "C"}},
			want:  []string{h("T", "C"), h("T", "C")},
		},
		{
			name:  "empty batch",
			items: nil,
			want:  []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ItemKeys(tt.items)
			if !slices.Equal(got, tt.want) {
				t.Errorf("ItemKeys = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestItemKeysLong(t *testing.T) {
	long := strings.Repeat("x", 5000)
	got := ItemKeys([]Item{{GUID: long}, {GUID: long + "y"}})
	if len(got[0]) > maxKeyLen || !strings.HasPrefix(got[0], "g#") || got[0] == got[1] {
		t.Errorf("long keys = %q", got)
	}
}

func TestBodyHash(t *testing.T) {
	base := Item{Title: "T", Link: "L", Content: "C", Categories: []string{"a", "b"}}
	same := base
	same.Published = base.Published.AddDate(1, 0, 0) // not part of the body
	same.GUID = "other"
	if base.BodyHash() != same.BodyHash() {
		t.Error("date or GUID changed the body hash")
	}
	for name, change := range map[string]func(*Item){
		"title":      func(it *Item) { it.Title = "T2" },
		"content":    func(it *Item) { it.Content = "C2" },
		"summary":    func(it *Item) { it.Summary = "S" },
		"author":     func(it *Item) { it.Author = "A" },
		"categories": func(it *Item) { it.Categories = []string{"ab"} },
		"enclosure":  func(it *Item) { it.Enclosures = []Enclosure{{URL: "u"}} },
		"image":      func(it *Item) { it.Image = "i" },
		"shift":      func(it *Item) { it.Title, it.Link = "TL", "" },
	} {
		changed := base
		changed.Categories = slices.Clone(base.Categories)
		change(&changed)
		if changed.BodyHash() == base.BodyHash() {
			t.Errorf("%s: body hash did not change", name)
		}
	}
}
