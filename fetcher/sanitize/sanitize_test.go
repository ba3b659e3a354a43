package sanitize

import (
	"regexp"
	"strings"
	"testing"
)

// eventAttr finds an on*= attribute inside a tag of lower-cased HTML.
var eventAttr = regexp.MustCompile(`<[^>]*\son[a-z]+\s*=`)

// TestHTMLRemoves: the policy's decisions on what must never reach a
// reader: scripts, event handlers, script and data URLs, styles, forms,
// foreign iframes.
func TestHTMLRemoves(t *testing.T) {
	tests := []struct{ in, want string }{
		{`<p>a<script>alert(1)</script>b</p>`, `<p>ab</p>`},
		{`<SCRIPT SRC=//evil.example/x.js></SCRIPT>x`, `x`},
		{`<img src="https://ok.example/a.jpg" onerror="alert(1)" onload=x>`, `<img src="https://ok.example/a.jpg">`},
		{`<div onmouseover="alert(1)">hover</div>`, `<div>hover</div>`},
		{`<a href="javascript:alert(1)">x</a>`, `x`},
		{`<a href="JaVaScRiPt:alert(1)">x</a>`, `x`},
		{`<a href="vbscript:msgbox(1)">x</a>`, `x`},
		{`<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>`, `x`},
		{`<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=">`, ``},
		{`<a href="ftp://x.example/">ftp</a>`, `ftp`},
		{`<p style="color:red" class="lead">x</p>`, `<p class="lead">x</p>`},
		{`<style>p{}</style><p>x</p>`, `<p>x</p>`},
		{`<form action="https://evil.example/"><input name=q><button>go</button></form>`, `go`},
		{`<iframe src="https://evil.example/"></iframe>x`, `x`},
		{`<iframe src="javascript:alert(1)"></iframe>x`, `x`},
		{`<object data="https://evil.example/x.swf"><embed src="https://evil.example/x.swf"></object>x`, `x`},
		{`<svg onload=alert(1)><a xlink:href="javascript:alert(1)">x</a></svg>`, `x`},
		{`<!-- <script>alert(1)</script> --><p>after</p>`, `<p>after</p>`},
	}
	for _, tt := range tests {
		if got := HTML(tt.in); got != tt.want {
			t.Errorf("HTML(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

// TestHTMLKeeps: what the policy is for stays: formatting, links (as
// given, without rel="nofollow"), images, tables, figures, plain classes,
// mailto links, video embeds.
func TestHTMLKeeps(t *testing.T) {
	for _, in := range []string{
		`<p class="lead">Hello <b>bold</b> <a href="https://news.example/a">a</a></p>`,
		`<figure><img src="https://news.example/p.jpg" alt="A photo"/><figcaption>Caption</figcaption></figure>`,
		`<table><tr><td colspan="2">x</td></tr></table>`,
		`<a href="mailto:a@example.org">mail</a>`,
		`<a href="/relative">relative</a>`,
		`<iframe src="https://www.youtube.com/embed/x" width="640" allowfullscreen=""></iframe>`,
		`<iframe src="https://player.vimeo.com/video/1"></iframe>`,
		`Tom &amp; Jerry&#39;s &#34;show&#34; &lt;3`,
	} {
		if got := HTML(in); got != in {
			t.Errorf("HTML(%q)\n got %q", in, got)
		}
	}
}

// FuzzHTML: whatever comes in, no script element, event handler or
// script URL comes out, and the output is the policy's fixed point.
//
//	go test -run '^$' -fuzz '^FuzzHTML$' -fuzztime 30s ./fetcher/sanitize/
func FuzzHTML(f *testing.F) {
	f.Add(`<scr<script>ipt>alert(1)</scr</script>ipt>`)
	f.Add(`<a href="jav&#x09;ascript:alert(1)">x</a>`)
	f.Add(`<img """><script>alert(1)</script>">`)
	f.Add(`<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>`)
	f.Fuzz(func(t *testing.T, in string) {
		out := HTML(in)
		low := strings.ToLower(out)
		if strings.Contains(low, "<script") || eventAttr.MatchString(low) || strings.Contains(low, `="javascript:`) {
			t.Errorf("HTML(%q) = %q", in, out)
		}
		if again := HTML(out); again != out {
			t.Errorf("HTML(%q) = %q, and again %q", in, out, again)
		}
	})
}

// TestEmbedAllowed: iframes only from the players, and only when the path
// stays in the player's folder once a browser resolves it.
func TestEmbedAllowed(t *testing.T) {
	for _, tt := range []struct {
		src  string
		kept bool
	}{
		{"https://www.youtube.com/embed/abc123", true},
		{"https://youtube-nocookie.com/embed/abc123", true},
		{"https://player.vimeo.com/video/42/", true},
		{"http://www.youtube.com/embed/abc123", false},
		{"https://evil.example/embed/abc123", false},
		{"https://www.youtube.com/watch?v=abc123", false},
		{"https://www.youtube.com/embed/x/../../watch", false},
		{"https://www.youtube.com/embed/./x", false},
		{"https://www.youtube.com/embed/x/%2e%2e/%2e%2e/evil", false},
		{"https://www.youtube.com/embed/x%2F..%2Fevil", false},
		{"https://www.youtube.com/embed/x%5c..%5cevil", false},
	} {
		if got := EmbedAllowed(tt.src); got != tt.kept {
			t.Errorf("EmbedAllowed(%q) = %v, want %v", tt.src, got, tt.kept)
		}
	}
}

// TestIsPixel: declared 1×1 (or smaller, one side may be missing) or from
// a pixel host; a percentage or an unreadable size hides nothing.
func TestIsPixel(t *testing.T) {
	for _, tt := range []struct {
		w, h, host string
		pixel      bool
	}{
		{"1", "1", "news.example", true},
		{"0", "", "news.example", true},
		{"", "1px", "news.example", true},
		{" 1 ", "1", "", true},
		{"", "", "news.example", false},
		{"1", "100", "news.example", false},
		{"1", "100%", "news.example", false},
		{"1", "x", "news.example", true}, // x is unknown: the other side decides
		{"1%", "1%", "news.example", false},
		{"640", "480", "pixel.wp.com", true},
		{"", "", "Stats.WordPress.com.", true},
		{"", "", "wordpress.com", false},
	} {
		if got := IsPixel(tt.w, tt.h, tt.host); got != tt.pixel {
			t.Errorf("IsPixel(%q, %q, %q) = %v, want %v", tt.w, tt.h, tt.host, got, tt.pixel)
		}
	}
}
