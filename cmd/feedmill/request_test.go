package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/internal/testlog"
)

// TestConfigEnvExpansion: ${NAME} reads the environment in any string
// value; an unset one is an error naming key and line; $${ and a lone $
// stay literal.
func TestConfigEnvExpansion(t *testing.T) {
	t.Setenv("FEEDMILL_DB", "")
	t.Setenv("FM_TEST_PW", "pw-from-env")
	t.Setenv("FM_TEST_KEY", "key-from-env")
	path := writeConfig(t, `sources:
  - url: https://a.example/feed
    username: reader
    password: ${FM_TEST_PW}
    headers: {X-Api-Key: "k=${FM_TEST_KEY};", X-Literal: "$${FM_TEST_KEY}"}
channels:
  - name: w
    include: ["/end$/", "${ not a name}"]
`)
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Sources[0]
	if s.Password != "pw-from-env" || s.Headers["X-Api-Key"] != "k=key-from-env;" || s.Headers["X-Literal"] != "${FM_TEST_KEY}" {
		t.Errorf("expanded: %+v", s)
	}
	if inc := cfg.Channels[0].Include; inc[0] != "/end$/" || inc[1] != "${ not a name}" {
		t.Errorf("include: %q", inc)
	}

	os.Unsetenv("FM_TEST_UNSET")
	t.Setenv("FM_TEST_EMPTY", "")
	path = writeConfig(t, "listen: \"${FM_TEST_UNSET:-127.0.0.1:8081}\"\nbase_url: \"http://${FM_TEST_EMPTY:-feeds.example}/${FM_TEST_KEY:-x}\"\n")
	cfg, err = loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:8081" || cfg.BaseURL != "http://feeds.example/key-from-env" {
		t.Errorf("defaults: listen %q, base_url %q", cfg.Listen, cfg.BaseURL)
	}

	path = writeConfig(t, "sources:\n  - url: https://a.example/feed\n    cookie: \"s=${FM_TEST_UNSET}\"\n")
	_, err = loadConfig(path)
	if err == nil || !strings.Contains(err.Error(), "sources[0].cookie (line 3): environment variable FM_TEST_UNSET is not set") {
		t.Errorf("unset variable: %v", err)
	}
}

func TestConfigRequestErrors(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"fetch:\n  proxy: ftp://p.example\n", "fetch.proxy (line 2): proxy ftp://p.example: want an http://, https:// or socks5:// URL"},
		{"sources:\n  - url: https://a.example/f\n    proxy: socks4://u:SECRET@p:1\n", "sources[0].proxy (line 3)"},
		{"sources:\n  - url: https://a.example/f\n    headers: {\"Bad Name\": x}\n", "sources[0].headers.Bad Name (line 3): not a valid HTTP header name"},
		{"sources:\n  - url: https://a.example/f\n    headers: [x]\n", "sources[0].headers (line 3): want a mapping"},
		{"sources:\n  - url: https://a.example/f\n    password: x\n", "sources[0].password (line 3): needs a username"},
		{"sources:\n  - url: https://a.example/f\n    scrape:\n      item: article\n      title: \"h2[\"\n", "sources[0].scrape.title (line 5): bad CSS selector \"h2[\""},
		{"sources:\n  - url: https://a.example/f\n    scrape: {title: h2}\n", "sources[0].scrape (line 3): item is missing: the item selector is required"},
		{"sources:\n  - url: https://a.example/f\n    scrape: {item: a, titel: h2}\n", "sources[0].scrape.titel (line 3): unknown key"},
	} {
		_, err := loadConfig(writeConfig(t, c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err %v, want %q", c.yaml, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%q: error shows a secret: %v", c.yaml, err)
		}
	}
}

// TestSecretsStayHidden: a source's credentials reach its server, and no
// secret (password, header value, cookie, proxy password) shows in the
// logs, `check`, `sources list`, `fetch`, OPML export, or the admin API.
func TestSecretsStayHidden(t *testing.T) {
	secrets := []string{"PW-s3cr3t", "HDR-s3cr3t", "COOKIE-s3cr3t", "PROXY-s3cr3t"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, _ := r.BasicAuth()
		if u != "reader" || p != secrets[0] || r.Header.Get("X-Api-Key") != secrets[1] || !strings.Contains(r.Header.Get("Cookie"), secrets[2]) {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, `<rss version="2.0"><channel><title>Private</title><item><title>Hello</title><link>https://a.example/1</link></item></channel></rss>`)
	}))
	defer srv.Close()
	t.Setenv("FM_TEST_PW", secrets[0])
	t.Setenv("FEEDMILL_ADMIN_TOKEN", "tok-abc")
	dir := t.TempDir()
	path := writeConfig(t, fmt.Sprintf(`db: %s/feedmill.db
listen: 127.0.0.1:0
log_level: debug
fetch:
  allow_private: true
  per_host_interval: 0
sources:
  - url: %s/private.rss
    username: reader
    password: ${FM_TEST_PW}
    headers: {X-Api-Key: %s}
    cookie: "session=%s"
  - url: %s/proxied.rss
    proxy: http://user:%s@127.0.0.1:1
`, dir, srv.URL, secrets[1], secrets[2], srv.URL, secrets[3]))

	var outputs []string
	for _, args := range [][]string{{"check"}, {"fetch", "--all"}, {"sources", "list"}, {"export"}} {
		code, out, errOut := runCLI(t, append(append([]string{}, args[0], "-c", path), args[1:]...)...)
		outputs = append(outputs, out+errOut)
		if args[0] == "fetch" && !strings.Contains(out+errOut, "1 new items") {
			t.Errorf("fetch output: %d %s %s", code, out, errOut)
		}
		if args[0] == "check" && (!strings.Contains(out, "basic auth, headers X-Api-Key, cookie") || !strings.Contains(out, "proxy http://127.0.0.1:1")) {
			t.Errorf("check does not say what is configured:\n%s", out)
		}
	}

	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	logs := &testlog.Buffer{}
	d, err := startDaemon(context.Background(), cfg, newLogger(cfg, logs))
	if err != nil {
		t.Fatal(err)
	}
	defer d.stop()
	api := "http://" + d.Addr.String() + "/api"
	for _, p := range []struct{ method, path, body string }{
		{"POST", "/fetch", `{"all": true}`},
		{"GET", "/sources", ""},
		{"GET", "/sources/status?url=" + srv.URL + "/proxied.rss", ""},
	} {
		code, body := apiCall(t, p.method, api+p.path, "tok-abc", p.body)
		if code != 200 {
			t.Errorf("%s %s: %d %s", p.method, p.path, code, body)
		}
		outputs = append(outputs, body)
	}
	outputs = append(outputs, body0(t, "http://"+d.Addr.String()+"/metrics"), body0(t, "http://"+d.Addr.String()+"/opml"))
	all := strings.Join(outputs, "\n") + logs.String()
	if !strings.Contains(all, "proxy http://127.0.0.1:1: connection refused") {
		t.Errorf("the proxy failure is not reported:\n%s", all)
	}
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("secret %s shows in the output:\n%s", s, all)
		}
	}
	// The private source was fetched with its credentials.
	code, body := apiCall(t, "GET", api+"/sources/status?url="+srv.URL+"/private.rss", "tok-abc", "")
	if code != 200 || !strings.Contains(body, `"status": "ok"`) {
		t.Errorf("private source: %d %s", code, body)
	}
}

// TestConfigDBFromEnvironment: $FEEDMILL_DB names the store when the
// config sets no db; a postgres:// value is not a path, and its password
// never shows.
func TestConfigDBFromEnvironment(t *testing.T) {
	t.Setenv("FEEDMILL_DB", "postgres://feedmill:SECRET@db.example:5432/feedmill?sslmode=require")
	cfg, err := loadConfig(writeConfig(t, "listen: 127.0.0.1:8081\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DB != os.Getenv("FEEDMILL_DB") {
		t.Errorf("db = %q, want $FEEDMILL_DB unchanged", cfg.DB)
	}
	if got := displayDB(cfg.DB); strings.Contains(got, "SECRET") || !strings.Contains(got, "db.example:5432/feedmill") {
		t.Errorf("displayDB = %q", got)
	}
	if sock := socketPath(cfg); sock.Why != "runtime" || strings.Contains(sock.Path, "postgres") {
		t.Errorf("control socket of a database store: %+v", sock)
	}

	path := writeConfig(t, "db: own.db\n")
	cfg, err = loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(filepath.Dir(path), "own.db"); cfg.DB != want {
		t.Errorf("db = %q, want the config's %q", cfg.DB, want)
	}
}

// TestConfigPostgresErrors: a PostgreSQL db that is not a URL, and
// WebSub subscriptions on one, are config errors naming the key, without
// the password.
func TestConfigPostgresErrors(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"db: postgres://u:SECRET@/\n", "db (line 1): postgres://u:xxxxx@/ is not a PostgreSQL URL"},
		{"db: postgres://u@db.example/feedmill\nwebsub:\n  subscribe: true\n", "websub.subscribe (line 3): not available on a PostgreSQL store"},
	} {
		_, err := loadConfig(writeConfig(t, c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err %v, want %q", c.yaml, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%q: error shows the password: %v", c.yaml, err)
		}
	}
}
