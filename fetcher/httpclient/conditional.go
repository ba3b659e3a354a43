package httpclient

import "net/http"

// Validators are what a response said to identify its body, for the next
// conditional GET (If-None-Match, If-Modified-Since).
type Validators struct {
	ETag         string
	LastModified string
}

// setConditional adds If-None-Match and If-Modified-Since from v.
func (v Validators) setConditional(req *http.Request) {
	if v.ETag != "" {
		req.Header.Set("If-None-Match", v.ETag)
	}
	if v.LastModified != "" {
		req.Header.Set("If-Modified-Since", v.LastModified)
	}
}

// ValidatorsOf are the validators of a 200 response: those it sent, and
// none when it sent none (older ones described another body).
func ValidatorsOf(h http.Header) Validators {
	return Validators{ETag: h.Get("ETag"), LastModified: h.Get("Last-Modified")}
}

// After304 is v after a 304: the validators stay, unless the server sent
// new ones.
func (v Validators) After304(h http.Header) Validators {
	if e := h.Get("ETag"); e != "" {
		v.ETag = e
	}
	if lm := h.Get("Last-Modified"); lm != "" {
		v.LastModified = lm
	}
	return v
}
