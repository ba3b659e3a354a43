package httpclient

import (
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/transform"
)

// HTMLToUTF8 returns an HTML page as UTF-8. The charset comes from a
// byte order mark, else the HTTP Content-Type, else the page's
// <meta charset> (or http-equiv), else detection: a body that is valid
// UTF-8 is UTF-8 (over all of it, not only the first kilobyte), anything
// else windows-1252. As for feeds (ToUTF8), a body that is valid UTF-8 is
// taken as UTF-8 even when a single-byte charset is declared: mislabelled
// pages are common, single-byte text that happens to be valid UTF-8 is
// not. Bytes that still are not UTF-8 become U+FFFD and stray C0
// controls go.
func HTMLToUTF8(body []byte, contentType string) []byte {
	enc, name, _ := charset.DetermineEncoding(body, contentType)
	if name != "utf-8" && !(isASCIICompatible(name) && utf8.Valid(body)) {
		if out, _, err := transform.Bytes(enc.NewDecoder(), body); err == nil {
			body = out
		}
	}
	return cleanBytes(body)
}
