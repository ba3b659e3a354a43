package normalize

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/fetcher/internal/testfeeds"
	"github.com/mmcdole/gofeed"
)

// xssVectors are bodies that try to get script into a reader's page.
var xssVectors = []string{
	`<script>alert(1)</script>`,
	`<SCRIPT SRC=//evil.example/x.js></SCRIPT>`,
	`<scr<script>ipt>alert(1)</scr</script>ipt>`,
	`<a href="javascript:alert(1)">x</a>`,
	`<a href=" javascript:alert(1)">x</a>`,
	`<a href="JaVaScRiPt:alert(1)">x</a>`,
	`<a href="jav&#x09;ascript:alert(1)">x</a>`,
	`<a href="jav&#x0A;ascript:alert(1)">x</a>`,
	`<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>`,
	`<a href="javascript&colon;alert(1)">x</a>`,
	`<a href="vbscript:msgbox(1)">x</a>`,
	`<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>`,
	`<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=">`,
	`<img src=x onerror=alert(1)>`,
	`<img src="https://ok.example/a.jpg" onload="alert(1)" style="background:url(javascript:alert(1))">`,
	`<img srcset="javascript:alert(1) 1x, https://ok.example/b.jpg 2x" src="https://ok.example/a.jpg">`,
	`<p style="behavior:url(x.htc)" onclick="alert(1)" class="lead">text</p>`,
	`<div onmouseover="alert(1)">hover</div>`,
	`<iframe src="javascript:alert(1)"></iframe>`,
	`<iframe src="https://www.youtube.com/embed/x" onload="alert(1)" srcdoc="<script>alert(1)</script>"></iframe>`,
	`<iframe src="https://www.youtube.com/embed/x"><script>alert(1)</script></iframe>`,
	`<iframe/src="https://evil.example/">`,
	`<style>body{background:url(javascript:alert(1))}</style><p>x</p>`,
	`<svg onload=alert(1)><script>alert(1)</script><a xlink:href="javascript:alert(1)">x</a></svg>`,
	`<svg><foreignObject><iframe src="https://evil.example/"></iframe></foreignObject></svg>`,
	`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>`,
	`<math href="javascript:alert(1)">x</math>`,
	`<object data="https://evil.example/x.swf"><embed src="https://evil.example/x.swf"></object>`,
	`<embed src="javascript:alert(1)">`,
	`<form action="https://evil.example/"><input name=q><button>go</button></form>`,
	`<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`,
	`<link rel=stylesheet href="https://evil.example/x.css">`,
	`<base href="https://evil.example/">`,
	`<!-- <script>alert(1)</script> --><p>after comment</p>`,
	`<!--[if gte IE 4]><script>alert(1)</script><![endif]-->`,
	`<![CDATA[<script>alert(1)</script>]]>`,
	`<p>a</p><![CDATA[x]]><img src=x onerror=alert(1)//>`,
	`<a href="https://ok.example/" title="x" onclick=alert(1)>ok</a>`,
	`<a href='https://ok.example/"onmouseover="alert(1)'>x</a>`,
	`<a href="https://ok.example/?a=<script>">x</a>`,
	`<a href=https://ok.example/ x=">"<script>alert(1)</script>`,
	`<img """><script>alert(1)</script>">`,
	`<img src=x:alert(alt) onerror=eval(src) alt=0>`,
	`<<script>alert(1);//<</script>`,
	`<p <script>alert(1)</script>>x</p>`,
	`<div/onmouseover='alert(1)'>x</div>`,
	`<b/ onclick=alert(1)>x</b>`,
	`<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>`,
	`<title><img src=x onerror=alert(1)></title>`,
	`<textarea><img src=x onerror=alert(1)></textarea>`,
	`<xmp><img src=x onerror=alert(1)></xmp>`,
	`<plaintext><img src=x onerror=alert(1)>`,
	`<template><img src=x onerror=alert(1)></template>`,
	`<table><td background="javascript:alert(1)">x</td></table>`,
	`<blockquote cite="javascript:alert(1)">q</blockquote>`,
	`<q cite="https://ok.example/">q</q>`,
	`<a href="mailto:a@example.org">mail</a> <a href="ftp://x.example/">ftp</a>`,
	`<a href="//evil.example/">proto-relative</a>`,
	`<a href="#notes">notes</a> <a href="">empty</a>`,
	`<img src="https://ok.example/a b.jpg"> <img src="https://ok.example/a%20b.jpg">`,
	`<a href="https://ok.example/&#x0;x">nul</a>`,
	"<a href=\"https://ok.example/\x00x\">nul</a>\x00",
	`<p>unclosed <b>bold <i>italic <a href="https://ok.example/">link`,
	`</p></div></a>stray end tags<p>`,
	`<div><span>a</div>b</span>`,
	`<details open="x" ontoggle="alert(1)"><summary>s</summary>d</details>`,
	`<bdo dir="rtl">ok</bdo><bdo>no dir</bdo><bdo dir="javascript">x</bdo>`,
	`<ol type="1" start="3"><li value="2" type="disc">x</li></ol>`,
	`<td colspan="2" scope="row" nowrap>outside table</td>`,
	`<time datetime="2024-01-01">t</time><time datetime="x">t</time>`,
	`<p lang="en-GB" dir="ltr" id="p1" title="A title">x</p><p lang="x" id="a b" title="<b>">y</p>`,
	`<span class="x" class="y">dup</span><a href="https://a.example/" href="javascript:alert(1)">dup href</a>`,
	`<img src="https://ok.example/a.jpg" width="100%" height="50" alt="it's (fine)" align="left">`,
	`<img src="https://ok.example/a.jpg" width="100px" alt="<b>">`,
	`&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot; &#39;s`,
	"a\rb\r\nc",
	`<image src="https://ok.example/i.jpg">`,
	`<svg><image href="javascript:alert(1)" src="https://ok.example/i.jpg"/></svg>`,
	`<frameset><frame src="javascript:alert(1)"></frameset>`,
	`<marquee onstart=alert(1)>x</marquee>`,
	`<a href="http://[::1">bad url</a>`,
	`<a href="https://ok.example/%zz">bad escape</a>`,
}

// TestSanitizeXSS: nothing of the vectors' script survives the item
// cleaning (our pass, then the sanitizer), with and without a base URL.
func TestSanitizeXSS(t *testing.T) {
	base, _ := url.Parse("https://news.example/2025/story.html")
	for _, in := range xssVectors {
		for _, b := range []*url.URL{base, nil} {
			var rules []string
			out := cleanedBody(in, b, &rules)
			checkSanitized(t, in, out)
			low := strings.ToLower(out)
			for _, bad := range []string{"<script", "javascript:", "vbscript:", "data:", " on", "<style", "<svg", "<math", "<object", "<embed", "<form", "<meta", "<link", "<base", "srcset", "style=", "<!--", "<frame"} {
				if strings.Contains(low, bad) && !(bad == " on" && !strings.Contains(low, "=")) {
					if bad == " on" && !hasEventAttr(low) {
						continue
					}
					t.Errorf("cleanedBody(%q) = %q: contains %q", in, out, bad)
				}
			}
			if strings.Contains(low, "<iframe") && !strings.Contains(low, `<iframe src="https://www.youtube.com/embed/x"></iframe>`) {
				t.Errorf("cleanedBody(%q) = %q: keeps a foreign iframe", in, out)
			}
		}
	}
}

// hasEventAttr reports whether the lower-cased HTML s has an on*=
// attribute inside a tag.
var eventAttr = regexp.MustCompile(`<[^>]*\son[a-z]+\s*=`)

func hasEventAttr(s string) bool { return eventAttr.MatchString(s) }

// TestSanitizeKeeps: what the policy is for stays, relative URLs made
// absolute.
func TestSanitizeKeeps(t *testing.T) {
	base, _ := url.Parse("https://news.example/2025/story.html")
	tests := []struct{ in, want string }{
		{`<p class="lead">Hello <b>bold</b> <a href="/a">a</a></p>`, `<p class="lead">Hello <b>bold</b> <a href="https://news.example/a">a</a></p>`},
		{`<figure><img src="p.jpg" alt="A photo"><figcaption>Caption</figcaption></figure>`, `<figure><img src="https://news.example/2025/p.jpg" alt="A photo"/><figcaption>Caption</figcaption></figure>`},
		{`<table><tr><td colspan="2">x</td></tr></table>`, `<table><tr><td colspan="2">x</td></tr></table>`},
		{`<p>unclosed <b>bold`, `<p>unclosed <b>bold</b></p>`},
		{`<div><span>a</div>b</span>`, `<div><span>a</span></div>b`},
		{`<a href="https://x.example/">x<a>y</a>z</a>`, `<a href="https://x.example/">xyz</a>`},
		{`Tom &amp; Jerry's "show" &lt;3`, `Tom &amp; Jerry&#39;s &#34;show&#34; &lt;3`},
		{`<p>Tom &amp; Jerry's</p>`, `<p>Tom &amp; Jerry&#39;s</p>`},
		{`<iframe src="https://player.vimeo.com/video/1" width="640" allowfullscreen>fallback</iframe>`, `<iframe src="https://player.vimeo.com/video/1" width="640" allowfullscreen=""></iframe>`},
	}
	for _, tt := range tests {
		var rules []string
		if got := cleanedBody(tt.in, base, &rules); got != tt.want {
			t.Errorf("cleanedBody(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

// TestSanitizeSharedFeeds: every body of every shared test feed, cleaned,
// is the sanitizer's fixed point.
func TestSanitizeSharedFeeds(t *testing.T) {
	bodies := 0
	forSharedBodies(t, func(in string, base *url.URL) {
		var rules []string
		in = Text(in)
		checkSanitized(t, in, cleanedBody(in, base, &rules))
		bodies++
	})
	t.Logf("%d bodies", bodies)
}

// forSharedBodies calls f with the Description and the Content of every
// item of every shared test feed, and a base URL named after its file.
func forSharedBodies(t *testing.T, f func(body string, base *url.URL)) {
	t.Helper()
	for _, p := range testfeeds.Files(t) {
		feed := parseSharedFeed(t, p)
		if feed == nil {
			continue
		}
		base, _ := url.Parse("https://feeds.example/" + p)
		for _, it := range feed.Items {
			f(it.Description, base)
			f(it.Content, base)
		}
	}
}

// parseSharedFeed parses one shared test file, or returns nil when it is
// not a feed.
func parseSharedFeed(t *testing.T, path string) *gofeed.Feed {
	t.Helper()
	feed, _, err := parseFeed(testfeeds.Body(t, path))
	if err != nil {
		return nil
	}
	return feed
}

// FuzzSanitize: for any body, the cleaned output is the sanitizer's
// fixed point and has no event handler.
//
//	go test -run '^$' -fuzz '^FuzzSanitize$' -fuzztime 30s ./fetcher/normalize/
func FuzzSanitize(f *testing.F) {
	for _, v := range xssVectors {
		f.Add(v)
	}
	f.Add(`<p>First.</p><p><strong>READ MORE:</strong> <a href="/other">Other story</a></p><p>Second.</p>`)
	f.Add(`<div class="feedflare"><a href="http://feeds.feedburner.com/~ff/x?a=1"><img src="http://feeds.feedburner.com/~ff/x?d=2"></a></div>`)
	base, _ := url.Parse("https://news.example/2025/story.html")
	f.Fuzz(func(t *testing.T, in string) {
		var rules []string
		out := cleanedBody(in, base, &rules)
		checkSanitized(t, in, out)
		if hasEventAttr(strings.ToLower(out)) {
			t.Errorf("cleanedBody(%q) = %q: event handler", in, out)
		}
	})
}
