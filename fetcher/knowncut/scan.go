package knowncut

import (
	"bytes"
	"strings"

	"github.com/feedmill/feedmill/fetcher/internal/xmlscan"
)

// span is a [start, end) byte range of a body: one <item> element, from
// its '<' to just past its end tag's '>'.
type span struct {
	start, end int
}

// scan follows an RSS 2.0 body the way encoding/xml (non-strict, as
// gofeed sets it) reads it, and returns where the channel's content
// starts (everything before it is the items' context: declarations,
// the <rss> and <channel> start tags with their namespaces) and the
// channel's <item> elements. ok is false for anything it does not model:
// another root than an unprefixed <rss>, not exactly one <channel>, an
// element named item anywhere but as a child of the channel (gofeed
// would read one under the root too), an end tag that does not close the
// element open (encoding/xml mends those), text outside the root,
// C0 controls, a charset other than UTF-8, a DOCTYPE with an internal
// subset, a malformed comment.
func scan(b []byte) (ctxEnd int, items []span, ok bool) {
	if xmlscan.HasControl(b) {
		return 0, nil, false
	}
	i := 0
	if bytes.HasPrefix(b, []byte("\ufeff")) {
		i = len("\ufeff")
	}
	var open [][]byte // names of the open elements
	rootDone, channelSeen := false, false
	itemAt := -1 // start of the open item element
	for {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 {
			return ctxEnd, items, rootDone && xmlscan.IsSpace(b[i:])
		}
		if len(open) == 0 && !xmlscan.IsSpace(b[i:i+j]) {
			return 0, nil, false // text outside the root
		}
		at := i + j
		rest := b[at:]
		switch {
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			k := bytes.Index(b[at:], []byte("]]>"))
			if k < 0 || len(open) == 0 {
				return 0, nil, false
			}
			i = at + k + len("]]>")
		case bytes.HasPrefix(rest, []byte("</")):
			next, ok := xmlscan.SkipMarkup(b, at)
			if !ok || len(open) == 0 {
				return 0, nil, false
			}
			name := xmlscan.TagName(b[at+2 : next-1])
			if !bytes.Equal(name, open[len(open)-1]) || !xmlscan.IsSpace(b[at+2+len(name):next-1]) {
				return 0, nil, false
			}
			open = open[:len(open)-1]
			if len(open) == 2 && itemAt >= 0 {
				items = append(items, span{itemAt, next})
				itemAt = -1
			}
			rootDone = len(open) == 0
			i = next
		case bytes.HasPrefix(rest, []byte("<!")) || bytes.HasPrefix(rest, []byte("<?")):
			next, ok := xmlscan.SkipMarkup(b, at)
			if !ok {
				return 0, nil, false
			}
			i = next
		default:
			end, ok := xmlscan.TagEnd(b, at+1)
			if !ok || rootDone {
				return 0, nil, false
			}
			name := xmlscan.TagName(b[at+1 : end])
			empty := b[end-1] == '/'
			switch role(open, name, itemAt >= 0) {
			case roleOther:
			case roleRoot, roleChannel:
				if empty || channelSeen {
					return 0, nil, false
				}
				channelSeen = len(open) == 1
				ctxEnd = end + 1
			case roleItem:
				if empty {
					items = append(items, span{at, end + 1})
				} else {
					itemAt = at
				}
			default:
				return 0, nil, false
			}
			if !empty {
				open = append(open, name)
			}
			i = end + 1
		}
	}
}

// Roles of a start tag in scan.
const (
	roleOther   = iota // anything the items do not depend on
	roleRoot           // <rss>
	roleChannel        // the <channel>
	roleItem           // one of the channel's items
	roleRefused        // where scan gives up
)

// role tells what a start tag named name opens inside the elements open,
// inItem when an item is among them. Names are compared as gofeed does:
// the local name in lower case. A prefixed name that could be read as the
// root, the channel or an item (its prefix may be bound to RSS's own
// namespace) is refused, and so is an item anywhere but under the channel.
func role(open [][]byte, name []byte, inItem bool) int {
	local, prefixed := name, false
	if c := bytes.IndexByte(name, ':'); c >= 0 {
		local, prefixed = name[c+1:], true
	}
	lower := ""
	if len(local) <= len("channel") { // nothing longer lowers to these names
		lower = strings.ToLower(string(local))
	}
	switch {
	case inItem:
		return roleOther
	case lower != "rss" && lower != "channel" && lower != "item":
		if len(open) == 0 {
			return roleRefused
		}
		return roleOther
	case prefixed || bytes.Count(name, []byte(":")) > 1:
		return roleRefused
	case len(open) == 0 && lower == "rss":
		return roleRoot
	case len(open) == 1 && lower == "channel":
		return roleChannel
	case len(open) == 2 && lower == "item" && strings.ToLower(string(open[1])) == "channel":
		return roleItem
	}
	return roleRefused
}
