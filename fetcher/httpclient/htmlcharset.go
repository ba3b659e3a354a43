package httpclient

import (
	"golang.org/x/net/html/charset"
	"golang.org/x/text/transform"
)

// HTMLToUTF8 returns an HTML page as UTF-8. The charset comes from a
// byte order mark, else the HTTP Content-Type, else the page's
// <meta charset> (or http-equiv), else detection (valid UTF-8 is UTF-8,
// anything else windows-1252), as browsers decide it. Bytes that still
// are not UTF-8 become U+FFFD and stray C0 controls go.
func HTMLToUTF8(body []byte, contentType string) []byte {
	enc, name, _ := charset.DetermineEncoding(body, contentType)
	if name != "utf-8" {
		if out, _, err := transform.Bytes(enc.NewDecoder(), body); err == nil {
			body = out
		}
	}
	return cleanBytes(body)
}
