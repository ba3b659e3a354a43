package feedserver

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"
)

// allFormats renders every format of channel name.
func allFormats(t testing.TB, s *Server, name string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, f := range append(slices.Clone(Formats), formatHTML) {
		body, err := s.Render(name, f)
		if err != nil {
			t.Fatalf("render %s: %v", f, err)
		}
		out[f] = body
	}
	return out
}

func TestAssemblySharedByFormats(t *testing.T) {
	f := newFixture(t)
	a := f.source("https://a.example/feed", "world")
	b := f.source("https://b.example/feed", "world")
	// The same story from two sources (collapsed) and a few others.
	f.items(a, storage.Item{Title: "Shared", Link: "https://news.example/shared"}, storage.Item{Title: "A1"})
	f.items(b, storage.Item{Title: "Shared B", Link: "https://news.example/shared"}, storage.Item{Title: "B1"})
	ch := Channel{Name: "world", Tags: []string{"world"}}
	s := f.server(ch)

	got := allFormats(t, s, "world")
	if n := s.asm.count.Load(); n != 1 {
		t.Errorf("%d assemblies for 4 formats of one store state, want 1", n)
	}
	// The same bytes as a server that assembles each format afresh.
	for format, want := range allFormats(t, f.server(ch), "world") {
		if !bytes.Equal(got[format], want) {
			t.Errorf("%s differs from a fresh build", format)
		}
	}

	// A change is assembled once more, and shows.
	f.items(a, storage.Item{Title: "A2"})
	got = allFormats(t, s, "world")
	if n := s.asm.count.Load(); n != 2 {
		t.Errorf("%d assemblies after a change, want 2", n)
	}
	for format, want := range allFormats(t, f.server(ch), "world") {
		if !bytes.Equal(got[format], want) {
			t.Errorf("after a change: %s differs from a fresh build", format)
		}
	}
}

func TestAssemblyNotReusedPastMaxAge(t *testing.T) {
	f := newFixture(t)
	a := f.source("https://a.example/feed")
	now := f.clock.Now()
	f.items(a, storage.Item{Title: "New", Published: now.Add(-time.Hour)}, storage.Item{Title: "Old", Published: now.Add(-90 * time.Minute)})
	s := f.server(Channel{Name: "all", MaxAge: 2 * time.Hour})
	if got := titles(t, s, "all"); !slices.Equal(got, []string{"New", "Old"}) {
		t.Fatalf("titles %v", got)
	}
	// 40 minutes on, "Old" is past MaxAge: the rss rebuild must not reuse
	// the json's assembly.
	f.clock.Add(40 * time.Minute)
	n := s.asm.count.Load()
	rss, err := s.Render("all", "rss")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(rss, []byte("Old")) || !bytes.Contains(rss, []byte("New")) {
		t.Errorf("rss after MaxAge passed:\n%s", rss)
	}
	if s.asm.count.Load() != n+1 {
		t.Error("assembly reused after an item it read aged past MaxAge")
	}
}

// BenchmarkRebuild measures rebuilding all four formats of a collapsing
// channel after a store change: "separate" assembles each format on its
// own (as before assembly.go), "shared" once.
func BenchmarkRebuild(b *testing.B) {
	f := newFixture(b)
	var srcs []storage.Source
	for i := range 20 {
		srcs = append(srcs, f.source(fmt.Sprintf("https://s%d.example/feed", i), "world"))
	}
	for i, src := range srcs {
		items := bigItems(fmt.Sprintf("s%d", i), 200)
		for j := range items {
			items[j].Published = t0.Add(-time.Duration(j*len(srcs)+i) * time.Minute)
		}
		f.items(src, items...)
	}
	s := f.server(Channel{Name: "world", Tags: []string{"world"}, MaxAge: 30 * 24 * time.Hour})
	ch := s.byName["world"]
	res, err := s.resolve()
	if err != nil {
		b.Fatal(err)
	}
	ids := res.IDs["world"]
	v := s.store.Version(ids)
	now := s.now()
	formats := append(slices.Clone(Formats), formatHTML)
	for _, mode := range []string{"separate", "shared"} {
		b.Run(mode, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				clear(s.asm.m)
				for _, format := range formats {
					if mode == "separate" {
						clear(s.asm.m)
					}
					if _, err := s.build(ch, format, 1, res, v, now, nil); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
