package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage"
	"github.com/feedmill/feedmill/storage/postgres/pgtest"
)

// withDB writes a copy of the config at cfgPath with db set to db (and
// extra appended), beside it under name.
func withDB(t *testing.T, cfgPath, name, db, extra string) string {
	t.Helper()
	body, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(body), "db: store.db", "db: "+db, 1) + extra
	path := filepath.Join(filepath.Dir(cfgPath), name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// renderSite runs `render --out` and returns every file it wrote.
func renderSite(t *testing.T, cfgPath string) map[string][]byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "site")
	if code, stdout, errOut := runCLI(t, "render", "-c", cfgPath, "--out", out); code != exitOK {
		t.Fatalf("render %s: exit %d\n%s%s", cfgPath, code, stdout, errOut)
	}
	files := map[string][]byte{}
	err := filepath.WalkDir(out, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(out, path)
		files[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestCommandsOnPostgres runs every command on a PostgreSQL store: a
// bbolt store copied into PostgreSQL renders byte for byte the same site
// (item IDs kept), a pass with no replica running fetches by itself,
// sources, import, export, explain and check work as on bbolt, backup
// says to use pg_dump, and a store copied back into bbolt renders the
// same site again.
func TestCommandsOnPostgres(t *testing.T) {
	up := startUpstream(t)
	boltCfg := writeE2EConfig(t, up)
	if code, out, errOut := runCLI(t, "fetch", "-c", boltCfg); code != exitOK {
		t.Fatalf("fetch on bbolt: exit %d\n%s%s", code, out, errOut)
	}
	dsn := pgtest.NewDB(t)
	pgCfg := withDB(t, boltCfg, "pg.yaml", dsn, "")
	dir := filepath.Dir(boltCfg)

	if code, out, errOut := runCLI(t, "store", "copy", filepath.Join(dir, "store.db"), dsn); code != exitOK {
		t.Fatalf("store copy into PostgreSQL: exit %d\n%s%s", code, out, errOut)
	}
	want := renderSite(t, boltCfg)
	sameSite(t, "copied into PostgreSQL", want, renderSite(t, pgCfg))

	// A pass on PostgreSQL with no replica running fetches by itself:
	// every source answers 304 to the validators the copy kept.
	before, _, _ := up.counts()
	code, out, errOut := runCLI(t, "fetch", "-c", pgCfg, "--all")
	after, _, notModified := up.counts()
	if code != exitOK || after-before != len(testFeeds) || !strings.Contains(out, fmt.Sprintf("%d sources", len(testFeeds))) {
		t.Errorf("fetch --all on PostgreSQL: exit %d, %d requests\n%s%s", code, after-before, out, errOut)
	}
	if notModified < len(testFeeds) {
		t.Errorf("%d answers 304: the copy lost the sources' validators", notModified)
	}

	code, out, errOut = runCLI(t, "sources", "-c", pgCfg, "list")
	if code != exitOK || strings.Count(out, up.URL) != len(testFeeds) {
		t.Errorf("sources list: exit %d\n%s%s", code, out, errOut)
	}
	code, opml, errOut := runCLI(t, "export", "-c", pgCfg)
	if code != exitOK || strings.Count(opml, up.URL) != len(testFeeds) {
		t.Errorf("export: exit %d\n%s%s", code, opml, errOut)
	}
	extra := filepath.Join(dir, "extra.opml")
	os.WriteFile(extra, []byte(`<opml version="2.0"><body><outline text="x" xmlUrl="`+up.URL+`/extra.xml"/></body></opml>`), 0o600)
	if code, out, errOut := runCLI(t, "import", "-c", pgCfg, extra); code != exitOK {
		t.Errorf("import: exit %d\n%s%s", code, out, errOut)
	}
	if _, out, _ := runCLI(t, "sources", "-c", pgCfg, "list"); !strings.Contains(out, up.URL+"/extra.xml") {
		t.Errorf("imported source not listed:\n%s", out)
	}
	if code, out, errOut := runCLI(t, "sources", "-c", pgCfg, "remove", up.URL+"/extra.xml"); code != exitOK {
		t.Errorf("sources remove: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "explain", "-c", pgCfg, "world"); code != exitOK || !strings.Contains(out, "world") {
		t.Errorf("explain: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "check", "-c", pgCfg)
	if code != exitOK || !strings.Contains(out, "store:    postgres://feedmill@/") {
		t.Errorf("check: exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = runCLI(t, "backup", "-c", pgCfg, filepath.Join(dir, "b.db"))
	if code != exitFailure || !strings.Contains(errOut, "pg_dump") {
		t.Errorf("backup on PostgreSQL: exit %d: %s", code, errOut)
	}

	// Back into a new bbolt file: the same channels once more (the index
	// page shows the fetch --all above).
	back := filepath.Join(dir, "back.db")
	if code, out, errOut := runCLI(t, "store", "copy", dsn, back); code != exitOK {
		t.Fatalf("store copy into bbolt: exit %d\n%s%s", code, out, errOut)
	}
	delete(want, "index.html")
	got := renderSite(t, withDB(t, boltCfg, "back.yaml", back, ""))
	delete(got, "index.html")
	sameSite(t, "copied back into bbolt", want, got)
}

// sameSite compares two rendered sites file by file.
func sameSite(t *testing.T, what string, want, got map[string][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d files rendered, want %d", what, len(got), len(want))
	}
	for name, b := range want {
		if !bytes.Equal(got[name], b) {
			t.Errorf("%s: %s differs (%d bytes, want %d)", what, name, len(got[name]), len(b))
		}
	}
}

// TestFetchAsksReplicas: `feedmill fetch` on a PostgreSQL store with a
// replica running hands the pass to the replica and waits: every source
// is reported, and the upstream sees the replica's User-Agent only.
func TestFetchAsksReplicas(t *testing.T) {
	up := startUpstream(t)
	boltCfg := writeE2EConfig(t, up)
	dsn := pgtest.NewDB(t)
	dir := filepath.Dir(boltCfg)
	agentOf := func(name string) string { return "fetch:\n  user_agent: " + name + "\n" }
	replicaCfg := withDB(t, boltCfg, "replica.yaml", dsn, "")
	cliCfg := withDB(t, boltCfg, "cli.yaml", dsn, "control_socket: "+filepath.Join(dir, "cli.sock")+"\n")
	for path, name := range map[string]string{replicaCfg: "the-replica", cliCfg: "the-cli"} {
		b, _ := os.ReadFile(path)
		os.WriteFile(path, []byte(strings.Replace(string(b), "fetch:\n", agentOf(name), 1)), 0o600)
	}
	d := startTestDaemon(t, replicaCfg)
	waitFor(t, 30*time.Second, "the replica's first pass", func() bool {
		st := d.store
		srcs, err := st.Sources()
		if err != nil {
			return false
		}
		for _, s := range srcs {
			if s.State.LastFetch.IsZero() {
				return false
			}
		}
		return len(srcs) == len(testFeeds)
	})
	before, _, _ := up.counts()
	code, out, errOut := runCLI(t, "fetch", "-c", cliCfg, "--all")
	after, _, _ := up.counts()
	if code != exitOK || !strings.Contains(out, fmt.Sprintf("%d sources", len(testFeeds))) || after-before < len(testFeeds) {
		t.Errorf("fetch through the replica: exit %d, %d requests\n%s%s", code, after-before, out, errOut)
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	if up.userAgents["the-cli"] || !up.userAgents["the-replica"] {
		t.Errorf("User-Agents at the upstream: %v, want the replica's only", up.userAgents)
	}
}

// pgProxy forwards a PostgreSQL unix socket, and can cut every
// connection and refuse new ones (the database "lost") and take them
// again.
type pgProxy struct {
	dir, target string
	mu          sync.Mutex
	ln          net.Listener
	conns       []net.Conn
}

// startPGProxy listens in a new folder for the cluster of dsn and returns
// the proxy and a DSN through it.
func startPGProxy(t *testing.T, dsn string) (*pgProxy, string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	dir, err := os.MkdirTemp("", "fm-pgproxy-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := &pgProxy{dir: dir, target: filepath.Join(q.Get("host"), ".s.PGSQL.5432")}
	p.up(t)
	t.Cleanup(p.down)
	q.Set("host", dir)
	u.RawQuery = q.Encode()
	return p, u.String()
}

// up listens again.
func (p *pgProxy) up(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("unix", filepath.Join(p.dir, ".s.PGSQL.5432"))
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("unix", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
}

// down closes the listener and every connection.
func (p *pgProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestDatabaseLoss: while the database is unreachable a replica keeps
// serving the channels it rendered, answers 503 on /healthz, and takes up
// fetching and writing again when the database is back, with nothing
// lost.
func TestDatabaseLoss(t *testing.T) {
	up := startUpstream(t)
	boltCfg := writeE2EConfig(t, up)
	proxy, dsn := startPGProxy(t, pgtest.NewDB(t))
	cfgPath := withDB(t, boltCfg, "pg.yaml", dsn, "")
	d := startTestDaemon(t, cfgPath)
	base := "http://" + d.Addr.String()
	waitFor(t, 30*time.Second, "the first pass", func() bool {
		requests, _, _ := up.counts()
		return requests >= len(testFeeds) && storeItems(d.store) > 0
	})
	items := storeItems(d.store)
	waitFor(t, 10*time.Second, "the channel", func() bool { return getStatus(base+"/channels/world.rss") == http.StatusOK })
	before := body(t, get(t, base+"/channels/world.rss", nil))

	proxy.down()
	waitFor(t, 20*time.Second, "/healthz to answer 503", func() bool {
		code, _ := healthz(t, base)
		return code == http.StatusServiceUnavailable
	})
	resp := get(t, base+"/channels/world.rss", nil)
	if got := body(t, resp); resp.StatusCode != http.StatusOK || got != before {
		t.Errorf("channel while the database is lost: %s, %d bytes (was %d)", resp.Status, len(got), len(before))
	}
	code, out, errOut := runCLI(t, "sources", "-c", withDB(t, boltCfg, "cli.yaml", dsn, "control_socket: "+filepath.Join(proxy.dir, "none.sock")+"\n"), "list")
	if code == exitOK || !strings.Contains(errOut, "postgres database t") {
		t.Errorf("sources list without the database: exit %d\n%s%s", code, out, errOut)
	}

	proxy.up(t)
	waitFor(t, 30*time.Second, "/healthz to answer 200 again", func() bool {
		code, _ := healthz(t, base)
		return code == http.StatusOK
	})
	if code, out, errOut := runCLI(t, "fetch", "-c", cfgPath, "--all"); code != exitOK {
		t.Errorf("a pass after the database came back: exit %d\n%s%s", code, out, errOut)
	}
	if n := storeItems(d.store); n < items {
		t.Errorf("%d items after the loss, %d before", n, items)
	}
}

// storeItems counts the store's items (0 on an error).
func storeItems(st storage.Store) int {
	n := 0
	if err := st.Items(storage.Query{}, func(storage.Item) bool { n++; return true }); err != nil {
		return 0
	}
	return n
}

// getStatus is the status of a GET of url (0 when it fails).
func getStatus(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
