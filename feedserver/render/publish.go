package render

import (
	"mime"
	"path"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/feedmill/feedmill/feedserver/channel"
	"github.com/feedmill/feedmill/internal/urlpolicy"
	"github.com/feedmill/feedmill/storage"
)

// What every format publishes of an item is checked again at output,
// whatever the store holds (stores written before a rule existed, or a
// rule of ingest that missed something): Publishable applies the URL
// policy (package urlpolicy) to every URL of a Doc, gives enclosures a
// valid media type and length, keeps an author's e-mail only when it is
// an address, and gives an item without a title one (titleFallback).

// Publishable returns a copy of d as it may be published (see above); d
// is not changed.
func Publishable(d *Doc) *Doc {
	out := *d
	out.Items = make([]storage.Item, len(d.Items))
	for i := range d.Items {
		out.Items[i] = publishableItem(d.Items[i])
	}
	out.Sources = make(map[uint64]storage.Source, len(d.Sources))
	for id, src := range d.Sources {
		src.URL = publishableURL(src.URL, urlpolicy.Web)
		src.State.SiteURL = publishableURL(src.State.SiteURL, urlpolicy.Web)
		out.Sources[id] = src
	}
	if d.Also != nil {
		out.Also = make(map[uint64][]storage.Item, len(d.Also))
		for id, copies := range d.Also {
			cs := make([]storage.Item, len(copies))
			for i, c := range copies {
				c.Link = publishableURL(c.Link, urlpolicy.Web)
				cs[i] = c
			}
			out.Also[id] = cs
		}
	}
	return &out
}

// publishableItem is one item of Publishable.
func publishableItem(it storage.Item) storage.Item {
	it.Link = publishableURL(it.Link, urlpolicy.Web)
	it.Image = publishableURL(it.Image, urlpolicy.Web)
	if len(it.Images) > 0 {
		images := make([]string, 0, len(it.Images))
		for _, u := range it.Images {
			if u = publishableURL(u, urlpolicy.Web); u != "" {
				images = append(images, u)
			}
		}
		it.Images = images
	}
	if it.AuthorMail != "" && !urlpolicy.IsEmail(it.AuthorMail) {
		it.AuthorMail = ""
	}
	it.Summary = publishableHTML(it.Summary)
	it.Content = publishableHTML(it.Content)
	if len(it.Enclosures) > 0 {
		encs := make([]storage.Enclosure, 0, len(it.Enclosures))
		for _, e := range it.Enclosures {
			if e.URL = publishableURL(e.URL, urlpolicy.Web); e.URL == "" {
				continue
			}
			e.Type = enclosureType(e.Type, e.URL)
			e.Length = max(e.Length, 0)
			encs = append(encs, e)
		}
		it.Enclosures = encs
	}
	if strings.TrimSpace(it.Title) == "" {
		it.Title = titleFallback(&it)
	}
	return it
}

// publishableURL is u as the policy publishes it, "" when it refuses it.
func publishableURL(u string, use urlpolicy.Use) string {
	if u == "" || urlpolicy.Allowed(u, use) {
		return u
	}
	out, err := urlpolicy.Clean(u, nil, use)
	if err != nil {
		return ""
	}
	return out
}

// titleLen is the length of a title made from an item's text, in
// characters.
const titleLen = 80

// titleFallback is the title of an item that has none: the start of its
// body's text, else its link, else "Untitled". Every format needs a title
// (Atom requires one; RSS needs a title or a description, and readers
// show a title), and all of them show the same one.
func titleFallback(it *storage.Item) string {
	text := strings.Join(strings.Fields(channel.PlainText(Description(it))), " ")
	if text == "" {
		if it.Link != "" {
			return it.Link
		}
		return "Untitled"
	}
	if utf8.RuneCountInString(text) <= titleLen {
		return text
	}
	cut := 0
	for i := range text {
		if utf8.RuneCountInString(text[:i]) >= titleLen {
			break
		}
		if text[i] == ' ' {
			cut = i
		}
	}
	if cut == 0 {
		cut = len(string([]rune(text)[:titleLen]))
	}
	return text[:cut] + "…"
}

// urlAttrs are the attributes of item HTML that hold URLs, as the
// sanitizer's policy allows them (href, src, cite) and a few more that
// browsers follow, so that none passes unchecked.
var urlAttrs = map[string]bool{"href": true, "src": true, "cite": true, "poster": true, "action": true,
	"formaction": true, "background": true, "longdesc": true, "usemap": true, "data": true, "codebase": true, "srcset": true}

// publishableHTML returns the item HTML s with every URL attribute as
// the policy publishes it, and those it refuses removed (mailto is
// allowed: a body may link to a person's address). s is returned as it is
// when every URL passes unchanged, the common case.
func publishableHTML(s string) string {
	if !strings.Contains(s, "=") {
		return s
	}
	if pass, known := quickURLsPass(s); known && pass || !known && bodyURLsPass(s) {
		return s
	}
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return b.String()
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			kept := tok.Attr[:0]
			for _, a := range tok.Attr {
				if urlAttrs[a.Key] {
					v, ok := attrURL(a.Key, a.Val)
					if !ok {
						continue
					}
					a.Val = v
				}
				kept = append(kept, a)
			}
			tok.Attr = kept
			b.WriteString(tok.String())
		default:
			b.Write(z.Raw())
		}
	}
}

// bodyURLsPass reports whether every URL attribute of the HTML s passes
// the policy as it is.
func bodyURLsPass(s string) bool {
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return true
		case html.StartTagToken, html.SelfClosingTagToken:
			for {
				k, v, more := z.TagAttr()
				if urlAttrs[string(k)] {
					if out, ok := attrURL(string(k), string(v)); !ok || out != string(v) {
						return false
					}
				}
				if !more {
					break
				}
			}
		}
	}
}

// quickURLsPass is bodyURLsPass for HTML of the plain shape the sanitizer
// writes, without a tokenizer (which costs more than the rest of a
// render): tags of letters and digits, attributes of lower-case names
// with double-quoted values, separated by spaces, no comments, no raw
// text elements. known is false when s holds anything else.
func quickURLsPass(s string) (pass, known bool) {
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			return true, true
		}
		s = strings.TrimPrefix(s[i+1:], "/")
		n := 0
		for n < len(s) && (isLower(s[n]) || n > 0 && '0' <= s[n] && s[n] <= '9') {
			n++
		}
		if n == 0 || rawTextElements[s[:n]] {
			return false, false
		}
		s = s[n:]
		failed := false // a URL of this tag fails, if the tag is one
		for {
			switch {
			case strings.HasPrefix(s, ">"), strings.HasPrefix(s, "/>"):
				if failed {
					return false, true
				}
			case strings.HasPrefix(s, " "):
				s = s[1:]
				k := 0
				for k < len(s) && (isLower(s[k]) || s[k] == '-') {
					k++
				}
				if k == 0 || !strings.HasPrefix(s[k:], `="`) {
					return false, false
				}
				key := s[:k]
				s = s[k+2:]
				end := strings.IndexByte(s, '"')
				if end < 0 {
					return false, false
				}
				val := s[:end]
				s = s[end+1:]
				if urlAttrs[key] {
					if strings.ContainsAny(val, "&<>'") {
						return false, false // entities: leave it to the tokenizer
					}
					if out, ok := attrURL(key, val); !ok || out != val {
						failed = true
					}
				}
				continue
			default:
				return false, false
			}
			break
		}
	}
}

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }

// rawTextElements hold text the tokenizer does not read as markup.
var rawTextElements = map[string]bool{"script": true, "style": true, "textarea": true, "title": true,
	"xmp": true, "iframe": true, "noembed": true, "noframes": true, "noscript": true, "plaintext": true}

// attrURL returns the value of a URL attribute as the policy publishes
// it; ok is false when it refuses it. srcset holds several URLs, each
// followed by a size.
func attrURL(key, val string) (string, bool) {
	if key != "srcset" {
		u := publishableURL(val, urlpolicy.Person)
		return u, u != ""
	}
	var parts []string
	for _, c := range strings.Split(val, ",") {
		f := strings.Fields(c)
		if len(f) == 0 {
			return "", false
		}
		u, err := urlpolicy.Clean(f[0], nil, urlpolicy.Web)
		if err != nil {
			return "", false
		}
		parts = append(parts, strings.Join(append([]string{u}, f[1:]...), " "))
	}
	return strings.Join(parts, ", "), true
}

// enclosureType is an enclosure's media type as published: the source's
// when it is a valid type/subtype, else the one its URL's extension
// names, else application/octet-stream.
func enclosureType(typ, u string) string {
	if t := validMediaType(typ); t != "" {
		return t
	}
	p := u
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if t, ok := extensionTypes[strings.ToLower(path.Ext(p))]; ok {
		return t
	}
	return "application/octet-stream"
}

// validMediaType returns typ as a media type ("type/subtype" and
// parameters) in its canonical form, or "" when it is not one ("mp3",
// "audio/", "audio mpeg").
func validMediaType(typ string) string {
	if simpleMediaType(typ) {
		return typ
	}
	mt, params, err := mime.ParseMediaType(strings.TrimSpace(typ))
	if err != nil {
		return ""
	}
	major, minor, ok := strings.Cut(mt, "/")
	if !ok || major == "" || minor == "" || strings.Contains(minor, "/") {
		return ""
	}
	return mime.FormatMediaType(mt, params)
}

// simpleMediaType reports whether typ is a media type as
// validMediaType writes it, without parameters: lower-case
// "type/subtype" of letters, digits and "+-.".
func simpleMediaType(typ string) bool {
	major, minor, ok := strings.Cut(typ, "/")
	if !ok || major == "" || minor == "" {
		return false
	}
	for _, c := range []byte(major + minor) {
		if !(isLower(c) || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// extensionTypes are the media types of the file extensions feeds'
// enclosures commonly have. A table of our own, so that the output does
// not depend on the machine's mime.types.
var extensionTypes = map[string]string{
	".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".aac": "audio/aac", ".ogg": "audio/ogg", ".oga": "audio/ogg",
	".opus": "audio/opus", ".wav": "audio/wav", ".flac": "audio/flac", ".mp4": "video/mp4", ".m4v": "video/mp4",
	".mov": "video/quicktime", ".webm": "video/webm", ".ogv": "video/ogg", ".mkv": "video/x-matroska",
	".avi": "video/x-msvideo", ".mpg": "video/mpeg", ".mpeg": "video/mpeg", ".jpg": "image/jpeg",
	".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif", ".webp": "image/webp", ".avif": "image/avif",
	".svg": "image/svg+xml", ".pdf": "application/pdf", ".epub": "application/epub+zip", ".zip": "application/zip",
	".torrent": "application/x-bittorrent", ".txt": "text/plain", ".html": "text/html", ".htm": "text/html",
}
