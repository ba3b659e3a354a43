package main

import (
	"bytes"
	"cmp"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/feedmill/feedmill/feedserver"
	"github.com/feedmill/feedmill/fetcher"
	"github.com/feedmill/feedmill/fetcher/httpclient"
	"github.com/feedmill/feedmill/storage"
)

// Config is the config file (DESIGN.md, "Config file"). Keys may be added;
// the ones there are a public contract and are never renamed.
type Config struct {
	DB         string          `yaml:"db"`
	Listen     string          `yaml:"listen"`
	BaseURL    string          `yaml:"base_url"`
	AdminToken string          `yaml:"admin_token"`
	TLSCert    string          `yaml:"tls_cert"` // with tls_key: serve HTTPS (PEM files)
	TLSKey     string          `yaml:"tls_key"`
	WebSubHub  string          `yaml:"websub_hub"` // WebSub hub announced in the feeds and pinged on changes
	LogFormat  string          `yaml:"log_format"` // text | json
	LogLevel   string          `yaml:"log_level"`  // debug | info | warn | error
	Fetch      FetchConfig     `yaml:"fetch"`
	Retention  RetentionConfig `yaml:"retention"`
	Cache      CacheConfig     `yaml:"cache"`
	Sources    []SourceConfig  `yaml:"sources"`
	Channels   []ChannelConfig `yaml:"channels"`
	WebSub     WebSubConfig    `yaml:"websub"`

	// ControlSocket is where the daemon listens for the CLI; "" = beside
	// the store, or under the runtime directory when that path is too
	// long for a unix socket (socketpath.go).
	ControlSocket string `yaml:"control_socket"`

	// File is the config file read ("" = built-in defaults); relative
	// paths in it are relative to its folder.
	File  string         `yaml:"-"`
	lines map[string]int // key path -> line, for error messages
}

// FetchConfig is the `fetch:` section.
type FetchConfig struct {
	Every       Duration `yaml:"every"`
	Cron        string   `yaml:"cron"`
	MinInterval Duration `yaml:"min_interval"`
	MaxInterval Duration `yaml:"max_interval"`
	Timeout     Duration `yaml:"timeout"`
	MaxBody     ByteSize `yaml:"max_body"`
	// MaxItems and MaxItemBytes cap what one feed document brings in:
	// items taken (first in document order), and HTML bytes of an item's
	// content and summary, each (truncated, not dropped).
	MaxItems     int      `yaml:"max_items"`
	MaxItemBytes ByteSize `yaml:"max_item_bytes"`
	Workers      int      `yaml:"workers"`
	PerHost      int      `yaml:"per_host"`
	// PerHostInterval spaces requests to one host after a burst of
	// per_host; 0 = no spacing.
	PerHostInterval Duration `yaml:"per_host_interval"`
	UserAgent       string   `yaml:"user_agent"`
	AllowPrivate    bool     `yaml:"allow_private"`
	FullText        string   `yaml:"full_text"` // never | auto | always
	// Proxy is the http://, https:// or socks5:// proxy for every source
	// that names none; "" = none.
	Proxy string `yaml:"proxy"`
}

// WebSubConfig is the `websub:` section: the subscriber side (the hub
// feedmill announces for its own channels is websub_hub).
type WebSubConfig struct {
	// Subscribe subscribes sources to the hubs their feeds announce; the
	// hubs call back under base_url, which they must reach.
	Subscribe bool `yaml:"subscribe"`
}

// RetentionConfig is the `retention:` section.
type RetentionConfig struct {
	MaxAge            Duration `yaml:"max_age"`
	MaxItemsPerSource int      `yaml:"max_items_per_source"`
}

// CacheConfig is the `cache:` section: the rendered documents the HTTP
// server keeps in memory.
type CacheConfig struct {
	MaxBytes ByteSize `yaml:"max_bytes"` // budget; least recently used out first
}

// minCacheBytes is the smallest cache.max_bytes accepted.
const minCacheBytes = 1 << 20

// SourceConfig is one entry of `sources:`.
type SourceConfig struct {
	URL   string   `yaml:"url"`
	Tags  []string `yaml:"tags"`
	Title string   `yaml:"title"`
	Every Duration `yaml:"every"`
	Cron  string   `yaml:"cron"`
	// Priority picks the copy a collapsed story shows: lower wins. 0 =
	// the source's position in the file (1, 2, ...).
	Priority int `yaml:"priority"`
	// FullText and ContentSelector: fulltext_config.go.
	FullText        string `yaml:"full_text"`
	ContentSelector string `yaml:"content_selector"`
	// How to ask for it (request.go): secrets stay in memory, never in
	// the store or any output.
	Username  string            `yaml:"username"`
	Password  string            `yaml:"password"`
	Headers   map[string]string `yaml:"headers"`
	Cookie    string            `yaml:"cookie"`
	UserAgent string            `yaml:"user_agent"`
	Proxy     string            `yaml:"proxy"`
	// Scrape makes the source a page without a feed (request.go).
	Scrape *ScrapeConfig `yaml:"scrape"`
}

// ScrapeConfig is a source's `scrape:` key: CSS selectors of the items
// on a page without a feed and, inside each, of their parts.
type ScrapeConfig struct {
	Item    string `yaml:"item"`
	Title   string `yaml:"title"`
	Link    string `yaml:"link"`
	Date    string `yaml:"date"`
	Summary string `yaml:"summary"`
	Content string `yaml:"content"`
}

// ChannelConfig is one entry of `channels:`.
type ChannelConfig struct {
	Name        string   `yaml:"name"`
	Title       string   `yaml:"title"`
	Description string   `yaml:"description"`
	Language    string   `yaml:"language"`
	Tags        []string `yaml:"tags"`
	Sources     []string `yaml:"sources"`
	Include     []string `yaml:"include"`
	Exclude     []string `yaml:"exclude"`
	MaxAge      Duration `yaml:"max_age"`
	Limit       int      `yaml:"limit"`
	Duplicates  string   `yaml:"duplicates"`
	Strip       []string `yaml:"strip"`
	// MinLength drops items with fewer characters of body text.
	MinLength int `yaml:"min_length"`
	// MaxPerSource caps one source's items in the channel.
	MaxPerSource int `yaml:"max_per_source"`
}

// defaultConfig is what feedmill runs with when no config file exists, and
// what every key of a config file defaults to.
func defaultConfig() *Config {
	return &Config{
		DB:        "feedmill.db",
		Listen:    "127.0.0.1:8080",
		LogFormat: "text",
		LogLevel:  "info",
		Fetch: FetchConfig{
			Every:           Duration(30 * 60e9),
			MinInterval:     Duration(5 * 60e9),
			MaxInterval:     Duration(24 * 3600e9),
			Timeout:         Duration(20e9),
			MaxBody:         10 << 20,
			MaxItems:        fetcher.DefaultMaxItems,
			MaxItemBytes:    fetcher.DefaultMaxItemBytes,
			Workers:         16,
			PerHost:         2,
			PerHostInterval: Duration(1e9),
		},
		Retention: RetentionConfig{
			MaxAge:            Duration(720 * 3600e9),
			MaxItemsPerSource: 1000,
		},
		Cache: CacheConfig{MaxBytes: feedserver.DefaultCacheMaxBytes},
		lines: map[string]int{},
	}
}

// configPath picks the config file: -c FILE, else $FEEDMILL_CONFIG, else
// ./feedmill.yaml when it exists, else "" (built-in defaults).
func configPath(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if env := os.Getenv("FEEDMILL_CONFIG"); env != "" {
		return env
	}
	if _, err := os.Stat("feedmill.yaml"); err == nil {
		return "feedmill.yaml"
	}
	return ""
}

// loadConfig reads and checks the config file at path ("" = defaults).
// Every mistake is reported with the file, key and line.
func loadConfig(path string) (*Config, error) {
	cfg := defaultConfig()
	var data []byte
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, &configError{msg: "config: " + err.Error()}
		}
		cfg.File = path
	}
	// Values that did not decode keep their defaults, so validating what
	// did decode reports the remaining mistakes in the same run.
	cfg.DB = ""
	parseErr := cfg.parse(data)
	if cfg.DB == "" {
		cfg.DB = cmp.Or(os.Getenv("FEEDMILL_DB"), defaultConfig().DB)
	}
	if tok := os.Getenv("FEEDMILL_ADMIN_TOKEN"); tok != "" && cfg.AdminToken == "" {
		cfg.AdminToken = tok
	}
	cfg.resolvePaths()
	if err := errors.Join(parseErr, cfg.validate()); err != nil {
		return nil, prefixErrors(configName(cfg), err)
	}
	return cfg, nil
}

func (c *Config) parse(data []byte) error {
	if len(data) == 0 {
		return nil
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // an empty file: defaults
		}
		return err
	}
	return errors.Join(decodeYAML(&root, c, c.lines)...)
}

// prefixErrors flattens (joined) errors into one line each, prefixed with
// the config's name.
func prefixErrors(name string, err error) error {
	var lines []string
	var flatten func(error)
	flatten = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, sub := range j.Unwrap() {
				flatten(sub)
			}
			return
		}
		lines = append(lines, name+": "+e.Error())
	}
	flatten(err)
	return &configError{msg: strings.Join(lines, "\n")}
}

// configError is a mistake in the config: exit code 2.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

func (c *Config) at(path string) string {
	if line, ok := c.lines[path]; ok {
		return fmt.Sprintf("%s (line %d)", path, line)
	}
	return path
}

// resolvePaths makes db, control_socket, tls_cert and tls_key relative
// to the config file's folder.
func (c *Config) resolvePaths() {
	for _, p := range []*string{&c.DB, &c.TLSCert, &c.TLSKey} {
		if c.File != "" && *p != "" && !filepath.IsAbs(*p) && !isPostgresDSN(*p) {
			*p = filepath.Join(filepath.Dir(c.File), *p)
		}
	}
	if c.File != "" && c.ControlSocket != "" && !filepath.IsAbs(c.ControlSocket) {
		c.ControlSocket = filepath.Join(filepath.Dir(c.File), c.ControlSocket)
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Listen
		if c.TLSCert != "" {
			c.BaseURL = "https://" + c.Listen
		}
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
}

var channelName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

func (c *Config) validate() error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", c.at(path), fmt.Sprintf(format, args...)))
	}
	c.validateGeneral(bad)
	c.validateTLS(bad)
	c.validateFullText(bad)
	c.validateLog(bad)
	c.validateFetch(bad)
	c.validateLimits(bad)
	urls := c.validateSources(bad)
	c.validateChannels(urls, bad)
	return errors.Join(errs...)
}

// validateGeneral checks the top-level keys: db, control_socket, base_url
// and websub_hub.
func (c *Config) validateGeneral(bad func(path, format string, args ...any)) {
	switch {
	case c.DB == "":
		bad("db", "must not be empty")
	case isPostgresDSN(c.DB):
		if u, err := url.Parse(c.DB); err != nil || u.Host == "" && u.Query().Get("host") == "" {
			bad("db", "%s is not a PostgreSQL URL: want postgres://USER@HOST:PORT/DATABASE?sslmode=...", displayDB(c.DB))
		}
		if c.WebSub.Subscribe {
			bad("websub.subscribe", "not available on a PostgreSQL store (db): replicas poll every source; set it to false")
		}
	}
	if n := len(c.ControlSocket); n > maxSocketPath {
		bad("control_socket", "%s is %d bytes, longer than the %d a unix socket allows", c.ControlSocket, n, maxSocketPath)
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("base_url", "want an absolute http(s) URL, got %q", c.BaseURL)
	}
	if c.WebSubHub != "" {
		if u, err := url.Parse(c.WebSubHub); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("websub_hub", "want an absolute http(s) URL, got %q", c.WebSubHub)
		}
	}
}

// validateLog checks log_format and log_level.
func (c *Config) validateLog(bad func(path, format string, args ...any)) {
	switch c.LogFormat {
	case "text", "json":
	default:
		bad("log_format", "want text or json, got %q", c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log_level", "want debug, info, warn or error, got %q", c.LogLevel)
	}
}

// validateFetch checks the fetch section.
func (c *Config) validateFetch(bad func(path, format string, args ...any)) {
	f := c.Fetch
	if f.Workers < 1 {
		bad("fetch.workers", "must be at least 1")
	}
	if f.PerHost < 1 {
		bad("fetch.per_host", "must be at least 1")
	}
	if f.MaxItems < 1 {
		bad("fetch.max_items", "must be at least 1")
	}
	if f.MaxItemBytes < 1<<10 {
		bad("fetch.max_item_bytes", "must be at least 1KiB")
	}
	if f.PerHostInterval.D() < 0 {
		bad("fetch.per_host_interval", "must not be negative")
	}
	if f.MinInterval.D() <= 0 {
		bad("fetch.min_interval", "must be above zero")
	}
	if f.MaxInterval < f.MinInterval {
		bad("fetch.max_interval", "%s is below fetch.min_interval %s", f.MaxInterval, f.MinInterval)
	}
	if f.Every.D() <= 0 {
		bad("fetch.every", "must be above zero")
	}
	if f.Timeout.D() <= 0 {
		bad("fetch.timeout", "must be above zero")
	}
	if f.Cron != "" {
		if err := checkCron(f.Cron); err != nil {
			bad("fetch.cron", "%v", err)
		}
	}
	if f.Proxy != "" {
		if _, err := httpclient.ParseProxy(f.Proxy); err != nil {
			bad("fetch.proxy", "%v", err)
		}
	}
}

// validateLimits checks the retention and cache sections.
func (c *Config) validateLimits(bad func(path, format string, args ...any)) {
	if c.Retention.MaxItemsPerSource < 0 {
		bad("retention.max_items_per_source", "must not be negative")
	}
	if c.Cache.MaxBytes < minCacheBytes {
		bad("cache.max_bytes", "must be at least 1MiB, got %d bytes", int64(c.Cache.MaxBytes))
	}
}

// validateSources checks every source and returns the index of each
// source URL, for the channels' sources lists.
func (c *Config) validateSources(bad func(path, format string, args ...any)) map[string]int {
	urls := map[string]int{}
	for i, s := range c.Sources {
		p := fmt.Sprintf("sources[%d]", i)
		u, err := url.Parse(strings.TrimSpace(s.URL))
		switch {
		case s.URL == "":
			bad(p, "url is missing")
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			bad(p+".url", "want an absolute http(s) URL, got %q", s.URL)
		default:
			if j, dup := urls[s.URL]; dup {
				bad(p+".url", "%s is already sources[%d]", s.URL, j)
			}
			urls[s.URL] = i
		}
		if s.Cron != "" {
			if err := checkCron(s.Cron); err != nil {
				bad(p+".cron", "%v", err)
			}
		}
		if s.Priority < 0 {
			bad(p+".priority", "must not be negative")
		}
		c.validateRequest(p, s, bad)
	}
	return urls
}

// validateChannels checks every channel; urls are the sources' URLs.
func (c *Config) validateChannels(urls map[string]int, bad func(path, format string, args ...any)) {
	names := map[string]int{}
	for i, ch := range c.Channels {
		p := fmt.Sprintf("channels[%d]", i)
		switch {
		case ch.Name == "":
			bad(p, "name is missing")
		case !channelName.MatchString(ch.Name):
			bad(p+".name", "%q is not a URL slug (lower-case letters, digits, '.', '_', '-')", ch.Name)
		default:
			if j, dup := names[ch.Name]; dup {
				bad(p+".name", "channel %q is already channels[%d]", ch.Name, j)
			}
			names[ch.Name] = i
		}
		switch ch.Duplicates {
		case "", "collapse", "keep":
		default:
			bad(p+".duplicates", "want collapse or keep, got %q", ch.Duplicates)
		}
		if ch.Limit < 0 {
			bad(p+".limit", "must not be negative")
		}
		if ch.MinLength < 0 {
			bad(p+".min_length", "must not be negative")
		}
		if ch.MaxPerSource < 0 {
			bad(p+".max_per_source", "must not be negative")
		}
		for j, su := range ch.Sources {
			if _, ok := urls[su]; !ok && len(c.Sources) > 0 {
				bad(fmt.Sprintf("%s.sources[%d]", p, j), "%s is not in sources", su)
			}
		}
		if len(c.Sources) > 0 && !c.selectsAny(ch) {
			bad(p, "channel %q selects no source: no source has any of the tags %v", ch.Name, ch.Tags)
		}
	}
}

// selectsAny reports whether a channel selects at least one source of the
// config. (Sources added at run time through the CLI or API are not known
// here; a config that lists no sources is not checked.)
func (c *Config) selectsAny(ch ChannelConfig) bool {
	for _, s := range c.Sources {
		if channelSelects(ch, s) {
			return true
		}
	}
	return false
}

// fetcherOptions maps the fetch section onto the fetcher's options.
func (c *Config) fetcherOptions() fetcher.Options {
	f := c.Fetch
	o := fetcher.Options{
		Every:        f.Every.D(),
		MinInterval:  f.MinInterval.D(),
		MaxInterval:  f.MaxInterval.D(),
		Timeout:      f.Timeout.D(),
		MaxBody:      int64(f.MaxBody),
		MaxItems:     f.MaxItems,
		MaxItemBytes: int(f.MaxItemBytes),
		Workers:      f.Workers,
		PerHost:      f.PerHost,
		HostInterval: hostInterval(f.PerHostInterval.D()),
		Cron:         f.Cron,
		UserAgent:    f.UserAgent,
		AllowPrivate: f.AllowPrivate,
		Proxy:        mustProxy(f.Proxy),
		Sources:      c.sourceOptions(),
	}
	o.FullText = c.fullTextOptions()
	return o
}

// hostInterval maps fetch.per_host_interval onto fetcher.Options, where 0
// means the default: the config's 0 (no spacing) is negative there.
func hostInterval(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// validateTLS checks that tls_cert and tls_key come together and load as
// a certificate and its key.
func (c *Config) validateTLS(bad func(path, format string, args ...any)) {
	switch {
	case c.TLSCert == "" && c.TLSKey == "":
		return
	case c.TLSKey == "":
		bad("tls_cert", "needs tls_key too (both or neither)")
		return
	case c.TLSCert == "":
		bad("tls_key", "needs tls_cert too (both or neither)")
		return
	}
	ok := true
	for _, f := range []struct{ key, path string }{{"tls_cert", c.TLSCert}, {"tls_key", c.TLSKey}} {
		if _, err := os.Stat(f.path); err != nil {
			bad(f.key, "%v", err)
			ok = false
		}
	}
	if !ok {
		return
	}
	if _, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey); err != nil {
		bad("tls_cert", "with tls_key %s: %v", c.TLSKey, err)
	}
}

func (c *Config) storageOptions() storage.Options {
	return storage.Options{Retention: storage.Retention{
		MaxAge:            c.Retention.MaxAge.D(),
		MaxItemsPerSource: c.Retention.MaxItemsPerSource,
	}}
}

func (c *Config) feedserverOptions() feedserver.Options {
	chans := make([]feedserver.Channel, len(c.Channels))
	for i, ch := range c.Channels {
		chans[i] = feedserver.Channel{
			Name: ch.Name, Title: ch.Title, Description: ch.Description, Language: ch.Language,
			Tags: ch.Tags, Sources: ch.Sources, Include: ch.Include, Exclude: ch.Exclude,
			MaxAge: ch.MaxAge.D(), Limit: ch.Limit, Duplicates: ch.Duplicates, Strip: ch.Strip,
			MinLength: ch.MinLength, MaxPerSource: ch.MaxPerSource,
		}
	}
	return feedserver.Options{BaseURL: c.BaseURL, Channels: chans, Version: version,
		WebSubHub: c.WebSubHub, AdminToken: c.AdminToken, CacheMaxBytes: int64(c.Cache.MaxBytes)}
}

// configSources are the config's sources as the store keeps them; their
// position in the file is their priority when one story runs in several.
func (c *Config) configSources() []storage.Source {
	out := make([]storage.Source, len(c.Sources))
	for i, s := range c.Sources {
		out[i] = storage.Source{
			URL: strings.TrimSpace(s.URL), Title: s.Title, Tags: s.Tags,
			Every: s.Every.D(), Cron: s.Cron, Origin: storage.OriginConfig, Priority: i + 1,
		}
		if s.Priority > 0 {
			out[i].Priority = s.Priority
		}
	}
	return out
}
