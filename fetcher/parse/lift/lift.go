package lift

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mmcdole/gofeed/rss"

	"github.com/feedmill/feedmill/fetcher/internal/xmlscan"
)

// How it works. Most of gofeed's time on a news feed goes to the item
// bodies: an RSS <content:encoded> or <description> of 20 KB held in a
// CDATA section is read by encoding/xml one byte at a time (with its
// innerxml copy beside it) only for gofeed to hand the bytes back
// unchanged. When such a section is an element's whole content, nothing
// in it can change how the feed parses: encoding/xml takes a CDATA
// section's bytes verbatim up to the first "]]>". So Lift takes those
// sections out, leaving a short marker in each place, gofeed parses the
// much smaller rest, and Restore puts the sections back into the rss.Feed
// before gofeed's translator sees it.
//
// The lexer below is deliberately narrow. It lifts only when it can follow
// the whole document the way encoding/xml (non-strict, as gofeed sets it)
// does, and gives up at anything it does not model: a C0 control byte
// anywhere, a charset other than UTF-8, text before the root, a root
// other than <rss> or <rdf:RDF>, a '<' inside markup, a DOCTYPE with an
// internal subset, a malformed comment. A section is lifted only when it
// is an element's whole content (white space around it aside), the
// element is an unprefixed <description> or a <content:encoded>, and
// encoding/xml would read it without an error (xmlChars). And the restore
// is checked: every marker (which carries a nonce drawn for the parse, so
// no feed can forge one) must come back exactly once, as the whole value
// of an item's or the channel's description or an item's content, and no
// other checked field may hold a marker's start; anything else, and the
// caller parses the original body instead.

// MinBytes is the smallest section worth lifting.
const MinBytes = 128

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

// Lifted is what Lift took out of a body: the sections' bytes (slices of
// the body, in document order; marker i stands for sections[i]) and the
// markers' common start.
type Lifted struct {
	sections [][]byte
	mark     string // liftMarkOpen, the nonce, "."
}

// Lift returns body with its description and content:encoded CDATA
// sections of minBytes or more (MinBytes, but for tests) replaced by
// markers, and the sections. ok is false when nothing was lifted: the
// body is to be parsed as it is.
func Lift(body []byte, minBytes int) (small []byte, lifted Lifted, ok bool) {
	if len(body) < minBytes || bytes.Contains(body, []byte(liftMarkOpen)) || xmlscan.HasControl(body) {
		return nil, Lifted{}, false
	}
	spans, ok := findLiftable(body, minBytes)
	if !ok || len(spans) == 0 {
		return nil, Lifted{}, false
	}
	n := len(body)
	for _, s := range spans {
		n -= s.end - s.start
		n += len(liftMarkClose) + 4
	}
	lifted.mark = liftMarkOpen + strconv.FormatUint(rand.Uint64(), 36) + "."
	small = make([]byte, 0, n+len(spans)*len(lifted.mark))
	lifted.sections = make([][]byte, len(spans))
	prev := 0
	for i, s := range spans {
		small = append(small, body[prev:s.start]...)
		small = appendLiftMarker(small, lifted.mark, i)
		lifted.sections[i] = body[s.start:s.end:s.end]
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

// Restore puts the lifted sections back into the fields of rf that gofeed
// read them into. It reports false when the markers are not each found
// exactly once in those fields: the caller must then parse the original
// body.
func (lifted Lifted) Restore(rf *rss.Feed) bool {
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
		*s = string(lifted.sections[i])
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
// section's contents.
type liftSpan struct {
	start, end int
}

// findLiftable follows body as encoding/xml would and returns the byte
// ranges to lift. ok is false when the body has something the lexer does
// not model.
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
			if !rootSeen && !xmlscan.IsSpace(b[i:]) {
				return nil, false
			}
			return spans, true
		}
		if !rootSeen && !xmlscan.IsSpace(b[i:i+j]) {
			return nil, false // text before the root
		}
		at := i + j
		rest := b[at:]
		switch {
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			start := at + len("<![CDATA[")
			k := bytes.Index(b[start:], []byte("]]>"))
			if k < 0 {
				return nil, false
			}
			end := start + k
			i = end + len("]]>")
			if liftable && end-start >= minBytes && xmlscan.IsSpace(b[contentAt:at]) &&
				closesAfterSpace(b[i:]) && xmlChars(b[start:end]) {
				spans = append(spans, liftSpan{start, end})
			}
			liftable = false
			continue
		case bytes.HasPrefix(rest, []byte("<!")) || bytes.HasPrefix(rest, []byte("<?")) || bytes.HasPrefix(rest, []byte("</")):
			next, ok := xmlscan.SkipMarkup(b, at)
			if !ok {
				return nil, false
			}
			if rest[1] == '/' {
				depth--
			}
			i = next
		default:
			end, ok := xmlscan.TagEnd(b, at+1)
			if !ok {
				return nil, false
			}
			name := xmlscan.TagName(b[at+1 : end])
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
			// Only the elements gofeed reads into the fields Restore
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

// closesAfterSpace reports whether b starts with whitespace and then an
// end tag: the section was its element's last content.
func closesAfterSpace(b []byte) bool {
	k := 0
	for k < len(b) && xmlscan.IsSpaceByte(b[k]) {
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
