package fetcher

import (
	"bytes"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// checkRawAttrs: for every start tag of in that rawAttrs reads, it reads
// what TagAttr returns; it returns how many tags it read and how many
// there were.
func checkRawAttrs(t *testing.T, in string) (read, tags int) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(in))
	c := new(cleaner)
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return read, tags
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tags++
		raw := bytes.Clone(z.Raw())
		ok := c.rawAttrs(raw)
		var want []attrKV
		for {
			k, v, more := z.TagAttr()
			if k == nil {
				break
			}
			want = append(want, attrKV{k, v})
			if !more {
				break
			}
		}
		if !ok {
			continue
		}
		read++
		same := len(c.attrs) == len(want)
		for i := 0; same && i < len(want); i++ {
			same = bytes.Equal(c.attrs[i].key, want[i].key) && bytes.Equal(c.attrs[i].val, want[i].val)
		}
		if !same {
			t.Errorf("rawAttrs(%q) = %q, TagAttr: %q", raw, c.attrs, want)
		}
	}
}

var rawAttrCases = []string{
	`<a href="x">`, `<a href='x' title=y>`, `<a href=x/>`, `<br/>`, `<img src=x />`, `<p a=/>`,
	`<a =b>`, `<a ==b>`, `<a b c d=e>`, `<a b = "c" >`, `<a b= c>`, `<a b=>`, `<a b= >`, `<a/b=c>`, `<a b/c>`,
	`<a href="x" href="y">`, `<a HREF="x" href="y">`, `<a href="a&amp;b">`, "<a href=\"a\rb\">", "<a h\x00=x>",
	`<a b="c>d">`, `<a b='c"d'>`, "<a\tb=c\fd=e\n>", `<a	b=c>`, `<a b='c>`, `<a"b"=c>`, `<a b=c"d>`,
	`<div class="x y" id=z data-x="1">`, `<a b=c/ d=e/>`, `<a/>`, `<a />`, `<a / >`, `<a//>`, `<a b//>`,
	`<a b=""c=d>`, `<a b=''=c>`, `<img src="x.jpg"width=1 height=1>`,
}

func TestRawAttrs(t *testing.T) {
	read, tags := 0, 0
	for _, in := range append(rawAttrCases, xssVectors...) {
		r, n := checkRawAttrs(t, in)
		read, tags = read+r, tags+n
	}
	forSharedBodies(t, func(in string, _ *url.URL) {
		r, n := checkRawAttrs(t, in)
		read, tags = read+r, tags+n
	})
	t.Logf("rawAttrs read %d of %d tags", read, tags)
	if read < tags/2 {
		t.Errorf("rawAttrs read only %d of %d tags", read, tags)
	}
}

// FuzzRawAttrs: whatever rawAttrs reads, TagAttr returns.
//
//	go test -run '^$' -fuzz '^FuzzRawAttrs$' -fuzztime 60s ./fetcher/
func FuzzRawAttrs(f *testing.F) {
	for _, v := range append(rawAttrCases, xssVectors...) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkRawAttrs(t, in)
		checkRawAttrs(t, "<a "+in+">")
	})
}
