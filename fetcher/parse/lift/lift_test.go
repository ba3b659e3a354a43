package lift

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// decoderEncoding returns the charset a non-strict encoding/xml decoder
// switches to for the declaration <?xml decl?> ("" when it does not).
func decoderEncoding(decl string) string {
	var got string
	d := xml.NewDecoder(strings.NewReader("<?xml" + decl + "?><a/>"))
	d.Strict = false
	d.CharsetReader = func(charset string, r io.Reader) (io.Reader, error) {
		got = charset
		return r, nil
	}
	for {
		if _, err := d.Token(); err != nil {
			return got
		}
	}
}

// TestDeclaredEncoding: declaredEncoding reads a declaration's encoding
// as encoding/xml does (which switches charset for anything but utf-8).
func TestDeclaredEncoding(t *testing.T) {
	for _, decl := range []string{
		` version="1.0" encoding="UTF-8"`,
		` version="1.0" encoding='iso-8859-1'`,
		` version="1.0" encoding=utf-8`,
		` version="1.0" encoding="windows-1252`,
		` version="1.0" encoding=encoding="koi8-r"`,
		` version="1.0" encoding= "koi8-r" encoding="koi8-u"`,
		` version="1.0" encoding=`,
		` version="1.0"`,
	} {
		got, want := declaredEncoding(decl), decoderEncoding(decl)
		if want == "" && strings.EqualFold(got, "utf-8") {
			continue // the decoder does not call CharsetReader for utf-8
		}
		if got != want {
			t.Errorf("declaredEncoding(%q) = %q, encoding/xml switches to %q", decl, got, want)
		}
	}
}

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
