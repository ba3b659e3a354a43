package feedserver

// API CONTRACT (skeleton). The feedserver helper replaces these stubs with
// the real implementation (channel.go, filter.go, render.go, cache.go,
// handlers.go, index.go ...) and deletes this file. cmd/feedmill codes
// against these signatures.

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/feedmill/feedmill/storage"
)

// Channel is a curated feed, as the config describes it.
type Channel struct {
	Name        string
	Title       string
	Description string
	Language    string
	Tags        []string // sources with any of these tags ...
	Sources     []string // ... and/or these source URLs; neither = all sources
	Include     []string // keep items matching any: word, "phrase" or /regex/
	Exclude     []string // drop items matching any
	MaxAge      time.Duration
	Limit       int    // 0 = 50
	Duplicates  string // "collapse" (default) | "keep"
	Strip       []string
}

// Options configure a Server.
type Options struct {
	BaseURL  string // absolute URL the channels are published under
	Channels []Channel
	Version  string
	Logger   *slog.Logger
	Now      func() time.Time
}

// Server publishes channels from a store.
type Server struct{}

// New checks the channels (bad regexes and the like are errors naming the
// channel and the key) and returns a Server.
func New(store *storage.Store, opts Options) (*Server, error) { panic("TODO") }

// Handler serves the public HTTP paths of DESIGN.md.
func (s *Server) Handler() http.Handler { panic("TODO") }

// Formats are the feed formats a channel is rendered in, by file extension.
var Formats = []string{"rss", "atom", "json"}

// Render returns a channel in one format ("rss", "atom", "json") as served.
func (s *Server) Render(channel, format string) ([]byte, error) { panic("TODO") }

// Index returns the HTML index page as served at "/".
func (s *Server) Index() ([]byte, error) { panic("TODO") }
