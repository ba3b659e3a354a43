package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/feedserver"
)

// FuzzLoadConfig loads arbitrary YAML as a config file. Nothing may panic;
// a rejected config gives an error whose every line names the file; an
// accepted one also passes feedserver's own channel checks, so `check`
// never approves a config that `serve` would refuse.
//
//	go test -run '^$' -fuzz '^FuzzLoadConfig$' -fuzztime 30s ./cmd/feedmill/
func FuzzLoadConfig(f *testing.F) {
	if b, err := os.ReadFile("../../examples/feedmill.yaml"); err == nil {
		f.Add(string(b))
	}
	for _, seed := range []string{
		"",
		"listen: 127.0.0.1:1\nlisten_addr: x\n",
		"fetch:\n  every: 10m\n  evry: 5m\n  timeout: 20 seconds\n  max_body: 3GiB\n  workers: many\n",
		"sources:\n  - url: https://a.example/feed\n    tags: [world]\n    every: 7d\nchannels:\n  - name: world\n    tags: [world]\n    include: [\"/(a|b\"]\n",
		"channels:\n  - name: w\n    duplicates: merge\n    strip: ['/[/']\n  - name: w\n",
		"fetch:\n  cron: \"*/10 6-22 * * *\"\n  min_interval: 2h\n  max_interval: 1h\n",
		"a: &x [*x]\n",
		"- just\n- a list\n",
		"db: {nested: map}\nretention:\n  max_age: -5h\n  max_items_per_source: -1\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, yaml string) {
		path := filepath.Join(t.TempDir(), "feedmill.yaml")
		if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := loadConfig(path)
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "feedmill.yaml") && !strings.HasPrefix(line, path) {
					t.Fatalf("error line without the file name: %q", line)
				}
			}
			return
		}
		opts := cfg.feedserverOptions()
		if _, err := feedserver.New(nil, opts); err != nil {
			t.Fatalf("config accepted, channels refused: %v\n%s", err, yaml)
		}
		_ = cfg.fetcherOptions()
		_ = cfg.storageOptions()
	})
}
