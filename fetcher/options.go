package fetcher

import (
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"time"
)

// Options configure a Fetcher; zero values take the defaults noted.
type Options struct {
	Every        time.Duration // default interval (30m)
	MinInterval  time.Duration // 5m
	MaxInterval  time.Duration // 24h
	Timeout      time.Duration // whole request, body included (20s)
	MaxBody      int64         // bytes after decompression (10 MiB)
	MaxItems     int           // items taken from one feed document (DefaultMaxItems)
	MaxItemBytes int           // HTML bytes of an item's content and summary, each (DefaultMaxItemBytes)
	Workers      int           // 16
	PerHost      int           // concurrent requests to one host (2)
	// HostInterval spaces requests to one host: after a burst of PerHost,
	// one request per HostInterval (1s); negative = no spacing.
	HostInterval time.Duration
	// Cron, when set, is a cron expression: Run fetches the due sources
	// at its ticks only, instead of at each source's own due time.
	Cron         string
	UserAgent    string // "" = DefaultUserAgent
	AllowPrivate bool   // allow loopback/private addresses
	// Proxy is the proxy for every source that names none (http, https
	// or socks5); nil = none.
	Proxy *url.URL
	// Sources are the request options of the config's sources, by URL
	// (see SetSourceOptions).
	Sources map[string]SourceOptions
	// WebSubCallback, when set, subscribes sources to the WebSub hubs
	// their feeds announce: the absolute URL of the daemon's /websub/
	// path, ending in "/websub/". WebSubLease is the lease asked for (0 =
	// websub.DefaultLease).
	WebSubCallback string
	WebSubLease    time.Duration
	// NoKnownCut parses every item of every document, instead of leaving
	// out the items the store is expected to hold unchanged (package
	// knowncut; any doubt parses the whole document anyway).
	NoKnownCut bool
	// FullText: when items' article pages are fetched (fulltext.go).
	FullText FullTextOptions
	Logger   *slog.Logger
	Now      func() time.Time // clock; nil = time.Now
	// Transport replaces the HTTP transport (tests); nil = the default one.
	// A replaced transport does its own dialing, so the private-address
	// guard (see guard.go) is not applied to it.
	Transport http.RoundTripper

	// guardExempt (tests only) is one address:port the private-address
	// guard lets through, standing in for a public server.
	guardExempt netip.AddrPort
}

// Defaults applied by New to zero Options fields.
const (
	DefaultEvery        = 30 * time.Minute
	DefaultMinInterval  = 5 * time.Minute
	DefaultMaxInterval  = 24 * time.Hour
	DefaultTimeout      = 20 * time.Second
	DefaultMaxBody      = 10 << 20
	DefaultWorkers      = 16
	DefaultPerHost      = 2
	DefaultHostInterval = time.Second
)

// DefaultUserAgent names feedmill and the project URL.
var DefaultUserAgent = "feedmill/dev (+https://github.com/feedmill/feedmill)"

// withDefaults returns o with every zero field set to its default.
func (o Options) withDefaults() Options {
	if o.Every <= 0 {
		o.Every = DefaultEvery
	}
	if o.MinInterval <= 0 {
		o.MinInterval = DefaultMinInterval
	}
	if o.MaxInterval <= 0 {
		o.MaxInterval = DefaultMaxInterval
	}
	if o.MaxInterval < o.MinInterval {
		o.MaxInterval = o.MinInterval
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.MaxItems <= 0 {
		o.MaxItems = DefaultMaxItems
	}
	if o.MaxItemBytes <= 0 {
		o.MaxItemBytes = DefaultMaxItemBytes
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.PerHost <= 0 {
		o.PerHost = DefaultPerHost
	}
	if o.HostInterval == 0 {
		o.HostInterval = DefaultHostInterval
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.FullText = o.FullText.withDefaults(o.Workers)
	return o
}
