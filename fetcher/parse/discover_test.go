package parse

import (
	"net/url"
	"path/filepath"
	"testing"

	"github.com/feedmill/feedmill/fetcher/internal/testfeeds"
)

func TestDiscoverFeed(t *testing.T) {
	page, _ := url.Parse("https://example.org/blog/post.html")
	tests := []struct{ name, html, want string }{
		{"rss", `<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml"></head></html>`, "https://example.org/feed.xml"},
		{"atom relative", `<head><LINK REL="Alternate" TYPE="application/atom+xml" HREF="atom.xml"/>`, "https://example.org/blog/atom.xml"},
		{"json feed", `<link href="https://cdn.example.net/f.json" rel="alternate" type="application/feed+json">`, "https://cdn.example.net/f.json"},
		{"rel list", `<link rel="home alternate" type="application/rss+xml; charset=utf-8" href="f">`, "https://example.org/blog/f"},
		{"skips non-feed alternates", `<link rel="alternate" hreflang="de" href="/de/"><link rel="alternate" type="text/html" href="/x"><link rel="alternate" type="application/rss+xml" href="/rss">`, "https://example.org/rss"},
		{"base href", `<head><base href="https://static.example.com/s/"><link rel="alternate" type="application/rss+xml" href="feed"></head>`, "https://static.example.com/s/feed"},
		{"stylesheet ignored", `<link rel="stylesheet" type="application/rss+xml" href="/no">`, ""},
		{"empty href", `<link rel="alternate" type="application/rss+xml" href="">`, ""},
		{"javascript scheme", `<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">`, ""},
		{"hidden scheme", `<link rel="alternate" type="application/rss+xml" href="java&#x09;script:alert(1)">`, ""},
		{"credentials", `<link rel="alternate" type="application/rss+xml" href="https://a.example@evil.example/feed">`, ""},
		{"as a browser reads it", `<link rel="alternate" type="application/rss+xml" href=" HTTPS:\\Feeds.Example\rss ">`, "https://feeds.example/rss"},
		{"links in body ignored", `<body><link rel="alternate" type="application/rss+xml" href="/late"></body>`, ""},
		{"nothing", `<p>no feed</p>`, ""},
		{"garbage", "\x00<<<>>>", ""},
	}
	for _, tt := range tests {
		if got := DiscoverFeed([]byte(tt.html), page); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestDiscoverEdgeFiles(t *testing.T) {
	page, _ := url.Parse("https://example.org/")
	b := testfeeds.Body(t, filepath.Join(testfeeds.Dir(t), "edge", "notafeed.html"))
	if _, _, err := Feed(b, Options{}); err == nil {
		t.Error("notafeed.html parsed as a feed")
	}
	if !IsHTML("", b) && !IsHTML("text/html", b) {
		t.Error("not recognised as HTML")
	}
	t.Logf("notafeed.html links to %q", DiscoverFeed(b, page))
}
