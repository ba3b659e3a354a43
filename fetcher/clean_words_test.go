package fetcher

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

// checkCleanWords: the words the cleaning pass takes on the way are the
// words wordHashes reads from its output, whenever the pass says it has
// them.
func checkCleanWords(t *testing.T, in string, base *url.URL) {
	t.Helper()
	var rules []string
	out, _, words, ok := cleanBodyWords(in, base, &rules, nil)
	if !ok {
		return
	}
	want := wordHashes(nil, out, maxFingerprintWords, true)
	if !slices.Equal(words, want) {
		t.Errorf("cleanBodyWords(%q) = %q: %d words, its output has %d", in, out, len(words), len(want))
	}
}

func TestCleanWords(t *testing.T) {
	base, _ := url.Parse("https://news.example/2025/story.html")
	long := strings.Repeat("<p>Ünïcödé wörds, digits 2025 and AT&amp;T's &lt;tags&gt;. </p>", 1200) // > maxFingerprintWords
	for _, in := range []string{
		"",
		"plain text, no markup",
		"<p>Tom &amp; Jerry&#39;s <b>show</b> ÉTÉ 2024 — naïve café</p>",
		"foo<span>bar</span>baz",        // kept inline tags separate
		"foo<blink>bar</blink>baz",      // unknown element: its tags go, the words join
		"foo<!-- comment -->bar",        // comments go: one word
		"foo<script>x()</script>bar",    // skipped content: one word
		"foo<a>bar</a>baz",              // <a> without href is dropped
		"foo<nav>Read more: x</nav>bar", // a block not allowed, its line cut
		"<p>First.</p><p><strong>READ MORE:</strong> <a href=\"/other\">Other story</a></p><p>Second.</p>",
		"story text<br>READ MORE: other<br>more text",
		"<div><p>Related: a, b</p></div>after",
		"<div>keep<p>Share this:</p></div>",
		"x<form>Share this:</form>y",
		"<p>a\rb\"c'd</p>",
		"<img src=x>word<img src=y>",
		long,
		long + "<p>Read more: the end</p>",
		"<p>" + strings.Repeat("w ", maxFingerprintWords-2) + "</p><p>READ MORE: x y z</p><p>tail words here</p>",
		"<p>" + strings.Repeat("w ", maxFingerprintWords+3) + "</p>",
	} {
		checkCleanWords(t, in, base)
	}
}

// TestCleanWordsSharedFeeds: the same on every body of the shared test
// feeds.
func TestCleanWordsSharedFeeds(t *testing.T) {
	forSharedBodies(t, func(in string, base *url.URL) { checkCleanWords(t, cleanText(in), base) })
}

// FuzzCleanWords: for any body, the words the pass takes are the
// output's.
//
//	go test -run '^$' -fuzz '^FuzzCleanWords$' -fuzztime 30s ./fetcher/
func FuzzCleanWords(f *testing.F) {
	for _, v := range xssVectors {
		f.Add(v)
	}
	f.Add(`<p>First.</p><p><strong>READ MORE:</strong> <a href="/other">Other story</a></p><p>Second.</p>`)
	f.Add("foo<blink>bar</blink>baz<nav>Share this:</nav>qux &amp; ÄÖ")
	f.Add("<div>Related: <b>x</b><br>Follow us on Twitter<br>text</div>tail")
	base, _ := url.Parse("https://news.example/2025/story.html")
	f.Fuzz(func(t *testing.T, in string) {
		checkCleanWords(t, in, base)
		checkCleanWords(t, cleanText(in), base)
	})
}
