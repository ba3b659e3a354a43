package main

// Real clients read what feedmill serves: the Universal Feed Parser,
// newsboat, xmllint, the JSON Feed 1.1 schema with ajv, and headless
// Chromium for the HTML pages. `make deps` installs every one of them; a
// missing one fails the test (it is never skipped).

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html"
)

// tool finds an executable the real-client checks need, failing the test
// with the way to install it.
func tool(t *testing.T, path string) string {
	t.Helper()
	if filepath.IsAbs(path) || strings.Contains(path, "/") {
		abs, _ := filepath.Abs(path)
		if _, err := os.Stat(abs); err != nil {
			t.Fatalf("%s is missing: run `make deps` to install it", abs)
		}
		return abs
	}
	p, err := exec.LookPath(path)
	if err != nil {
		t.Fatalf("%s is missing: run `make deps` to install it (%v)", path, err)
	}
	return p
}

// runTool runs a client and returns its output, failing the test when it
// exits non-zero.
func runTool(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	// Chromium's helper processes may hold the output pipes after it
	// exits: stop waiting for them.
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstdout: %s\nstderr: %s", filepath.Base(name), strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// startTestDaemon starts `feedmill serve` in-process on the config file
// and stops it when the test ends.
func startTestDaemon(t *testing.T, cfgPath string) *daemon {
	t.Helper()
	d := launchDaemon(t, cfgPath)
	t.Cleanup(func() {
		if err := d.stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return d
}

// freePort returns a loopback port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// clientSite is a running daemon with the end-to-end feeds fetched, whose
// base_url is its real address, so every self link and page link works.
type clientSite struct {
	base     string
	channels []string
	dir      string
}

func startClientSite(t *testing.T) *clientSite {
	t.Helper()
	up := startUpstream(t)
	cfgPath := writeE2EConfig(t, up)
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	text := strings.Replace(string(raw), "listen: 127.0.0.1:0\nbase_url: http://feeds.test.example\n",
		fmt.Sprintf("listen: 127.0.0.1:%d\nbase_url: %s\n", port, base), 1)
	// A channel that pages: its limit cuts.
	text += "  - name: paged\n    title: Paged\n    language: en\n    limit: 20\n"
	if err := os.WriteFile(cfgPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLI(t, "fetch", "-c", cfgPath); code != exitOK {
		t.Fatalf("fetch: exit %d\n%s%s", code, out, errOut)
	}
	d := startTestDaemon(t, cfgPath)
	s := &clientSite{base: base, dir: t.TempDir()}
	for _, ch := range d.cfg.Channels {
		s.channels = append(s.channels, ch.Name)
	}
	return s
}

// feedURLs are the channel feeds in the given formats, with the second
// page of the paged channel.
func (s *clientSite) feedURLs(formats ...string) []string {
	var urls []string
	for _, ch := range s.channels {
		for _, f := range formats {
			urls = append(urls, s.base+"/channels/"+ch+"."+f)
			if ch == "paged" {
				urls = append(urls, s.base+"/channels/"+ch+"."+f+"?page=2")
			}
		}
	}
	return urls
}

// download saves url into the site's folder and returns the file.
func (s *clientSite) download(t *testing.T, url string) string {
	t.Helper()
	resp := get(t, url, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: HTTP %d", url, resp.StatusCode)
	}
	name := strings.NewReplacer("/", "_", ":", "_", "?", "_", "=", "_").Replace(strings.TrimPrefix(url, s.base+"/"))
	// Tools tell the format from the extension: keep it last.
	if path, query, ok := strings.Cut(url, "?"); ok {
		name = strings.NewReplacer("/", "_", ":", "_", "=", "_").Replace(query) + "_" + filepath.Base(path)
	}
	path := filepath.Join(s.dir, name)
	if err := os.WriteFile(path, []byte(body(t, resp)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRealClients(t *testing.T) {
	s := startClientSite(t)
	t.Run("feedparser", func(t *testing.T) {
		checkWithFeedparser(t, s.feedURLs("rss", "atom"))
	})
	t.Run("xmllint", func(t *testing.T) {
		xmllint := tool(t, "xmllint")
		files := []string{s.download(t, s.base+"/opml")}
		for _, u := range s.feedURLs("rss", "atom") {
			files = append(files, s.download(t, u))
		}
		runTool(t, s.dir, nil, xmllint, append([]string{"--noout", "--nonet"}, files...)...)
	})
	t.Run("jsonfeed-schema", func(t *testing.T) {
		ajv := tool(t, "../../.tools/node_modules/.bin/ajv")
		schema := tool(t, "../../.tools/node_modules/jsonfeed-schema/schema-v1.1.json")
		for _, u := range s.feedURLs("json") {
			f := s.download(t, u)
			// ajv-formats checks "uri" and "date-time" values too.
			runTool(t, filepath.Dir(ajv), nil, ajv, "validate", "--spec=draft7", "-c", "ajv-formats", "-s", schema, "-d", f)
		}
	})
	// newsboat keeps one item per id across all its feeds: the RSS and
	// the Atom feed of a channel share ids, so each format gets a cache.
	t.Run("newsboat-rss", func(t *testing.T) { checkWithNewsboat(t, s.feedURLs("rss")) })
	t.Run("newsboat-atom", func(t *testing.T) { checkWithNewsboat(t, s.feedURLs("atom")) })
	t.Run("chromium", func(t *testing.T) { checkWithChromium(t, s) })
}

// checkWithNewsboat has newsboat reload the feeds and checks its cache
// holds every item of each, under our ids: channels that share items must
// not lose them to each other.
func checkWithNewsboat(t *testing.T, urls []string) {
	newsboat := tool(t, "newsboat")
	sqlite := tool(t, "sqlite3")
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, "urls"), []byte(strings.Join(urls, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_DATA_HOME=" + filepath.Join(home, ".local/share"), "TERM=dumb"}
	runTool(t, home, env, newsboat, "-u", "urls", "-c", "cache.db", "-x", "reload")
	for _, u := range urls {
		feed, err := gofeed.NewParser().ParseString(body(t, get(t, u, nil)))
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		var want []string
		for _, it := range feed.Items {
			want = append(want, it.GUID)
		}
		out := runTool(t, home, env, sqlite, "cache.db",
			"SELECT guid FROM rss_item WHERE feedurl = '"+strings.ReplaceAll(u, "'", "''")+"';")
		got := strings.Fields(out)
		slices.Sort(got)
		slices.Sort(want)
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("newsboat cache for %s holds %d items, the feed has %d (missing %v)", u, len(got), len(want), missing(want, got))
		}
		title := strings.TrimSpace(runTool(t, home, env, sqlite, "cache.db",
			"SELECT title FROM rss_feed WHERE rssurl = '"+strings.ReplaceAll(u, "'", "''")+"';"))
		if title != feed.Title {
			t.Errorf("newsboat title of %s: %q, want %q", u, title, feed.Title)
		}
	}
	t.Logf("newsboat cached every item of %d feeds", len(urls))
}

func missing(want, got []string) []string {
	var out []string
	for _, w := range want {
		if !slices.Contains(got, w) {
			out = append(out, w)
			if len(out) == 5 {
				break
			}
		}
	}
	return out
}

// chromiumDOM loads url in headless Chromium and returns the parsed DOM.
func chromiumDOM(t *testing.T, url string) *html.Node {
	t.Helper()
	chromium := tool(t, "chromium")
	profile := t.TempDir()
	out := runTool(t, profile, []string{"HOME=" + profile}, chromium, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
		"--disable-dev-shm-usage", "--user-data-dir="+profile, "--dump-dom", url)
	doc, err := html.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatalf("DOM of %s: %v", url, err)
	}
	return doc
}

// links returns the (href, text) of the <a> elements under n whose
// ancestors' class list contains class ("" = all).
func links(n *html.Node, class string) [][2]string {
	var out [][2]string
	var walk func(n *html.Node, in bool)
	walk = func(n *html.Node, in bool) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				if a.Key == "class" && slices.Contains(strings.Fields(a.Val), class) {
					in = true
				}
			}
			if n.Data == "a" && (in || class == "") {
				href := ""
				for _, a := range n.Attr {
					if a.Key == "href" {
						href = a.Val
					}
				}
				out = append(out, [2]string{href, textOf(n)})
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, in)
		}
	}
	walk(n, false)
	return out
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// checkWithChromium loads the index and every channel page in headless
// Chromium: the subscribe links and the item titles must be in the DOM.
func checkWithChromium(t *testing.T, s *clientSite) {
	resp := get(t, s.base+"/", nil)
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("index Content-Security-Policy %q", csp)
	}
	index := chromiumDOM(t, s.base+"/")
	feeds := links(index, "feeds")
	for _, ch := range s.channels {
		for _, f := range []string{"rss", "atom", "json"} {
			if !slices.Contains(feeds, [2]string{"channels/" + ch + "." + f, map[string]string{"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}[f]}) {
				t.Errorf("index: no subscribe link to %s.%s in %v", ch, f, feeds)
			}
		}
	}
	if srcs := links(index, "sources"); len(srcs) < len(testFeeds) {
		t.Errorf("index lists %d source links, want at least %d", len(srcs), len(testFeeds))
	}
	for _, ch := range s.channels {
		dom := chromiumDOM(t, s.base+"/channels/"+ch)
		sub := links(dom, "feeds")
		for _, f := range []string{"rss", "atom", "json"} {
			if !slices.ContainsFunc(sub, func(l [2]string) bool { return l[0] == ch+"."+f }) {
				t.Errorf("channel page %s: no subscribe link %s.%s in %v", ch, ch, f, sub)
			}
		}
		feed, err := gofeed.NewParser().ParseString(body(t, get(t, s.base+"/channels/"+ch+".json", nil)))
		if err != nil {
			t.Fatal(err)
		}
		var shown []string
		for _, l := range links(dom, "items") {
			shown = append(shown, l[1])
		}
		for _, it := range feed.Items {
			title := strings.Join(strings.Fields(it.Title), " ")
			if title == "" {
				title = it.Link
			}
			if !slices.Contains(shown, title) {
				t.Errorf("channel page %s: item %q is not in the DOM", ch, title)
				break
			}
		}
		if len(feed.Items) == 0 {
			t.Errorf("channel %s has no items", ch)
		}
	}
	t.Logf("chromium loaded the index and %d channel pages", len(s.channels))
}
