package parse

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// HubLinks returns the WebSub hub and self URLs a feed announces: from
// the HTTP Link header first, else from the document (<link rel="hub">
// and rel="self", atom:link in RSS included; a JSON Feed's hubs and
// feed_url). Relative URLs are resolved against base. Either is "" when
// not announced.
func HubLinks(header http.Header, body []byte, base *url.URL) (hub, self string) {
	hub, self = linkHeader(header.Values("Link"))
	if hub == "" || self == "" {
		dh, ds := docHubLinks(body)
		if hub == "" {
			hub = dh
		}
		if self == "" {
			self = ds
		}
	}
	return resolve(hub, base), resolve(self, base)
}

func resolve(ref string, base *url.URL) string {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return ""
	}
	u, err := base.Parse(ref)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	return u.String()
}

// linkHeader reads rel="hub" and rel="self" out of Link header values
// (RFC 8288: `<URL>; rel="hub", <URL>; rel="self"`).
func linkHeader(values []string) (hub, self string) {
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			target, params, ok := strings.Cut(part, ";")
			target = strings.TrimSpace(target)
			if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			target = target[1 : len(target)-1]
			for _, p := range strings.Split(params, ";") {
				k, val, _ := strings.Cut(p, "=")
				if strings.TrimSpace(strings.ToLower(k)) != "rel" {
					continue
				}
				for _, rel := range strings.Fields(strings.Trim(strings.TrimSpace(val), `"`)) {
					switch strings.ToLower(rel) {
					case "hub":
						if hub == "" {
							hub = target
						}
					case "self":
						if self == "" {
							self = target
						}
					}
				}
			}
		}
	}
	return hub, self
}

// docHubLinks reads hub and self links from the head of a feed document,
// up to its first item or entry.
func docHubLinks(body []byte) (hub, self string) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var jf struct {
			FeedURL string `json:"feed_url"`
			Hubs    []struct {
				URL string `json:"url"`
			} `json:"hubs"`
		}
		if json.Unmarshal(trimmed, &jf) == nil {
			if len(jf.Hubs) > 0 {
				hub = jf.Hubs[0].URL
			}
			return hub, jf.FeedURL
		}
		return "", ""
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = false
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	for {
		tok, err := d.Token()
		if err != nil {
			return hub, self
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch strings.ToLower(se.Name.Local) {
		case "item", "entry":
			return hub, self
		case "link":
			var rel, href string
			for _, a := range se.Attr {
				switch strings.ToLower(a.Name.Local) {
				case "rel":
					rel = strings.ToLower(strings.TrimSpace(a.Value))
				case "href":
					href = a.Value
				}
			}
			if rel == "hub" && hub == "" {
				hub = href
			} else if rel == "self" && self == "" {
				self = href
			}
		}
	}
}
