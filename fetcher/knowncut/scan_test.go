package knowncut

import "testing"

// TestScan: which bodies scan follows, and the items it finds.
func TestScan(t *testing.T) {
	const head = `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>`
	for _, c := range []struct {
		name, body string
		items      int // -1: refused
	}{
		{"plain", head + `<item><title>a</title></item><item/></channel></rss>`, 2},
		{"upper case item", head + `<ITEM><title>a</title></ITEM></channel></rss>`, 1},
		{"dotted capital I", head + `<İtem><title>a</title></İtem></channel></rss>`, 1},
		{"comment and CDATA hide tags", head + `<!-- <item> --><item><description><![CDATA[</item><item>]]></description></item></channel></rss>`, 1},
		{"quoted > in an attribute", head + `<item><enclosure url="a>b" type="x"/></item></channel></rss>`, 1},
		{"nested item inside an item", head + `<item><item/></item></channel></rss>`, 1},
		{"item under the root", `<rss><channel><title>t</title></channel><item/></rss>`, -1},
		{"item in another channel child", head + `<image><item/></image></channel></rss>`, -1},
		{"prefixed item", head + `<r:item xmlns:r="http://backend.userland.com/rss2"/></channel></rss>`, -1},
		{"two channels", head + `<item/></channel><channel><item/></channel></rss>`, -1},
		{"mismatched end tag", head + `<item><title>a</titel></item></channel></rss>`, -1},
		{"unclosed", head + `<item><title>a</title></item></channel>`, -1},
		{"Atom", `<feed xmlns="http://www.w3.org/2005/Atom"><entry/></feed>`, -1},
		{"RSS 1.0", `<rdf:RDF><channel/><item/></rdf:RDF>`, -1},
		{"another charset", `<?xml version="1.0" encoding="iso-8859-1"?><rss><channel><item/></channel></rss>`, -1},
		{"internal DTD subset", `<!DOCTYPE rss [<!ENTITY e "<item/>">]><rss><channel><item>&e;</item></channel></rss>`, -1},
		{"control byte", head + "<item><title>a\x01</title></item></channel></rss>", -1},
		{"text after the root", head + `<item/></channel></rss>x`, -1},
		{"element after the root", head + `<item/></channel></rss><rss/>`, -1},
	} {
		_, items, ok := scan([]byte(c.body))
		got := len(items)
		if !ok {
			got = -1
		}
		if got != c.items {
			t.Errorf("%s: %d items (ok %v), want %d", c.name, len(items), ok, c.items)
		}
	}
}
