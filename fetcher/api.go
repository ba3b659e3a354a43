package fetcher

// API CONTRACT (skeleton). The fetcher helper replaces these stubs with the
// real implementation (client.go, conditional.go, charset.go, parse.go,
// normalize.go, canonical.go, pass.go, schedule.go ...) and deletes this
// file. cmd/feedmill codes against these signatures.

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/feedmill/feedmill/storage"
)

// Options configure a Fetcher; zero values take the defaults noted.
type Options struct {
	Every        time.Duration // default interval (30m)
	MinInterval  time.Duration // 5m
	MaxInterval  time.Duration // 24h
	Timeout      time.Duration // whole request, body included (20s)
	MaxBody      int64         // bytes after decompression (10 MiB)
	Workers      int           // 16
	PerHost      int           // concurrent requests to one host (2)
	UserAgent    string        // "" = DefaultUserAgent
	AllowPrivate bool          // allow loopback/private addresses
	Logger       *slog.Logger
	Now          func() time.Time // clock; nil = time.Now
	// Transport replaces the HTTP transport (tests); nil = the default one.
	Transport http.RoundTripper
}

// DefaultUserAgent names feedmill and the project URL.
var DefaultUserAgent = "feedmill/dev (+https://github.com/feedmill/feedmill)"

// Fetcher polls sources and records what they return in the store.
type Fetcher struct{}

// New returns a Fetcher writing into store.
func New(store *storage.Store, opts Options) *Fetcher { panic("TODO") }

// PassOptions choose what a pass fetches.
type PassOptions struct {
	All  bool     // ignore due times (never a retirement or a Retry-After window)
	URLs []string // only these sources (they must exist in the store); implies All for them
	// OnResult, when set, is called once per source as it finishes
	// (from worker goroutines, serialized by the fetcher).
	OnResult func(Result)
}

// Result is the outcome of one source in a pass.
type Result struct {
	URL         string        `json:"url"`
	Status      int           `json:"status"` // HTTP status, 0 = none
	NotModified bool          `json:"not_modified,omitempty"`
	Added       int           `json:"added"`
	Updated     int           `json:"updated"`
	Err         string        `json:"error,omitempty"` // "" = success
	Duration    time.Duration `json:"duration"`
	NextDue     time.Time     `json:"next_due"`
}

// Report sums up a pass.
type Report struct {
	Results  []Result      `json:"results"`
	Failed   int           `json:"failed"`
	Duration time.Duration `json:"duration"`
}

// Pass fetches the due sources (or as PassOptions say) once, with
// Options.Workers workers, and returns when all are recorded.
func (f *Fetcher) Pass(ctx context.Context, po PassOptions) (Report, error) { panic("TODO") }

// Run fetches each source when it is due until ctx ends; it returns after
// the fetches in flight are recorded.
func (f *Fetcher) Run(ctx context.Context) error { panic("TODO") }

// Reschedule tells a running scheduler that sources were added, removed or
// changed in the store.
func (f *Fetcher) Reschedule() { panic("TODO") }
