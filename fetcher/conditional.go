package fetcher

import (
	"net/http"

	"github.com/feedmill/feedmill/storage"
)

// setConditional adds If-None-Match and If-Modified-Since from the
// validators the source's last successful response carried.
func setConditional(req *http.Request, st storage.FetchState) {
	if st.ETag != "" {
		req.Header.Set("If-None-Match", st.ETag)
	}
	if st.LastModified != "" {
		req.Header.Set("If-Modified-Since", st.LastModified)
	}
}

// takeValidators stores the validators of a 200 response in st: those it
// sent, and none when it sent none (the old ones described another body).
func takeValidators(st *storage.FetchState, h http.Header) {
	st.ETag = h.Get("ETag")
	st.LastModified = h.Get("Last-Modified")
}

// keepValidators handles a 304: the validators stay, unless the server sent
// new ones.
func keepValidators(st *storage.FetchState, h http.Header) {
	if v := h.Get("ETag"); v != "" {
		st.ETag = v
	}
	if v := h.Get("Last-Modified"); v != "" {
		st.LastModified = v
	}
}
