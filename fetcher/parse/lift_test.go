package parse

import (
	"bytes"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/fetcher/internal/testfeeds"
	"github.com/feedmill/feedmill/fetcher/parse/lift"
	"github.com/mmcdole/gofeed"
)

// sameAsWhole checks the lifting's one promise on body: Feed's answer
// (with sections of minBytes or more lifted) is gofeed's on the body as it
// came — the same feed, hints and error. It returns whether the lifted
// parse was the one used.
func sameAsWhole(t *testing.T, name string, body []byte, minBytes int) (lifted bool) {
	t.Helper()
	want, wantHints, wantErr := parseWhole(body)
	got, gotHints, ok := parseLifted(body, minBytes)
	if !ok {
		return false
	}
	if wantErr != nil {
		t.Fatalf("%s: lifted parse succeeded, whole parse failed: %v\n%q", name, wantErr, body)
	}
	if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotHints, wantHints) {
		t.Fatalf("%s: lifted parse differs from the whole parse\nlifted: %s\nwhole:  %s\nbody: %q",
			name, feedDump(got, gotHints), feedDump(want, wantHints), body)
	}
	for i := range got.Items {
		// The image-scan sentinels compare by address (image.go).
		if got.Items[i].Image != want.Items[i].Image && (isScanSentinel(got.Items[i].Image) || isScanSentinel(want.Items[i].Image)) {
			t.Fatalf("%s: item %d: image scan mark differs", name, i)
		}
	}
	return true
}

func isScanSentinel(img *gofeed.Image) bool {
	return img == scanContentImage || img == scanDescriptionImage || img == scanBothImages
}

func feedDump(f *gofeed.Feed, h Hints) string {
	var b strings.Builder
	fmt.Fprintf(&b, "hints %+v\n", h)
	if f == nil {
		return b.String() + "<nil>"
	}
	fmt.Fprintf(&b, "title %q description %q\n", f.Title, f.Description)
	for i, it := range f.Items {
		fmt.Fprintf(&b, "item %d: title %q description %q content %q ext %v custom %v\n", i, it.Title, it.Description, it.Content, it.Extensions, it.Custom)
	}
	return b.String()
}

// cdataBody is a section long enough to be lifted at lift.MinBytes, with
// what a CDATA section may hold verbatim: markup, entities that stay
// undecoded, CRLF, "]]" and "<![CDATA[" that are only text.
var cdataBody = "<p>Story text with <a href=\"https://example.org/?a=1&amp;b=2\">a link</a> &amp; an entity, " +
	"a CRLF\r\nline, ]] brackets, a <![CDATA[ that is only text, and é ünïcödé — " +
	strings.Repeat("more words of the story ", 6) + "</p>\n"

// escBody is an item body as escaped text (the Guardian's way), with
// entities gofeed decodes in its own ways: never lifted (only CDATA
// sections are), always parsed as gofeed parses it.
var escBody = "&lt;p&gt;Story text with &lt;a href=&quot;https://example.org/?a=1&amp;amp;copy=2&quot;&gt;a link&lt;/a&gt;, " +
	"&nbsp;&eacute;&#8217;&#x2019; &copy=2; AT&T &amp x; and é ünïcödé — " + strings.Repeat("more words of the story ", 6) + "&lt;/p&gt;"

func liftDoc(prolog, channelExtra, items string) string {
	return prolog + `<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>T</title><link>https://example.org/</link>` + channelExtra + items + `
</channel></rss>`
}

func liftItem(n int, inner string) string {
	return fmt.Sprintf("\n<item><title>Item %d</title><link>https://example.org/%d</link><guid>g%d</guid>%s</item>", n, n, n, inner)
}

func cd(s string) string { return "<![CDATA[" + s + "]]>" }

// TestLiftCDATA: bodies that are lifted give gofeed's own answer, and
// everything the lexer must not take for a whole-element CDATA section is
// left alone (or is caught by the restore and parsed whole).
func TestLiftCDATA(t *testing.T) {
	decl := `<?xml version="1.0" encoding="UTF-8"?>` + "\n"
	cases := []struct {
		name   string
		body   string
		lifted int // sections Lift takes out; -1: its lexer gives up (lift's tests)
		used   bool
	}{
		{"wordpress", liftDoc(decl, "<description>"+cd(cdataBody)+"</description>",
			liftItem(1, "<description>"+cd(cdataBody)+"</description><content:encoded>"+cd(cdataBody+"one")+"</content:encoded>")+
				liftItem(2, "\n <content:encoded>\n\t"+cd(" "+cdataBody+"two ")+"\n </content:encoded>")), 4, true},
		{"no prolog, BOM", "\ufeff" + liftDoc("", "", liftItem(1, "<description>"+cd(cdataBody)+"</description>")), 1, true},
		{"simple doctype", liftDoc(decl+`<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">`+"\n", "",
			liftItem(1, "<description>"+cd(cdataBody)+"</description>")), 1, true},
		{"uppercase names", liftDoc(decl, "", liftItem(1, "<DESCRIPTION>"+cd(cdataBody)+"</DESCRIPTION>")), 1, true},
		{"rdf", decl + `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
<channel rdf:about="https://example.org/"><title>T</title><link>https://example.org/</link><description>` + cd(cdataBody) + `</description></channel>
<item rdf:about="https://example.org/1"><title>One</title><link>https://example.org/1</link><description>` + cd(cdataBody) + `</description></item>
</rdf:RDF>`, 2, true},
		{"quoted > in attributes, comments and PIs around", liftDoc(decl+"<?xml-stylesheet href=\"a.xsl?x>y\"?>\n<!-- <description><![CDATA[ not a section ]]></description> -->\n", "",
			liftItem(1, `<category domain="a>b">c</category><description>`+cd(cdataBody)+`</description><!-- c --><?pi <![CDATA[ ?>`)), 1, true},
		{"section ending in ]", liftDoc(decl, "", liftItem(1, "<description>"+cd(cdataBody+"]")+"</description>")), 1, true},
		{"escaped text is not lifted", liftDoc(decl, "<description>"+escBody+"</description>",
			liftItem(1, "<description>"+escBody+"</description><content:encoded>"+cd(cdataBody)+"</content:encoded>")), 1, true},
		{"markup in the text", liftDoc(decl, "", liftItem(1, "<description>"+escBody+" <b>bold</b></description>")), 0, false},
		{"]]> in the text", liftDoc(decl, "", liftItem(1, "<description>"+escBody+" ]]> </description>")), 0, false},
		{"&#0; in the text", liftDoc(decl, "", liftItem(1, "<description>"+escBody+" &#0; </description>")), 0, false},
		{"&#xFFFE; in the text", liftDoc(decl, "", liftItem(1, "<description>"+escBody+" &#xFFFE; </description>")), 0, false},
		{"&#x1f; in the text", liftDoc(decl, "", liftItem(1, "<description>"+escBody+" &#x1f; </description>")), 0, false},
		{"short sections stay", liftDoc(decl, "", liftItem(1, "<description>"+cd("short")+"</description>")), 0, false},

		// Not whole-element sections: left in place.
		{"text before the section", liftDoc(decl, "", liftItem(1, "<description>intro "+cd(cdataBody)+"</description>")), 0, false},
		{"text after the section", liftDoc(decl, "", liftItem(1, "<description>"+cd(cdataBody)+" outro</description>")), 0, false},
		{"two sections", liftDoc(decl, "", liftItem(1, "<description>"+cd(cdataBody)+cd(cdataBody)+"</description>")), 0, false},
		{"comment before the section", liftDoc(decl, "", liftItem(1, "<description><!-- x -->"+cd(cdataBody)+"</description>")), 0, false},
		{"title is not lifted", liftDoc(decl, "", liftItem(1, "<dc:subject>"+cd(cdataBody)+"</dc:subject>")), 0, false},

		// Lifted, but gofeed reads the element elsewhere: the restore
		// refuses and the body is parsed whole.
		{"extension description", liftDoc(decl, "", liftItem(1, "<media:description>"+cd(cdataBody)+"</media:description>")), 0, false},
		{"encoded of another prefix", liftDoc(decl, "", liftItem(1, `<foo:encoded xmlns:foo="urn:x">`+cd(cdataBody)+"</foo:encoded>")), 0, false},
		{"image description", liftDoc(decl, `<image><url>https://example.org/i.png</url><title>T</title><link>https://example.org/</link><description>`+cd(cdataBody)+`</description></image>`, liftItem(1, "")), 1, false},
		{"description inside an unknown element", liftDoc(decl, "", liftItem(1, "<foo><description>"+cd(cdataBody)+"</description></foo>")), 1, false},
		{"two descriptions in one item", liftDoc(decl, "", liftItem(1, "<description>"+cd(cdataBody)+"</description><description>"+cd(cdataBody+"2")+"</description>")), 2, false},
		{"atom inside rss", liftDoc(decl, "", liftItem(1, `<atom:content xmlns:atom="http://www.w3.org/2005/Atom"><description>`+cd(cdataBody)+`</description></atom:content>`)), 1, false},

		// A feed spelling a marker with character references (gofeed
		// decodes them) cannot take a lifted section's place: the nonce
		// differs, and a stray marker start makes the restore fail.
		{"forged marker in the channel", liftDoc(decl, "<description>&#xFDD0;0&#xFDD1;</description>",
			liftItem(1, "<foo><description>"+cd(cdataBody)+"</description></foo>")), 1, false},
		{"forged marker, decimal", liftDoc(decl, "", liftItem(1, "<description>&#64976;0&#64977;</description><foo><description>"+cd(cdataBody)+"</description></foo>")), 1, false},
		{"forged marker over a duplicate", liftDoc(decl, "", liftItem(1, "<description>"+cd(cdataBody)+"</description><description>&#x0FDD0;0&#xfdd1;</description>")), 1, false},
		{"forged marker around a section", liftDoc(decl, "", liftItem(1, "<description>"+cd(cdataBody)+"</description><description>&#xFDD0;<![CDATA[0]]>&#xFDD1;</description>")), 1, false},
		{"forged marker beside a real one", liftDoc(decl, "<description>&#xFDD0;0&#xFDD1;</description>",
			liftItem(1, "<content:encoded>"+cd(cdataBody)+"</content:encoded>")), 1, false},

		// What the lexer does not model: it gives up.
		{"another charset", liftDoc(`<?xml version="1.0" encoding="ISO-8859-1"?>`, "", liftItem(1, "<description>"+cd(cdataBody)+"</description>")), -1, false},
		{"marker text in the feed", liftDoc(decl, "<description>\ufdd0"+"0\ufdd1</description>", liftItem(1, "<description>"+cd(cdataBody)+"</description>")), -1, false},
		{"control byte", liftDoc(decl, "", liftItem(1, "<description>"+cd(cdataBody+"\x01")+"</description>")), -1, false},
		{"U+FFFE in the section", liftDoc(decl, "", liftItem(1, "<description>"+cd(cdataBody+"\ufffe")+"</description>")), 0, false},
		{"invalid UTF-8 in the section", liftDoc(decl, "", liftItem(1, "<description>"+cd(cdataBody+"\xff")+"</description>")), 0, false},
		{"internal DTD subset", liftDoc(decl+`<!DOCTYPE rss [<!ENTITY x "y">]>`, "", liftItem(1, "<description>"+cd(cdataBody)+"</description>")), -1, false},
		{"section start in an attribute", liftDoc(decl, "", liftItem(1, `<category a="<![CDATA[">x</category><description>`+cd(cdataBody)+"</description>")), -1, false},
		{"bad comment", liftDoc(decl, "<!-- a -- b -->", liftItem(1, "<description>"+cd(cdataBody)+"</description>")), -1, false},
		{"unterminated section", liftDoc(decl, "", liftItem(1, "<description><![CDATA["+cdataBody+"</description>")), -1, false},
		{"atom feed", decl + `<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry><title>E</title><id>e</id><summary type="html">` + cd(cdataBody) + `</summary><content type="html">` + cd(cdataBody) + `</content></entry></feed>`, -1, false},
		{"json feed", `{"version":"https://jsonfeed.org/version/1.1","title":"<rss><channel><item><description>` + cd(cdataBody) + `</description></item></channel></rss>","items":[]}`, -1, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := []byte(c.body)
			small, _, ok := lift.Lift(body, lift.MinBytes)
			n := bytes.Count(small, []byte("\ufdd0")) // the markers' start
			if !ok && c.lifted > 0 {
				t.Errorf("nothing lifted, want %d sections", c.lifted)
			}
			if max(c.lifted, 0) != n {
				t.Errorf("lifted %d sections, want %d", n, c.lifted)
			}
			if used := sameAsWhole(t, c.name, body, lift.MinBytes); used != c.used {
				t.Errorf("lifted parse used: %v, want %v", used, c.used)
			}
			feed, _, err := Feed(body, Options{})
			want, _, wantErr := parseWhole(body)
			if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
				t.Fatalf("Feed error %v, whole parse %v", err, wantErr)
			}
			if err == nil && !reflect.DeepEqual(feed, want) {
				t.Fatalf("Feed differs from the whole parse")
			}
		})
	}
}

// TestLiftCDATASharedFeeds runs every shared test feed (as UTF-8) through the lifted parse with every CDATA section
// lifted, however short, and compares it with the whole parse.
func TestLiftCDATASharedFeeds(t *testing.T) {
	used := map[string]bool{}
	for _, p := range testfeeds.Files(t) {
		body := testfeeds.Body(t, p)
		if sameAsWhole(t, p, body, 1) {
			used[filepath.Base(p)] = true
		}
	}
	t.Logf("%d files parsed lifted", len(used))
	for _, f := range []string{"content-encoded.rss", "wapowellness.xml", "craigslist.rss", "rss-with-relative-urls.xml"} {
		if !used[f] {
			t.Errorf("%s: not parsed lifted", f)
		}
	}
}

// FuzzLiftCDATA: for any body, the lifted parse (every section lifted)
// is either refused or gofeed's own answer on the body as it came.
//
//	go test -run '^$' -fuzz '^FuzzLiftCDATA$' -fuzztime 30s ./fetcher/parse/
func FuzzLiftCDATA(f *testing.F) {
	for _, p := range testfeeds.Files(f) {
		if body := testfeeds.Body(f, p); bytes.Contains(body, []byte("CDATA")) {
			f.Add(body)
		}
	}
	f.Add([]byte(liftDoc("", "", liftItem(1, "<description>"+cd("x")+"</description><content:encoded>"+cd("<p>y</p>")+"</content:encoded>"))))
	f.Add([]byte(liftDoc("", "", liftItem(1, "<description>"+escBody+" &#0; &#x41;</description>"))))
	f.Fuzz(func(t *testing.T, body []byte) {
		sameAsWhole(t, "fuzz", body, 1)
	})
}
