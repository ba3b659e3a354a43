package parse

import (
	"bytes"
	"encoding/xml"
	"html"
	"io"
	"strings"

	"github.com/mmcdole/gofeed"
)

// Text is text, markup is markup. fetcher/normalize reads an item's
// title, author names and categories as HTML (RSS gives no type, and
// titles with escaped markup are common there): tags removed, their text
// kept, entities decoded once. Where the feed says a field is text (an
// Atom title of type "text", the default; Atom names and category terms;
// every JSON Feed title, author and tag), markTextFields escapes it, so
// that the same reading gives back every character ("a &lt;b&gt;" stays
// "a <b>", "&amp;" stays "&amp;").

// markTextFields escapes the text-typed fields of feed, parsed from body.
func markTextFields(feed *gofeed.Feed, body []byte) {
	switch feed.FeedType {
	case "atom":
		if types := atomTitleTypes(feed, body); types != nil {
			for i, it := range feed.Items {
				if it != nil && isTextType(types[i]) {
					it.Title = html.EscapeString(it.Title)
				}
			}
		}
	case "json":
		for _, it := range feed.Items {
			if it != nil {
				it.Title = html.EscapeString(it.Title)
			}
		}
	default:
		return
	}
	for _, it := range feed.Items {
		if it == nil {
			continue
		}
		for _, p := range it.Authors {
			if p != nil && (it.Author == nil || p != it.Author) {
				p.Name = html.EscapeString(p.Name)
			}
		}
		if it.Author != nil {
			it.Author.Name = html.EscapeString(it.Author.Name)
		}
		for i, c := range it.Categories {
			it.Categories[i] = html.EscapeString(c)
		}
	}
	for i, c := range feed.Categories {
		feed.Categories[i] = html.EscapeString(c)
	}
	if feed.Author != nil {
		feed.Author.Name = html.EscapeString(feed.Author.Name)
	}
}

func isTextType(t string) bool {
	return t == "" || t == "text" || strings.HasPrefix(t, "text/")
}

// atomTitleTypes returns the type attribute (lower case) of each entry's
// title, in the order of feed.Items, or nil when no title could hold
// markup ('<' or '&') or the entries cannot be matched up.
func atomTitleTypes(feed *gofeed.Feed, body []byte) []string {
	need := false
	for _, it := range feed.Items {
		if it != nil && strings.ContainsAny(it.Title, "<&") {
			need = true
			break
		}
	}
	if !need {
		return nil
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = false
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var (
		types    []string
		stack    []string
		hasTitle bool
	)
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := strings.ToLower(t.Name.Local)
			if name == "entry" {
				types = append(types, "")
				hasTitle = false
			}
			if name == "title" && len(stack) > 0 && stack[len(stack)-1] == "entry" && !hasTitle && len(types) > 0 {
				hasTitle = true
				for _, a := range t.Attr {
					if strings.EqualFold(a.Name.Local, "type") {
						types[len(types)-1] = strings.ToLower(strings.TrimSpace(a.Value))
					}
				}
			}
			stack = append(stack, name)
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
	}
	if len(types) != len(feed.Items) {
		return nil
	}
	return types
}
