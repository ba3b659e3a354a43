package fetcher

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"
)

// sameAsWhole checks the lifting's one promise on body: parseFeed's answer
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

func feedDump(f *gofeed.Feed, h feedHints) string {
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

// cdataBody is a section long enough to be lifted at liftMinBytes, with
// what a CDATA section may hold verbatim: markup, entities that stay
// undecoded, CRLF, "]]" and "<![CDATA[" that are only text.
var cdataBody = "<p>Story text with <a href=\"https://example.org/?a=1&amp;b=2\">a link</a> &amp; an entity, " +
	"a CRLF\r\nline, ]] brackets, a <![CDATA[ that is only text, and é ünïcödé — " +
	strings.Repeat("more words of the story ", 6) + "</p>\n"

// escBody is an item body as escaped text (the Guardian's way), with the
// entities gofeed's DecodeEntities treats in its own ways: HTML names
// encoding/xml does not know, numeric references, a query string that
// only looks like one, a lone ampersand.
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
		lifted int // sections liftCDATA takes out; -1: it gives up
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
		// Escaped text, the element's whole content: gofeed decodes it
		// (its DecodeEntities), and so does the restore.
		{"escaped description", liftDoc(decl, "", liftItem(1, "<description>\n  "+escBody+"  \n</description>")), 1, true},
		{"escaped content and channel description", liftDoc(decl, "<description>"+escBody+"</description>",
			liftItem(1, "<content:encoded>"+escBody+"</content:encoded>")), 2, true},
		{"escaped and CDATA in one item", liftDoc(decl, "", liftItem(1, "<description>"+escBody+"</description><content:encoded>"+cd(cdataBody)+"</content:encoded>")), 2, true},
		{"references encoding/xml leaves alone", liftDoc(decl, "", liftItem(1, "<description>"+escBody+" &#X41; &#99999999999; &#xD800; &#9; &#; &#x; &#12</description>")), 1, true},
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
			_, lifted, ok := liftCDATA(body, liftMinBytes)
			n := len(lifted.sections)
			if !ok {
				n = -1
				if len(lifted.sections) > 0 || findLiftableOK(body) {
					n = 0 // it looked and found nothing
				}
			}
			if n != c.lifted {
				t.Errorf("lifted %d sections, want %d", n, c.lifted)
			}
			if used := sameAsWhole(t, c.name, body, liftMinBytes); used != c.used {
				t.Errorf("lifted parse used: %v, want %v", used, c.used)
			}
			feed, _, err := parseFeed(body)
			want, _, wantErr := parseWhole(body)
			if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
				t.Fatalf("parseFeed error %v, whole parse %v", err, wantErr)
			}
			if err == nil && !reflect.DeepEqual(feed, want) {
				t.Fatalf("parseFeed differs from the whole parse")
			}
		})
	}
}

// findLiftableOK reports whether the lexer follows body to its end.
func findLiftableOK(body []byte) bool {
	if bytes.Contains(body, []byte(liftMarkOpen)) || hasBadControl(body) {
		return false
	}
	_, ok := findLiftable(body, liftMinBytes)
	return ok
}

// TestLiftCDATASharedFeeds runs every shared test feed (as toUTF8 gives
// it to parseFeed) through the lifted parse with every CDATA section
// lifted, however short, and compares it with the whole parse.
func TestLiftCDATASharedFeeds(t *testing.T) {
	used := map[string]bool{}
	for _, p := range sharedFeedFiles(t) {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		body := toUTF8(raw, fileHeaders(raw).Get("Content-Type"))
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
//	go test -run '^$' -fuzz '^FuzzLiftCDATA$' -fuzztime 30s ./fetcher/
func FuzzLiftCDATA(f *testing.F) {
	for _, p := range sharedFeedFiles(f) {
		raw, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if bytes.Contains(raw, []byte("CDATA")) {
			f.Add(toUTF8(raw, fileHeaders(raw).Get("Content-Type")))
		}
	}
	f.Add([]byte(liftDoc("", "", liftItem(1, "<description>"+cd("x")+"</description><content:encoded>"+cd("<p>y</p>")+"</content:encoded>"))))
	f.Add([]byte(liftDoc("", "", liftItem(1, "<description>"+escBody+" &#0; &#x41;</description>"))))
	f.Fuzz(func(t *testing.T, body []byte) {
		sameAsWhole(t, "fuzz", body, 1)
	})
}

// TestXMLTextMatchesDecoder: xmlText says a text is fine exactly when a
// non-strict encoding/xml decoder (gofeed's) reads it as an element's
// content without an error: every string of up to four symbols over the
// bytes that matter to references and "]]>", and long references.
func TestXMLTextMatchesDecoder(t *testing.T) {
	decodes := func(s string) bool {
		d := xml.NewDecoder(strings.NewReader("<a>" + s + "</a>"))
		d.Strict = false
		for {
			_, err := d.Token()
			if err == io.EOF {
				return true
			}
			if err != nil {
				return false
			}
		}
	}
	check := func(s string) {
		if got, want := xmlText([]byte(s)), decodes(s); got != want {
			t.Errorf("xmlText(%q) = %v, the decoder reads it: %v", s, got, want)
		}
	}
	alphabet := []string{"&", "#", "x", "X", "0", "1", "9", "d", "F", ";", "]", ">", "\ufffe", " "}
	var gen func(prefix string, n int)
	gen = func(prefix string, n int) {
		check(prefix)
		if n == 0 {
			return
		}
		for _, a := range alphabet {
			gen(prefix+a, n-1)
		}
	}
	gen("", 4)
	for _, s := range []string{"&#0000000000000000000065;", "&#00000000000000000000000;", "&#x0000000000000000000000FFFE;",
		"&#1114111;", "&#1114112;", "&#x10FFFF;", "&#x110000;", "&#99999999999999999999999;", "&#xD800;", "&#xDFFF;",
		"&#55295;", "&#57344;", "&#65533;", "&#65534;", "&#65535;", "&#65536;", "&#8;", "&#9;", "&#10;", "&#11;", "&#13;", "&#31;", "&#32;"} {
		check(s)
		check("text " + s + " text")
	}
}
