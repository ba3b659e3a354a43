package main

// Every URL in every output passes the URL policy: a walk over every URL
// attribute and element of the RSS, Atom and JSON Feed documents and the
// HTML previews (item bodies included) of channels built from the shared
// test feeds and the hostile feed of testdata/hostile.rss.

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/feedmill/feedmill/internal/urlpolicy"
)

// urlWalk collects the URLs of documents and checks each against the
// policy.
type urlWalk struct {
	t       *testing.T
	doc     string // the document walked now
	checked int
	seen    map[string]bool // every URL checked
}

// check fails the test unless u passes the policy as it is.
func (w *urlWalk) check(where, u string, use urlpolicy.Use) {
	w.t.Helper()
	w.checked++
	w.seen[u] = true
	if !urlpolicy.Allowed(u, use) {
		_, err := urlpolicy.Clean(u, nil, use)
		w.t.Errorf("%s: %s: %q does not pass the URL policy: %v", w.doc, where, u, err)
	}
}

// xmlURLAttrs are the attributes of RSS and Atom (and their extensions)
// that hold URLs; xmlURLElems the elements whose text is one.
var (
	xmlURLAttrs = map[string]bool{"href": true, "url": true, "src": true, "uri": true, "resource": true, "about": true}
	xmlURLElems = map[string]bool{"link": true, "url": true, "uri": true, "comments": true, "docs": true, "icon": true, "logo": true}
	// xmlHTMLElems hold escaped HTML (RSS description, content:encoded;
	// Atom content and summary of type html).
	xmlHTMLElems = map[string]bool{"description": true, "encoded": true, "content": true, "summary": true}
)

// walkXML checks an RSS or Atom document.
func (w *urlWalk) walkXML(body []byte) {
	w.t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(body))
	var stack []xml.StartElement
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			w.t.Fatalf("%s: %v", w.doc, err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			stack = append(stack, tok.Copy())
			text.Reset()
			for _, a := range tok.Attr {
				if xmlURLAttrs[a.Name.Local] {
					w.check(tok.Name.Local+"@"+a.Name.Local, a.Value, urlpolicy.Web)
				}
			}
		case xml.CharData:
			text.Write(tok)
		case xml.EndElement:
			el := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			v := strings.TrimSpace(text.String())
			text.Reset()
			switch name := el.Name.Local; {
			case v == "":
			case xmlURLElems[name] && name == "uri":
				w.check(name, v, urlpolicy.Person)
			case xmlURLElems[name]:
				w.check(name, v, urlpolicy.Web)
			case name == "guid" && attr(el, "isPermaLink") != "false":
				w.check("guid", v, urlpolicy.Web)
			case xmlHTMLElems[name] && attr(el, "type") != "text":
				w.walkHTML(name, v, false)
			}
		}
	}
}

func attr(el xml.StartElement, name string) string {
	for _, a := range el.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// jsonURLKeys are the JSON Feed members that hold URLs besides those
// named *url.
var jsonURLKeys = map[string]bool{"image": true, "banner_image": true, "icon": true, "favicon": true, "avatar": true}

// walkJSON checks a JSON Feed document.
func (w *urlWalk) walkJSON(body []byte) {
	w.t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		w.t.Fatalf("%s: %v", w.doc, err)
	}
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				walk(k, c)
			}
		case []any:
			for _, c := range v {
				walk(key, c)
			}
		case string:
			switch {
			case key == "content_html":
				w.walkHTML(key, v, false)
			case strings.HasSuffix(key, "url") || jsonURLKeys[key]:
				w.check(key, v, urlpolicy.Web)
			}
		}
	}
	walk("", v)
}

// htmlURLAttrs are the attributes of HTML that hold URLs.
var htmlURLAttrs = map[string]bool{"href": true, "src": true, "cite": true, "poster": true, "action": true,
	"formaction": true, "background": true, "longdesc": true, "usemap": true, "data": true, "codebase": true,
	"srcset": true, "manifest": true, "ping": true, "xlink:href": true}

// walkHTML checks an item body (page false: every URL absolute) or one
// of our own pages (page true: its relative links resolve against its
// address).
func (w *urlWalk) walkHTML(where, s string, page bool) {
	w.t.Helper()
	base, _ := url.Parse(w.doc)
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			for _, a := range tok.Attr {
				if !htmlURLAttrs[a.Key] {
					continue
				}
				vals := []string{a.Val}
				if a.Key == "srcset" {
					vals = nil
					for _, c := range strings.Split(a.Val, ",") {
						vals = append(vals, strings.Fields(c + " x")[0])
					}
				}
				for _, v := range vals {
					if page && !strings.Contains(v, ":") {
						if r, err := base.Parse(v); err == nil {
							v = r.String()
						}
					}
					w.check(where+" <"+tok.Data+" "+a.Key+">", v, urlpolicy.Person)
				}
			}
		}
	}
}

// checkOutputURLs walks every output of the site's channels, and the
// index page.
func checkOutputURLs(t *testing.T, s *sharedSite) {
	w := &urlWalk{t: t, seen: map[string]bool{}}
	for _, ch := range s.channels {
		for _, f := range []string{"rss", "atom", "json", ""} {
			w.doc = s.base + "/channels/" + ch
			if f != "" {
				w.doc += "." + f
			}
			body := []byte(body(t, get(t, w.doc, nil)))
			switch f {
			case "rss", "atom":
				w.walkXML(body)
			case "json":
				w.walkJSON(body)
			default:
				w.walkHTML("page", string(body), true)
			}
		}
	}
	w.doc = s.base + "/"
	w.walkHTML("page", body(t, get(t, w.doc, nil)), true)
	// The walk must have seen what the hostile feed's items carry that
	// is fine, in every place it looks.
	for _, u := range []string{
		"https://ok.example/fine",            // a body's link
		"https://ok.example/podcast.mp3",     // an enclosure
		"https://ok.example/double-escaped",  // an item link
		"https://ok.example/img.png",         // backslashes read as a browser does
		"mailto:someone@ok.example",          // a person's address in a body
		"https://www.youtube.com/embed/x",    // an allowed embed
		"https://ok.example/tabs",            // tabs and newlines removed
		"https://ok.example/episode.ogg?x=1", // an enclosure without a type
	} {
		if !w.seen[u] {
			t.Errorf("the walk never met %s", u)
		}
	}
	t.Logf("%d URLs checked (%d distinct) in %d channels", w.checked, len(w.seen), len(s.channels))
}
