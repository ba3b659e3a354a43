package feedserver

import (
	"errors"
	"io"
	"net/http"
	"net/url"
)

// WebSubCallbacks is what answers the WebSub subscriber callbacks: the
// fetcher's subscriber, handed over by the daemon (feedserver never
// imports the fetcher).
type WebSubCallbacks interface {
	// Verify answers a hub's verification of intent for callback id:
	// the challenge to echo and the status.
	Verify(id string, query url.Values) (challenge string, status int)
	// Deliver takes a content distribution for callback id and returns
	// the status to answer at once.
	Deliver(id string, body []byte, header http.Header) int
}

// defaultWebSubMaxBody bounds a pushed body when Options.WebSubMaxBody is 0.
const defaultWebSubMaxBody = 10 << 20

// serveWebSub routes GET /websub/{id} to Verify and POST to Deliver.
func (s *Server) serveWebSub(w http.ResponseWriter, r *http.Request) {
	if s.websub == nil {
		http.NotFound(w, r)
		return
	}
	id := r.PathValue("id")
	switch r.Method {
	case http.MethodGet:
		challenge, status := s.websub.Verify(id, r.URL.Query())
		if status != http.StatusOK {
			http.Error(w, http.StatusText(status), status)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, challenge)
	case http.MethodPost:
		limit := s.websubMax
		if limit <= 0 {
			limit = defaultWebSubMaxBody
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		w.WriteHeader(s.websub.Deliver(id, body, r.Header))
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}
