package parse

import (
	"net/http"
	"net/url"
	"testing"
)

func TestHubLinks(t *testing.T) {
	base, _ := url.Parse("https://blog.example/feed.xml")
	for _, c := range []struct {
		name      string
		link      string
		body      string
		hub, self string
	}{
		{"atom", "", `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><link rel="hub" href="https://hub.example/"/><link rel="self" href="/feed.xml"/><entry><link rel="hub" href="https://wrong.example/"/></entry></feed>`,
			"https://hub.example/", "https://blog.example/feed.xml"},
		{"rss atom:link", "", `<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><atom:link rel="self" href="https://blog.example/rss"/><atom:link rel="hub" href="https://pubsubhubbub.appspot.com/"/><item/></channel></rss>`,
			"https://pubsubhubbub.appspot.com/", "https://blog.example/rss"},
		{"json feed", "", `{"version":"https://jsonfeed.org/version/1.1","feed_url":"https://blog.example/feed.json","hubs":[{"type":"WebSub","url":"https://hub.example/j"}]}`,
			"https://hub.example/j", "https://blog.example/feed.json"},
		{"link header wins", `<https://hub.example/h>; rel="hub", <https://blog.example/self>; rel="self"`, `<feed><link rel="hub" href="https://doc.example/"/></feed>`,
			"https://hub.example/h", "https://blog.example/self"},
		{"none", "", `<rss><channel><title>x</title></channel></rss>`, "", ""},
		{"not http", "", `<feed><link rel="hub" href="javascript:alert(1)"/><link rel="self" href="https://blog.example/f"/></feed>`, "", "https://blog.example/f"},
	} {
		h := http.Header{}
		if c.link != "" {
			h.Set("Link", c.link)
		}
		hub, self := HubLinks(h, []byte(c.body), base)
		if hub != c.hub || self != c.self {
			t.Errorf("%s: %q %q, want %q %q", c.name, hub, self, c.hub, c.self)
		}
	}
}
