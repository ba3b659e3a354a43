package channel

import (
	"strings"
	"testing"

	"github.com/feedmill/feedmill/storage"
)

func TestMatcher(t *testing.T) {
	tests := []struct {
		entry, text string
		want        bool
	}{
		{"war", "War breaks out", true},
		{"war", "The war.", true},
		{"war", "new software released", false},
		{"war", "warfare", false},
		{"war", "Krieg/war/guerre", true},
		{"climate change", "on Climate   Change today", true},
		{"climate change", "climate changes", false},
		{`"climate change"`, "CLIMATE CHANGE", true},
		{`"c++"`, "I like C++ a lot", true},
		{`".net"`, "asp.net core", true},
		{"élan", "avec Élan!", true},
		{"élan", "délan", false},
		{"/^breaking:/", "Breaking: news", true},
		{"/^breaking:/", "not Breaking: news", false},
		{"/foo|bar/", "xbarx", true},
		{"  spaced  ", "a spaced b", true},
	}
	for _, tt := range tests {
		m, err := compileMatcher(tt.entry)
		if err != nil {
			t.Fatalf("compileMatcher(%q): %v", tt.entry, err)
		}
		if got := m.re.MatchString(tt.text); got != tt.want {
			t.Errorf("%q matches %q = %v, want %v (regexp %s)", tt.entry, tt.text, got, tt.want, m.re)
		}
	}
}

func TestMatcherErrors(t *testing.T) {
	for _, entry := range []string{"", "  ", "//", `""`, "/([/"} {
		if _, err := compileMatcher(entry); err == nil {
			t.Errorf("compileMatcher(%q): no error", entry)
		}
	}
}

func TestPlainText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"<p>a</p><p>b</p>", " a  b "},
		{"Tom &amp; Jerry", "Tom & Jerry"},
		{"x<script>war()</script>y", "x  y"},
		{"a < b", "a < b"},
		{`<a href="war">soft</a>ware`, "software"},
		{"<p>one</p><p>two</p>", " one  two "},
		{"<br/>x<img src=a>", " x "},
	}
	for _, tt := range tests {
		if got := PlainText(tt.in); got != tt.want {
			t.Errorf("PlainText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMatchTextFields(t *testing.T) {
	it := storage.Item{Title: "T", Summary: "<b>summ</b>", Content: "<i>cont</i>", Categories: []string{"politics"}}
	text := matchText(&it)
	for _, want := range []string{"T", "summ", "cont", "politics"} {
		if !strings.Contains(text, want) {
			t.Errorf("matchText = %q, missing %q", text, want)
		}
	}
	m, _ := compileMatcher("politics")
	if !m.re.MatchString(text) {
		t.Error("category does not match")
	}
}
