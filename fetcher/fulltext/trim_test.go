package fulltext

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func TestTrim(t *testing.T) {
	para := "<p>The council met on Tuesday evening to decide on the repairs of the old bridge.</p>"
	in := `<div><p>By Jane Doe</p><p><a href="/">Home</a> <a href="/news">News</a></p>` + para +
		`<figure><img src="x.jpg"><figcaption>The bridge in 1920, a long caption of the photograph here.</figcaption></figure>` +
		`<ul><li><a href="/a">Another story about something else entirely here</a></li></ul>` + para +
		`<p>Short end.</p><p>More:</p><p><a href="/b">Related</a></p></div>`
	doc, err := html.Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	trim(doc)
	var b strings.Builder
	html.Render(&b, doc)
	out := b.String()
	for _, gone := range []string{"Jane Doe", "Home", "caption", "Another story", "Short end", "More:", "Related"} {
		if strings.Contains(out, gone) {
			t.Errorf("%q kept: %s", gone, out)
		}
	}
	if strings.Count(out, "The council met") != 2 || !strings.Contains(out, "x.jpg") {
		t.Errorf("story lost: %s", out)
	}
}
