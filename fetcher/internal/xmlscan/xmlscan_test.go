package xmlscan

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

// TestHasControl: the word-at-a-time scan finds every C0 control but
// tab, newline and carriage return, at every offset, and nothing else.
func TestHasControl(t *testing.T) {
	for c := 0; c < 256; c++ {
		want := c < 0x20 && c != '\t' && c != '\n' && c != '\r'
		for n := 1; n <= 19; n++ {
			for at := 0; at < n; at++ {
				b := []byte(strings.Repeat("a\n\x7f\xff", 5)[:n])
				b[at] = byte(c)
				if got := HasControl(b); got != want {
					t.Fatalf("HasControl(%q) = %v, want %v", b, got, want)
				}
			}
		}
	}
}
