package lift

import (
	"strings"
	"testing"
)

// TestLiftRestore: a lifted body's sections come back whole, and a body
// with nothing to lift is left alone.
func TestLiftRestore(t *testing.T) {
	long := strings.Repeat("<p>story &amp; text</p>", 10)
	body := `<?xml version="1.0" encoding="utf-8"?><rss><channel><item><description><![CDATA[` + long + `]]></description></item></channel></rss>`
	small, _, ok := Lift([]byte(body), MinBytes)
	if !ok || len(small) >= len(body) || strings.Contains(string(small), long) {
		t.Fatalf("Lift: ok %v, %d of %d bytes left", ok, len(small), len(body))
	}
	if _, _, ok := Lift([]byte(strings.Replace(body, "utf-8", "koi8-r", 1)), MinBytes); ok {
		t.Error("lifted a body in another charset")
	}
	if _, _, ok := Lift([]byte(strings.Replace(body, "story", "st\x01ory", 1)), MinBytes); ok {
		t.Error("lifted a body with a control byte")
	}
}

// TestGivesUp: the lexer refuses what it does not model.
func TestGivesUp(t *testing.T) {
	section := "<![CDATA[" + strings.Repeat("story text ", 20) + "]]>"
	for name, body := range map[string]string{
		"internal DTD subset": `<!DOCTYPE rss [<!ENTITY x "y">]><rss><channel><item><description>` + section + `</description></item></channel></rss>`,
		"bad comment":         `<rss><channel><!-- a -- b --><item><description>` + section + `</description></item></channel></rss>`,
		"unterminated":        `<rss><channel><item><description><![CDATA[` + strings.Repeat("x", 200) + `</description></item></channel></rss>`,
		"atom":                `<feed xmlns="http://www.w3.org/2005/Atom"><entry><content>` + section + `</content></entry></feed>`,
		"text before root":    `x<rss><channel><item><description>` + section + `</description></item></channel></rss>`,
	} {
		if _, ok := findLiftable([]byte(body), MinBytes); ok {
			t.Errorf("%s: the lexer followed it", name)
		}
	}
}
