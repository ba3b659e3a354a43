package xmlscan

import (
	"bytes"
	"encoding/binary"
	"strings"
	"unicode/utf8"
)

// SkipMarkup returns the index just past the comment, directive,
// processing instruction or end tag that starts at b[at] ("<!", "<?" or
// "</"); ok is false where the lexer gives up.
func SkipMarkup(b []byte, at int) (next int, ok bool) {
	rest := b[at:]
	switch {
	case bytes.HasPrefix(rest, []byte("<!--")):
		k := bytes.Index(b[at+4:], []byte("--"))
		if k < 0 || at+4+k+2 >= len(b) || b[at+4+k+2] != '>' {
			return 0, false
		}
		return at + 4 + k + 3, true
	case bytes.HasPrefix(rest, []byte("<![")):
		return 0, false
	case bytes.HasPrefix(rest, []byte("<!")):
		end, ok := directiveEnd(b, at+3)
		return end + 1, ok
	case bytes.HasPrefix(rest, []byte("<?")):
		k := bytes.Index(b[at+2:], []byte("?>"))
		if k < 0 || !UTF8Decl(b[at+2:at+2+k]) {
			return 0, false
		}
		return at + 2 + k + 2, true
	}
	k := bytes.IndexByte(b[at+2:], '>') // an end tag
	if k < 0 || bytes.IndexByte(b[at+2:at+2+k], '<') >= 0 {
		return 0, false
	}
	return at + 2 + k + 1, true
}

// TagEnd returns the index of the '>' that closes the start tag whose
// name begins at i: quoted attribute values may hold '>'; a '<' anywhere
// in the tag is refused (encoding/xml rejects it too).
func TagEnd(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] < utf8.RuneSelf && !NameByte(b[i]) {
		return 0, false
	}
	for i < len(b) {
		switch c := b[i]; c {
		case '>':
			return i, true
		case '<':
			return 0, false
		case '"', '\'':
			k := bytes.IndexByte(b[i+1:], c)
			if k < 0 || bytes.IndexByte(b[i+1:i+1+k], '<') >= 0 {
				return 0, false
			}
			i += 1 + k + 1
		default:
			i++
		}
	}
	return 0, false
}

// TagName is the element name at the start of a start tag's bytes.
func TagName(tag []byte) []byte {
	n := 0
	for n < len(tag) && (tag[n] >= utf8.RuneSelf || NameByte(tag[n])) {
		n++
	}
	return tag[:n]
}

// directiveEnd returns the index of the '>' that closes a <!...>
// directive whose scan starts at i (encoding/xml takes the byte after
// "<!" without looking at it): the first '>' outside quotes. A '<' outside
// quotes (nesting, an internal DTD subset) is refused.
func directiveEnd(b []byte, i int) (int, bool) {
	var quote byte
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '>':
			return i, true
		case c == '<':
			return 0, false
		case c == '"' || c == '\'':
			quote = c
		}
	}
	return 0, false
}

// UTF8Decl reports whether a processing instruction (its bytes between
// "<?" and "?>") leaves the document in UTF-8: encoding/xml switches
// charset at any <?xml?> whose encoding is not utf-8.
func UTF8Decl(pi []byte) bool {
	if !bytes.HasPrefix(pi, []byte("xml")) || len(pi) > 3 && (pi[3] >= utf8.RuneSelf || NameByte(pi[3])) {
		return true // another target
	}
	enc := declaredEncoding(string(pi[3:]))
	return enc == "" || strings.EqualFold(enc, "utf-8")
}

// declaredEncoding returns the encoding named in the bytes of an XML
// declaration after "xml", as the decoder reads it: the value after the
// first "encoding=" that is followed by a quote, up to the same quote
// again; "" when there is none.
func declaredEncoding(decl string) string {
	const key = "encoding="
	rest := decl
	for {
		k := strings.Index(rest, key)
		if k < 0 || k+len(key) >= len(rest) {
			return ""
		}
		rest = rest[k+len(key):]
		q := rest[0]
		rest = rest[1:]
		if q != '"' && q != '\'' {
			continue
		}
		v, _, ok := strings.Cut(rest, string(q))
		if !ok {
			return ""
		}
		return v
	}
}

// IsSpace reports whether b is XML white space only.
func IsSpace(b []byte) bool {
	for _, c := range b {
		if !IsSpaceByte(c) {
			return false
		}
	}
	return true
}

// IsSpaceByte reports whether c is XML white space.
func IsSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// NameByte reports whether the ASCII byte c may appear in an XML name
// as the decoder reads names: letters, digits and _ : . -
func NameByte(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return c == '_' || c == ':' || c == '.' || c == '-'
}

// HasControl reports whether b holds a C0 control byte other than tab,
// newline and carriage return (gofeed drops those before its XML decoder
// sees them, so the lexer would not follow the decoder there).
func HasControl(b []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for len(b) >= 8 {
		// Nonzero exactly when one of the eight bytes is below 0x20; only
		// then are they looked at one by one.
		if x := binary.LittleEndian.Uint64(b); (x-ones*0x20)&^x&highs != 0 && controlIn(b[:8]) {
			return true
		}
		b = b[8:]
	}
	return controlIn(b)
}

func controlIn(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return true
		}
	}
	return false
}
