package fetcher

import (
	"bytes"
	"html"
	"math/rand/v2"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mmcdole/gofeed/rss"
)

// Lifting item bodies out of RSS bodies before gofeed parses them.
//
// Most of gofeed's time on a news feed goes to the item bodies: an RSS
// <content:encoded> or <description> of 20 KB is read by encoding/xml one
// byte at a time (with its innerxml copy beside it) only for gofeed to
// hand the text back unchanged, or entity-decoded by its own
// DecodeEntities. When such a body is an element's whole content — one
// CDATA section, or text without markup — nothing in it can change how
// the feed parses: encoding/xml takes a CDATA section's bytes verbatim up
// to the first "]]>", and gofeed's ParseText returns them as they are; of
// text content it returns DecodeEntities of the raw bytes, trimmed. So
// parseFeed first lifts those bodies out (liftCDATA), leaving a short
// marker in each place, lets gofeed parse the much smaller rest, and puts
// the bodies back into the rss.Feed before the translator sees it
// (restoreCDATA: CDATA as it is, text decoded as ParseText does). The
// gofeed.Feed that comes out is the one gofeed gives for the whole body;
// FuzzLiftCDATA and TestLiftCDATA check that against parsing the body as
// it came, on every shared test feed and on fuzzed bodies.
//
// The lexer below is deliberately narrow. It lifts only when it can follow
// the whole document the way encoding/xml (non-strict, as gofeed sets it)
// does, and gives up — parseFeed then parses the body unchanged — at
// anything it does not model: a C0 control byte anywhere (gofeed's reader
// drops those before the decoder sees them), a charset other than UTF-8,
// text before the root, a root other than <rss> or <rdf:RDF>, a '<' inside
// markup, a DOCTYPE with an internal subset, a malformed comment. A body
// is lifted only when it is an element's whole content (for a CDATA
// section, whitespace around it aside), the element is an unprefixed
// <description> or a <content:encoded>, and encoding/xml would read it
// without an error (xmlChars, xmlText). And the restore is checked: every
// marker (which carries a nonce drawn for the parse, so no feed can forge
// one) must come back exactly once, as the whole value of an item's or
// the channel's description or an item's content, and no other checked
// field may hold a marker's start; anything else, or any parse error, and
// parseFeed parses the original body instead (so errors keep their own
// positions).

// liftMinBytes is the smallest section worth lifting.
const liftMinBytes = 128

// The marker left in a lifted section: a Unicode noncharacter, a random
// nonce drawn for each parse, the section's index, and another
// noncharacter. A body that holds liftMarkOpen itself is not lifted, and
// a feed cannot write the nonce (it could spell the noncharacters as
// character references, which gofeed decodes: any field that holds
// liftMarkOpen but is not a marker of this parse makes the restore fail).
const (
	liftMarkOpen  = "\ufdd0"
	liftMarkClose = "\ufdd1"
)

// liftedCDATA is what liftCDATA took out of a body: the sections' bytes
// (slices of the body, in document order; marker i stands for
// sections[i]) and the markers' common start.
type liftedCDATA struct {
	sections [][]byte
	escaped  []bool // sections[i] is escaped text, not a CDATA section
	mark     string // liftMarkOpen, the nonce, "."
}

// liftCDATA returns body with its large description and content:encoded
// bodies (CDATA sections or text of minBytes or more; parseFeed uses
// liftMinBytes) replaced by markers, and the bodies.
// ok is false when nothing was lifted: the body is to be parsed as it is.
func liftCDATA(body []byte, minBytes int) (small []byte, lifted liftedCDATA, ok bool) {
	if len(body) < minBytes || bytes.Contains(body, []byte(liftMarkOpen)) || hasBadControl(body) {
		return nil, liftedCDATA{}, false
	}
	spans, ok := findLiftable(body, minBytes)
	if !ok || len(spans) == 0 {
		return nil, liftedCDATA{}, false
	}
	n := len(body)
	for _, s := range spans {
		n -= s.end - s.start
		n += len(liftMarkClose) + 4
	}
	lifted.mark = liftMarkOpen + strconv.FormatUint(rand.Uint64(), 36) + "."
	small = make([]byte, 0, n+len(spans)*len(lifted.mark))
	lifted.sections = make([][]byte, len(spans))
	lifted.escaped = make([]bool, len(spans))
	prev := 0
	for i, s := range spans {
		small = append(small, body[prev:s.start]...)
		small = appendLiftMarker(small, lifted.mark, i)
		lifted.sections[i] = body[s.start:s.end:s.end]
		lifted.escaped[i] = s.escaped
		prev = s.end
	}
	small = append(small, body[prev:]...)
	return small, lifted, true
}

func appendLiftMarker(b []byte, mark string, i int) []byte {
	b = append(b, mark...)
	b = strconv.AppendInt(b, int64(i), 10)
	return append(b, liftMarkClose...)
}

// liftIndex returns the section index of a marker that starts with mark,
// or -1 for any other text.
func liftIndex(s, mark string) int {
	if len(s) < len(mark)+1+len(liftMarkClose) || !strings.HasPrefix(s, mark) || !strings.HasSuffix(s, liftMarkClose) {
		return -1
	}
	digits := s[len(mark) : len(s)-len(liftMarkClose)]
	if len(digits) > 1 && digits[0] == '0' {
		return -1
	}
	i, err := strconv.Atoi(digits)
	if err != nil || i < 0 || digits[0] == '+' || digits[0] == '-' {
		return -1
	}
	return i
}

// restoreCDATA puts the lifted sections back into the fields of rf that
// gofeed read them into. It reports false when the markers are not each
// found exactly once in those fields: the caller must then parse the
// original body.
func restoreCDATA(rf *rss.Feed, lifted liftedCDATA) bool {
	seen := make([]bool, len(lifted.sections))
	found := 0
	put := func(s *string) bool {
		i := liftIndex(*s, lifted.mark)
		if i < 0 {
			return !strings.Contains(*s, liftMarkOpen)
		}
		if i >= len(seen) || seen[i] {
			return false
		}
		seen[i] = true
		found++
		if lifted.escaped[i] {
			// What gofeed's ParseText makes of text content.
			*s = decodeEntities(strings.TrimSpace(string(lifted.sections[i])))
		} else {
			*s = string(lifted.sections[i])
		}
		return true
	}
	if !put(&rf.Description) {
		return false
	}
	for _, it := range rf.Items {
		if it == nil {
			continue
		}
		if !put(&it.Description) || !put(&it.Content) {
			return false
		}
	}
	return found == len(lifted.sections)
}

// liftSpan is a [start, end) byte range of a body to lift: a CDATA
// section's contents, or the text that is an element's whole content
// (escaped: gofeed entity-decodes it).
type liftSpan struct {
	start, end int
	escaped    bool
}

// findLiftable follows body as encoding/xml would and returns the byte
// ranges to lift. ok is false
// when the body has something the lexer does not model.
func findLiftable(b []byte, minBytes int) (spans []liftSpan, ok bool) {
	i := 0
	if bytes.HasPrefix(b, []byte("\ufeff")) {
		i = len("\ufeff")
	}
	depth := 0 // open elements
	rootSeen := false
	liftable := false // the last start tag opened a description or content:encoded
	contentAt := -1   // where that element's content starts, while liftable
	for {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 {
			if !rootSeen && !isXMLSpace(b[i:]) {
				return nil, false
			}
			return spans, true
		}
		if !rootSeen && !isXMLSpace(b[i:i+j]) {
			return nil, false // text before the root
		}
		at := i + j
		rest := b[at:]
		if liftable && bytes.HasPrefix(rest, []byte("</")) && at-contentAt >= minBytes && xmlText(b[contentAt:at]) {
			// Escaped text, the element's whole content.
			spans = append(spans, liftSpan{contentAt, at, true})
		}
		switch {
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			start := at + len("<![CDATA[")
			k := bytes.Index(b[start:], []byte("]]>"))
			if k < 0 {
				return nil, false
			}
			end := start + k
			i = end + len("]]>")
			if liftable && end-start >= minBytes && isXMLSpace(b[contentAt:at]) &&
				closesAfterSpace(b[i:]) && xmlChars(b[start:end]) {
				spans = append(spans, liftSpan{start, end, false})
			}
			liftable = false
			continue
		case bytes.HasPrefix(rest, []byte("<!--")):
			k := bytes.Index(b[at+4:], []byte("--"))
			if k < 0 || at+4+k+2 >= len(b) || b[at+4+k+2] != '>' {
				return nil, false
			}
			i = at + 4 + k + 3
		case bytes.HasPrefix(rest, []byte("<![")):
			return nil, false
		case bytes.HasPrefix(rest, []byte("<!")):
			end, ok := directiveEnd(b, at+3)
			if !ok {
				return nil, false
			}
			i = end + 1
		case bytes.HasPrefix(rest, []byte("<?")):
			k := bytes.Index(b[at+2:], []byte("?>"))
			if k < 0 {
				return nil, false
			}
			if !utf8Decl(b[at+2 : at+2+k]) {
				return nil, false
			}
			i = at + 2 + k + 2
		case bytes.HasPrefix(rest, []byte("</")):
			k := bytes.IndexByte(b[at+2:], '>')
			if k < 0 || bytes.IndexByte(b[at+2:at+2+k], '<') >= 0 {
				return nil, false
			}
			i = at + 2 + k + 1
			depth--
		default:
			end, ok := tagEnd(b, at+1)
			if !ok {
				return nil, false
			}
			name := tagName(b[at+1 : end])
			prefix, local := []byte(nil), name
			if c := bytes.LastIndexByte(name, ':'); c >= 0 {
				prefix, local = name[:c], name[c+1:]
			}
			i = end + 1
			if !rootSeen {
				if !bytes.EqualFold(local, []byte("rss")) && !bytes.EqualFold(local, []byte("rdf")) {
					return nil, false
				}
				rootSeen = true
			}
			if b[end-1] == '/' {
				liftable = false
				continue // an empty element
			}
			depth++
			// Only the elements gofeed reads into the fields restoreCDATA
			// checks: <description> of RSS itself (no prefix: media:,
			// itunes: and dc: descriptions are extensions) and
			// <content:encoded>; anything else lifted would only make the
			// restore fail and cost a second parse.
			liftable = depth >= 3 && (prefix == nil && bytes.EqualFold(local, []byte("description")) ||
				string(prefix) == "content" && bytes.EqualFold(local, []byte("encoded")))
			contentAt = i
			continue
		}
		liftable = false
	}
}

// tagEnd returns the index of the '>' that closes the start tag whose
// name begins at i: quoted attribute values may hold '>'; a '<' anywhere
// in the tag is refused (encoding/xml rejects it too).
func tagEnd(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] < utf8.RuneSelf && !isNameByte(b[i]) {
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

// tagName is the element name at the start of a start tag's bytes.
func tagName(tag []byte) []byte {
	n := 0
	for n < len(tag) && (tag[n] >= utf8.RuneSelf || isNameByte(tag[n])) {
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

// utf8Decl reports whether a processing instruction (its bytes between
// "<?" and "?>") leaves the document in UTF-8: encoding/xml switches
// charset at any <?xml?> whose encoding is not utf-8.
func utf8Decl(pi []byte) bool {
	if !bytes.HasPrefix(pi, []byte("xml")) || len(pi) > 3 && (pi[3] >= utf8.RuneSelf || isNameByte(pi[3])) {
		return true // another target
	}
	enc := procInst("encoding", string(pi[3:]))
	return enc == "" || strings.EqualFold(enc, "utf-8")
}

// procInst is encoding/xml's own (Go 1.26, BSD licence): the value of
// param in a processing instruction, as the decoder reads it.
func procInst(param, s string) string {
	param = param + "="
	lenp := len(param)
	i := 0
	var sep byte
	for i < len(s) {
		sub := s[i:]
		k := strings.Index(sub, param)
		if k < 0 || lenp+k >= len(sub) {
			return ""
		}
		i += lenp + k + 1
		if c := sub[lenp+k]; c == '\'' || c == '"' {
			sep = c
			break
		}
	}
	if sep == 0 {
		return ""
	}
	j := strings.IndexByte(s[i:], sep)
	if j < 0 {
		return ""
	}
	return s[i : i+j]
}

// closesAfterSpace reports whether b starts with whitespace and then an
// end tag: the section was its element's last content.
func closesAfterSpace(b []byte) bool {
	k := 0
	for k < len(b) && isXMLSpaceByte(b[k]) {
		k++
	}
	return bytes.HasPrefix(b[k:], []byte("</"))
}

// xmlChars reports whether encoding/xml accepts b as character data:
// valid UTF-8 of XML characters (the C0 controls were ruled out for the
// whole body; U+FFFE and U+FFFF remain).
func xmlChars(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for {
		k := bytes.Index(b, []byte("\xef\xbf"))
		if k < 0 {
			return true
		}
		if k+2 < len(b) && (b[k+2] == 0xbe || b[k+2] == 0xbf) {
			return false
		}
		b = b[k+2:]
	}
}

// xmlText reports whether encoding/xml reads b (text content, no '<') in
// a non-strict decoder without an error: XML characters only (xmlChars),
// no "]]>", and no numeric character reference to a character XML
// forbids ("&#0;", "&#xFFFE;": encoding/xml decodes them and then rejects
// the text). Named references never fail in a non-strict decoder.
func xmlText(b []byte) bool {
	if !xmlChars(b) || bytes.Contains(b, []byte("]]>")) {
		return false
	}
	for {
		k := bytes.Index(b, []byte("&#"))
		if k < 0 {
			return true
		}
		b = b[k+2:]
		base := 10
		if len(b) > 0 && b[0] == 'x' {
			base, b = 16, b[1:]
		}
		d := 0
		for d < len(b) && ('0' <= b[d] && b[d] <= '9' || base == 16 && ('a' <= b[d] && b[d] <= 'f' || 'A' <= b[d] && b[d] <= 'F')) {
			d++
		}
		if d == len(b) || b[d] != ';' {
			continue // not a reference: the text as it is
		}
		// encoding/xml: strconv.ParseUint(digits, base, 64), a character
		// only for n <= unicode.MaxRune; past that (or empty) it keeps
		// the reference as text. Summed here without a string.
		n := 0
		for _, c := range b[:d] {
			v := int(c - '0')
			if c > '9' {
				v = int(c|0x20-'a') + 10
			}
			if n = n*base + v; n > unicode.MaxRune {
				break
			}
		}
		if d > 0 && n <= unicode.MaxRune && !isXMLChar(rune(n)) {
			return false
		}
		b = b[d:]
	}
}

// isXMLChar is encoding/xml's isInCharacterRange for the rune that
// string(rune(n)) gives (a surrogate becomes U+FFFD).
func isXMLChar(r rune) bool {
	if 0xD800 <= r && r <= 0xDFFF {
		r = utf8.RuneError
	}
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

func isXMLSpace(b []byte) bool {
	for _, c := range b {
		if !isXMLSpaceByte(c) {
			return false
		}
	}
	return true
}

func isXMLSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// isNameByte is encoding/xml's: the ASCII bytes a name may hold.
func isNameByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '_' || c == ':' || c == '.' || c == '-'
}

// decodeEntities is gofeed v1.4.2's internal shared.DecodeEntities (MIT
// licence, github.com/mmcdole/gofeed), which ParseText applies to an
// element's text content; it is internal to gofeed, hence this copy. Any
// difference from gofeed's own would show in TestLiftCDATASharedFeeds
// and FuzzLiftCDATA, which compare with gofeed's parse of the whole body.
func decodeEntities(str string) string {
	idx := strings.IndexByte(str, '&')
	if idx == -1 {
		return str
	}

	var buf bytes.Buffer
	data := []byte(str)

	for len(data) > 0 {
		idx := bytes.IndexByte(data, '&')
		if idx == -1 {
			buf.Write(data)
			break
		}

		buf.Write(data[:idx])
		data = data[idx:]

		// Find the end of the entity within the bounded window.
		window := data
		if len(window) > maxEntityLen {
			window = window[:maxEntityLen]
		}
		end := bytes.IndexByte(window, ';')

		if end == -1 && len(window) == len(data) {
			// No ';' in the rest of the input: everything left is literal.
			buf.Write(data)
			break
		}

		// A candidate containing whitespace (or no nearby ';') is not an
		// entity: the '&' is literal.
		if end == -1 || bytes.ContainsAny(data[1:end], " \t\r\n") {
			buf.WriteByte('&')
			data = data[1:]
			continue
		}

		// Accept the decode only when it consumed the terminating ';'.
		span := string(data[:end+1])
		dec := html.UnescapeString(span)
		if dec == html.UnescapeString(span[:len(span)-1])+";" {
			buf.WriteByte('&')
			data = data[1:]
			continue
		}

		buf.WriteString(dec)
		data = data[end+1:]
	}

	return buf.String()
}

// maxEntityLen is gofeed's bound on how far past an '&' the ';' may be.
const maxEntityLen = 64
