package httpclient

import (
	"bytes"
	"encoding/binary"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
	"golang.org/x/text/transform"
)

// ToUTF8 returns body as UTF-8, with an XML prolog that says so (or says
// nothing), so that gofeed, which takes the charset only from the prolog,
// decodes it exactly once.
//
// It reads the charset as the Universal Feed Parser does:
//  1. a byte order mark (UTF-8, UTF-16LE/BE, UTF-32LE/BE; also BOM-less
//     UTF-16 and UTF-32 XML);
//  2. the charset parameter of the HTTP Content-Type (RFC 3023/7303: it
//     wins over the prolog);
//  3. the prolog's encoding attribute;
//  4. an HTML page's <meta charset> or <meta http-equiv="Content-Type">;
//  5. UTF-8 when the bytes are valid UTF-8;
//  6. windows-1252 (whose bytes all mean a character) otherwise.
//
// A declared charset the bytes do not fit (invalid UTF-8, or bytes a
// multi-byte charset cannot decode) falls back the same way: never a
// U+FFFD where a byte had a meaning. One pragmatic exception: a body
// that is valid UTF-8 and not plain ASCII is taken as UTF-8 even when a
// single-byte charset is declared. Servers that label every response
// ISO-8859-1 are common, while Latin-1 text that happens to be valid
// UTF-8 is practically nonexistent; decoding such a body again would turn
// "é" into "Ã©".
//
// C0 control characters other than tab, CR and LF are removed: they make
// Go's XML decoder give up on the whole feed.
func ToUTF8(body []byte, contentType string) []byte {
	if out, ok := decodeBOM(body); ok {
		if !utf8.Valid(out) {
			out = decodeWindows1252(out)
		}
		return dropControls(fixProlog(out))
	}
	enc, name := declaredCharset(body, contentType)
	valid := -1 // utf8.Valid(body), once known: 0 or 1
	isValid := func() bool {
		if valid < 0 {
			valid = 0
			if utf8.Valid(body) {
				valid = 1
			}
		}
		return valid == 1
	}
	if name == "utf-8" && !isValid() {
		// Labelled UTF-8 but is not: a prolog or <meta> naming another
		// charset is the better guess.
		enc, name = nil, ""
		if penc, pname := lookupCharset(prologEncoding(body)); penc != nil && pname != "utf-8" {
			enc, name = penc, pname
		} else if menc, mname := lookupCharset(metaCharset(body)); menc != nil && mname != "utf-8" {
			enc, name = menc, mname
		}
	}
	if strings.HasPrefix(name, "utf-16") && len(body) >= 2 && body[0] != 0 && body[1] != 0 {
		// Labelled UTF-16, but two non-zero bytes in a row: it is not.
		enc, name = nil, ""
	}
	if enc == nil || name == "utf-8" || isASCIICompatible(name) && isValid() {
		if isValid() {
			// fixProlog changes only ASCII bytes: still valid.
			return dropControls(fixProlog(body))
		}
		return dropControls(fixProlog(decodeWindows1252(body)))
	}
	if strings.HasPrefix(name, "utf-16") {
		// Declared UTF-16 but no BOM: decodeBOM tried the XML sniff
		// already; trust the label.
		enc = unicode.UTF16(endianOf(name), unicode.IgnoreBOM)
	}
	out, _, err := transform.Bytes(enc.NewDecoder(), body)
	if err != nil || (bytes.ContainsRune(out, utf8.RuneError) && !bytes.Contains(body, replacementUTF8)) {
		// The bytes do not fit the declared charset.
		if isValid() {
			return dropControls(fixProlog(body))
		}
		out = decodeWindows1252(body)
	}
	return cleanBytes(fixProlog(out))
}

// replacementUTF8 is U+FFFD in UTF-8: a body that carries it already may
// decode to it honestly.
var replacementUTF8 = []byte("\uFFFD")

// declaredCharset is the charset the HTTP header, else the XML prolog,
// else an HTML <meta> names, with its canonical name; nil when none names
// one that is known.
func declaredCharset(body []byte, contentType string) (encoding.Encoding, string) {
	if enc, name := lookupCharset(httpCharset(contentType)); enc != nil {
		return enc, name
	}
	if enc, name := lookupCharset(prologEncoding(body)); enc != nil {
		return enc, name
	}
	return lookupCharset(metaCharset(body))
}

// decodeWindows1252 decodes b as windows-1252, the five bytes it leaves
// undefined as the C1 controls of ISO-8859-1, so every byte becomes the
// character it most likely meant.
func decodeWindows1252(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/8)
	for _, c := range b {
		if c < utf8.RuneSelf {
			out = append(out, c)
			continue
		}
		r := charmap.Windows1252.DecodeByte(c)
		if r == utf8.RuneError {
			r = rune(c)
		}
		out = utf8.AppendRune(out, r)
	}
	return out
}

func endianOf(name string) unicode.Endianness {
	if name == "utf-16be" {
		return unicode.BigEndian
	}
	return unicode.LittleEndian
}

// isASCIICompatible reports whether the named charset encodes ASCII as
// ASCII (everything WHATWG knows except UTF-16 and ISO-2022-JP, which
// shifts with escape bytes that are themselves ASCII).
func isASCIICompatible(name string) bool {
	return !strings.HasPrefix(name, "utf-16") && name != "iso-2022-jp" && name != "replacement"
}

// decodeBOM converts a body that starts with a byte order mark, or is
// UTF-16 or UTF-32 XML without one, to UTF-8.
func decodeBOM(b []byte) ([]byte, bool) {
	var enc encoding.Encoding
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return b[3:], true
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE, 0, 0}):
		// UTF-32LE (a UTF-16LE BOM followed by U+0000 is not XML).
		enc = utf32.UTF32(utf32.LittleEndian, utf32.ExpectBOM)
	case bytes.HasPrefix(b, []byte{0, 0, 0xFE, 0xFF}):
		enc = utf32.UTF32(utf32.BigEndian, utf32.ExpectBOM)
	case bytes.HasPrefix(b, []byte{'<', 0, 0, 0, '?', 0, 0, 0}):
		enc = utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM)
	case bytes.HasPrefix(b, []byte{0, 0, 0, '<', 0, 0, 0, '?'}):
		enc = utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM)
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		enc = unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM)
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		enc = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM)
	case bytes.HasPrefix(b, []byte{'<', 0, '?', 0}):
		enc = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	case bytes.HasPrefix(b, []byte{0, '<', 0, '?'}):
		enc = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	default:
		return nil, false
	}
	out, _, err := transform.Bytes(enc.NewDecoder(), b)
	if err != nil {
		return nil, false
	}
	return out, true
}

// httpCharset returns the charset parameter of a Content-Type, tolerating
// the spaces and quotes real servers put around it.
func httpCharset(ct string) string {
	if ct == "" {
		return ""
	}
	if _, params, err := mime.ParseMediaType(ct); err == nil {
		return strings.Trim(strings.TrimSpace(params["charset"]), `"'`)
	}
	for _, p := range strings.Split(ct, ";")[1:] {
		k, v, ok := strings.Cut(p, "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "charset") {
			return strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return ""
}

// lookupCharset maps a label to its WHATWG encoding and canonical name;
// nil for an empty or unknown label.
func lookupCharset(label string) (encoding.Encoding, string) {
	label = strings.Trim(strings.TrimSpace(label), `"'`)
	if label == "" {
		return nil, ""
	}
	enc, name := charset.Lookup(label)
	if enc == nil {
		return nil, ""
	}
	return enc, name
}

var (
	prologRe   = regexp.MustCompile(`^\s*<\?xml\s[^>]*?\?>`)
	encodingRe = regexp.MustCompile(`\s+encoding\s*=\s*("[^"]*"|'[^']*')`)
)

// prologEncoding returns the encoding attribute of the XML declaration.
func prologEncoding(b []byte) string {
	head := b
	if len(head) > 512 {
		head = head[:512]
	}
	p := prologRe.Find(head)
	if p == nil {
		return ""
	}
	m := encodingRe.FindSubmatch(p)
	if m == nil {
		return ""
	}
	return string(m[1][1 : len(m[1])-1])
}

// fixProlog makes the XML declaration of a UTF-8 body say UTF-8.
func fixProlog(b []byte) []byte {
	head := b
	if len(head) > 512 {
		head = head[:512]
	}
	loc := prologRe.FindIndex(head)
	if loc == nil {
		return b
	}
	p := b[loc[0]:loc[1]]
	m := encodingRe.FindSubmatchIndex(p)
	if m == nil {
		return b
	}
	if enc := strings.ToLower(string(p[m[2]+1 : m[3]-1])); enc == "utf-8" || enc == "utf8" {
		return b
	}
	out := make([]byte, 0, len(b))
	out = append(out, b[:loc[0]]...)
	out = append(out, p[:m[0]]...)
	out = append(out, ` encoding="UTF-8"`...)
	out = append(out, p[m[1]:]...)
	out = append(out, b[loc[1]:]...)
	return out
}

// cleanBytes replaces invalid UTF-8 and drops the C0 controls that XML
// forbids.
func cleanBytes(b []byte) []byte {
	if !utf8.Valid(b) {
		b = bytes.ToValidUTF8(b, []byte("\uFFFD"))
	}
	return dropControls(b)
}

// dropControls drops the C0 controls that XML forbids from the valid
// UTF-8 b (returned as it is when it has none, the common case).
func dropControls(b []byte) []byte {
	if !HasBadControl(b) {
		return b
	}
	return bytes.Map(func(r rune) rune {
		if IsBadControl(r) {
			return -1
		}
		return r
	}, b)
}

// hasBadControl reports whether the valid UTF-8 b holds a C0 control
// other than tab, newline and carriage return: a byte below 0x20 (in
// UTF-8 such a byte is always the character itself). It runs over every
// body, eight bytes at a time: a word with no byte below 0x20 (the
// "hasless" trick of Bit Twiddling Hacks) holds none.
func HasBadControl(b []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		if (x-0x20*ones)&^x&highs == 0 {
			continue
		}
		for _, c := range b[i : i+8] {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return true
			}
		}
	}
	for _, c := range b[i:] {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return true
		}
	}
	return false
}

// isBadControl is true for C0 controls other than \t \n \r.
func IsBadControl(r rune) bool {
	return r < 0x20 && r != '\t' && r != '\n' && r != '\r'
}

// metaCharset returns the charset an HTML page names in the first 1024
// bytes: <meta charset="..."> or <meta http-equiv="Content-Type"
// content="...; charset=...">; "" when none.
func metaCharset(b []byte) string {
	if len(b) > 1024 {
		b = b[:1024]
	}
	if !bytes.Contains(bytes.ToLower(b), []byte("<meta")) {
		return ""
	}
	z := html.NewTokenizer(bytes.NewReader(b))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if string(name) != "meta" || !hasAttr {
				continue
			}
			if cs := metaTagCharset(z); cs != "" {
				return cs
			}
		}
	}
}

// metaTagCharset reads the charset of the <meta> tag z is at.
func metaTagCharset(z *html.Tokenizer) string {
	var content string
	httpEquiv := false
	for {
		k, v, more := z.TagAttr()
		switch string(k) {
		case "charset":
			return strings.TrimSpace(string(v))
		case "http-equiv":
			httpEquiv = strings.EqualFold(strings.TrimSpace(string(v)), "content-type")
		case "content":
			content = string(v)
		}
		if !more {
			break
		}
	}
	if httpEquiv && content != "" {
		return httpCharset(content)
	}
	return ""
}
