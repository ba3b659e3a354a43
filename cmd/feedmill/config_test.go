package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "feedmill.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConfigErrorsNameKeyAndLine(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // every one must appear in the error
	}{
		{"unknown top-level key", "listen: 127.0.0.1:1\nlisten_addr: x\n",
			[]string{"listen_addr (line 2): unknown key"}},
		{"unknown nested key", "fetch:\n  every: 10m\n  evry: 5m\n",
			[]string{"fetch.evry (line 3): unknown key", "known here: every"}},
		{"bad duration", "fetch:\n  timeout: 20 seconds\n",
			[]string{"fetch.timeout (line 2): bad duration \"20 seconds\""}},
		{"bad size", "fetch:\n  max_body: lots\n",
			[]string{"fetch.max_body (line 2): bad size \"lots\""}},
		{"bad number", "fetch:\n  workers: many\n",
			[]string{"fetch.workers (line 2): want a whole number"}},
		{"item limits too small", "fetch:\n  max_items: 0\n  max_item_bytes: 10\n",
			[]string{"fetch.max_items (line 2): must be at least 1", "fetch.max_item_bytes (line 3): must be at least 1KiB"}},
		{"bool as string", "fetch:\n  allow_private: yes please\n",
			[]string{"fetch.allow_private (line 2): want true or false"}},
		{"list expected", "sources:\n  - url: https://a.example/feed\n    tags: world\n",
			[]string{"sources[0].tags (line 3): want a list"}},
		{"duplicate channel", "channels:\n  - name: world\n  - name: tech\n  - name: world\n",
			[]string{"channels[2].name (line 4): channel \"world\" is already channels[0]"}},
		{"channel selects no source", "sources:\n  - url: https://a.example/feed\n    tags: [tech]\nchannels:\n  - name: world\n    tags: [world]\n",
			[]string{"channels[0] (line 5): channel \"world\" selects no source"}},
		{"channel source not listed", "sources:\n  - url: https://a.example/feed\nchannels:\n  - name: w\n    sources: [https://b.example/feed]\n",
			[]string{"channels[0].sources[0] (line 5): https://b.example/feed is not in sources"}},
		{"bad channel name", "channels:\n  - name: World News\n",
			[]string{"channels[0].name (line 2): \"World News\" is not a URL slug"}},
		{"bad duplicates mode", "channels:\n  - name: w\n    duplicates: merge\n",
			[]string{"channels[0].duplicates (line 3): want collapse or keep"}},
		{"negative min_length", "channels:\n  - name: w\n    min_length: -5\n",
			[]string{"channels[0].min_length (line 3): must not be negative"}},
		{"bad max_per_source", "channels:\n  - name: w\n    max_per_source: few\n",
			[]string{"channels[0].max_per_source (line 3): want a whole number"}},
		{"negative priority", "sources:\n  - url: https://a.example/feed\n    priority: -1\n",
			[]string{"sources[0].priority (line 3): must not be negative"}},
		{"bad source url", "sources:\n  - url: ftp://a.example/feed\n",
			[]string{"sources[0].url (line 2): want an absolute http(s) URL"}},
		{"duplicate source", "sources:\n  - url: https://a.example/f\n  - url: https://a.example/f\n",
			[]string{"sources[1].url (line 3): https://a.example/f is already sources[0]"}},
		{"bad cron", "fetch:\n  cron: every morning\n",
			[]string{"fetch.cron (line 2): bad cron expression"}},
		{"min above max", "fetch:\n  min_interval: 2h\n  max_interval: 1h\n",
			[]string{"fetch.max_interval (line 3): 1h0m0s is below fetch.min_interval"}},
		{"key twice", "listen: a:1\nlisten: b:2\n",
			[]string{"listen (line 2): key given twice"}},
		{"several mistakes at once", "fetch:\n  every: soon\n  workers: 0\n",
			[]string{"fetch.every (line 2)", "fetch.workers (line 3): must be at least 1"}},
		{"cache too small", "cache:\n  max_bytes: 64KiB\n",
			[]string{"cache.max_bytes (line 2): must be at least 1MiB"}},
		{"bad cache size", "cache:\n  max_bytes: plenty\n",
			[]string{"cache.max_bytes (line 2): bad size \"plenty\""}},
		{"not yaml", "fetch: [\n", []string{"feedmill.yaml: yaml:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.yaml)
			_, err := loadConfig(path)
			if err == nil {
				t.Fatalf("no error for:\n%s", tt.yaml)
			}
			if !strings.HasPrefix(err.Error(), path+": ") {
				t.Errorf("error does not name the file: %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\n does not contain %q", err, w)
				}
			}
		})
	}
}

func TestConfigDefaultsAndValues(t *testing.T) {
	path := writeConfig(t, `
db: data/store.db
listen: 127.0.0.1:9999
fetch:
  every: 15m
  max_body: 2MiB
  allow_private: true
retention:
  max_age: 7d
cache:
  max_bytes: 16MiB
sources:
  - url: https://a.example/feed
    tags: [world, top]
    every: 1h
channels:
  - name: world
    tags: [world]
    exclude: [sport, "/^Live:/"]
`)
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(filepath.Dir(path), "data/store.db"); cfg.DB != want {
		t.Errorf("db = %q, want %q (relative to the config file)", cfg.DB, want)
	}
	if cfg.BaseURL != "http://127.0.0.1:9999" {
		t.Errorf("base_url default = %q", cfg.BaseURL)
	}
	if cfg.Fetch.Every.D() != 15*time.Minute || cfg.Fetch.MaxBody != 2<<20 || !cfg.Fetch.AllowPrivate {
		t.Errorf("fetch = %+v", cfg.Fetch)
	}
	if cfg.Fetch.Workers != 16 || cfg.Fetch.PerHost != 2 || cfg.Fetch.Timeout.D() != 20*time.Second {
		t.Errorf("fetch defaults lost: %+v", cfg.Fetch)
	}
	if cfg.Retention.MaxAge.D() != 7*24*time.Hour || cfg.Retention.MaxItemsPerSource != 1000 {
		t.Errorf("retention = %+v", cfg.Retention)
	}
	if cfg.Cache.MaxBytes != 16<<20 || cfg.feedserverOptions().CacheMaxBytes != 16<<20 {
		t.Errorf("cache = %+v", cfg.Cache)
	}
	srcs := cfg.configSources()
	if len(srcs) != 1 || srcs[0].Every != time.Hour || srcs[0].Priority != 1 || srcs[0].Origin != "config" {
		t.Errorf("sources = %+v", srcs)
	}
	if ch := cfg.Channels[0]; len(ch.Exclude) != 2 || ch.Exclude[1] != "/^Live:/" {
		t.Errorf("channel = %+v", ch)
	}
}

func TestConfigLookup(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("FEEDMILL_CONFIG", "")
	if got := configPath(""); got != "" {
		t.Errorf("no file, no env: %q, want built-in defaults", got)
	}
	if err := os.WriteFile("feedmill.yaml", []byte("listen: 127.0.0.1:1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := configPath(""); got != "feedmill.yaml" {
		t.Errorf("./feedmill.yaml not found: %q", got)
	}
	t.Setenv("FEEDMILL_CONFIG", "/etc/feedmill.yaml")
	if got := configPath(""); got != "/etc/feedmill.yaml" {
		t.Errorf("$FEEDMILL_CONFIG ignored: %q", got)
	}
	if got := configPath("x.yaml"); got != "x.yaml" {
		t.Errorf("-c ignored: %q", got)
	}
	cfg, err := loadConfig("")
	if err != nil || cfg.DB != "feedmill.db" || cfg.Listen != "127.0.0.1:8080" {
		t.Errorf("built-in defaults: %+v, %v", cfg, err)
	}
}

func TestEmptyConfigFileIsDefaults(t *testing.T) {
	cfg, err := loadConfig(writeConfig(t, "# nothing yet\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Fetch.Every.D() != 30*time.Minute {
		t.Errorf("every = %s", cfg.Fetch.Every)
	}
	if cfg.Cache.MaxBytes != 64<<20 {
		t.Errorf("cache.max_bytes = %d, want 64MiB", cfg.Cache.MaxBytes)
	}
}

func TestExampleConfigIsValid(t *testing.T) {
	if _, err := loadConfig("../../examples/feedmill.yaml"); err != nil {
		t.Fatal(err)
	}
	// The replicas' config takes its database and address from the
	// environment, as deploy/feedmill@.service sets it.
	t.Setenv("FEEDMILL_DB", "postgres://feedmill@db.example:5432/feedmill?sslmode=require")
	t.Setenv("FEEDMILL_LISTEN", "127.0.0.1:8082")
	cfg, err := loadConfig("../../examples/replicas.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !isPostgresDSN(cfg.DB) || cfg.Listen != "127.0.0.1:8082" {
		t.Errorf("replicas.yaml: db %q, listen %q", cfg.DB, cfg.Listen)
	}
}
