package main

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
)

var (
	tagRE  = regexp.MustCompile(`<[^>]*>`)
	paraRE = regexp.MustCompile(`(?i)</p>\s*`)
)

// TestCollapsedChannelEndToEnd: three sources carry the same Guardian
// stories — the agency in full, a wire copy with a new headline, READ
// MORE lines, a script, tracking parameters and its last paragraph cut,
// and a teaser feed with headline and opening only. The collapsed channel
// shows each story once, from the agency (listed first), with no
// boilerplate and no script, and says where else it ran; the keep channel
// shows every copy; explain tells why.
func TestCollapsedChannelEndToEnd(t *testing.T) {
	data, err := os.ReadFile(sharedFeeds + "realworld/guardian.rss")
	if err != nil {
		t.Fatal(err)
	}
	feed, err := gofeed.NewParser().ParseString(string(data))
	if err != nil {
		t.Fatal(err)
	}
	type story struct {
		title string
		paras []string
		pub   time.Time
	}
	var stories []story
	for _, it := range feed.Items {
		var paras []string
		for _, p := range paraRE.Split(it.Description, -1) {
			if p = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(p), "<p>")); len(strings.Fields(tagRE.ReplaceAllString(p, ""))) >= 8 {
				paras = append(paras, p)
			}
		}
		if len(paras) >= 3 && it.PublishedParsed != nil {
			stories = append(stories, story{it.Title, paras, *it.PublishedParsed})
		}
		if len(stories) == 8 {
			break
		}
	}
	if len(stories) < 8 {
		t.Fatalf("only %d usable stories", len(stories))
	}
	rss := func(name string, item func(i int, s story) (title, link, body string, pub time.Time)) string {
		var b strings.Builder
		fmt.Fprintf(&b, `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>%s</title><link>https://%s.example/</link>`, name, name)
		for i, s := range stories {
			title, link, body, pub := item(i, s)
			fmt.Fprintf(&b, "<item><title>%s</title><link>%s</link><guid isPermaLink=\"false\">%s-%d</guid><pubDate>%s</pubDate><description>%s</description></item>\n",
				html.EscapeString(title), html.EscapeString(link), name, i, pub.Format(time.RFC1123Z), html.EscapeString(body))
		}
		return b.String() + "</channel></rss>"
	}
	feeds := map[string]string{
		"/agency.rss": rss("agency", func(i int, s story) (string, string, string, time.Time) {
			return s.title, fmt.Sprintf("https://agency.example/story/%d", i), "<p>" + strings.Join(s.paras, "</p><p>") + "</p>", s.pub.Add(time.Hour)
		}),
		"/wire.rss": rss("wire", func(i int, s story) (string, string, string, time.Time) {
			body := "<p>" + s.paras[0] + "</p><p>READ MORE: <a href=\"https://wire.example/x\">Other news</a></p><script>alert('x')</script><p onmouseover=\"steal()\">" +
				strings.Join(s.paras[1:len(s.paras)-1], "</p><p>") + "</p><p>DON'T MISS: <a href=\"https://wire.example/y\">Quiz</a></p>"
			return "Breaking: " + s.title, fmt.Sprintf("https://wire.example/n/%d?utm_source=rss&utm_campaign=x", i), body, s.pub // earliest
		}),
		"/teaser.rss": rss("teaser", func(i int, s story) (string, string, string, time.Time) {
			words := strings.Fields(tagRE.ReplaceAllString(s.paras[0]+" "+s.paras[1], " "))
			return s.title, fmt.Sprintf("https://teaser.example/t/%d", i), strings.Join(words[:min(len(words), 25)], " ") + "…", s.pub.Add(2 * time.Hour)
		}),
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := feeds[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		fmt.Fprint(w, body)
	}))
	defer up.Close()
	cfgPath := writeConfig(t, fmt.Sprintf(`db: store.db
base_url: http://feeds.test.example
fetch: {allow_private: true}
retention: {max_age: 0s}
sources:
  - url: %[1]s/agency.rss
    title: Agency
  - url: %[1]s/wire.rss
    title: Wire
  - url: %[1]s/teaser.rss
    title: Teaser
channels:
  - name: news
  - name: all
    duplicates: keep
  - name: long
    min_length: 250
    duplicates: keep
`, up.URL))
	if code, out, errOut := runCLI(t, "fetch", "-c", cfgPath); code != exitOK {
		t.Fatalf("fetch: exit %d\n%s%s", code, out, errOut)
	}
	dir := t.TempDir()
	if code, out, errOut := runCLI(t, "render", "-c", cfgPath, "--out", dir); code != exitOK {
		t.Fatalf("render: exit %d\n%s%s", code, out, errOut)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, "channels", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	var news struct {
		Items []struct {
			ID       string `json:"id"`
			URL      string `json:"url"`
			Content  string `json:"content_html"`
			Feedmill struct {
				Source struct {
					Title string `json:"title"`
				} `json:"source"`
				AlsoRanIn []struct {
					Source, URL string
				} `json:"also_ran_in"`
			} `json:"_feedmill"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(read("news.json")), &news); err != nil {
		t.Fatal(err)
	}
	if len(news.Items) != len(stories) {
		t.Errorf("collapsed channel has %d items, want %d (one per story)", len(news.Items), len(stories))
	}
	for _, it := range news.Items {
		if it.Feedmill.Source.Title != "Agency" {
			t.Errorf("%s: shown from %q, want the first-listed source Agency", it.URL, it.Feedmill.Source.Title)
		}
		if len(it.Feedmill.AlsoRanIn) != 2 || !strings.Contains(it.Content, "Also ran in: ") {
			t.Errorf("%s: also ran in %v; content tail %q", it.URL, it.Feedmill.AlsoRanIn, it.Content[max(0, len(it.Content)-200):])
		}
	}
	for _, f := range []string{"news.rss", "news.atom", "news.json", "all.rss", "all.json"} {
		body := read(f)
		for _, bad := range []string{"READ MORE", "DON'T MISS", "DON&#39;T MISS", "<script", "&lt;script", "onmouseover", "utm_source"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s contains %q", f, bad)
			}
		}
	}
	all, err := gofeed.NewParser().ParseString(read("all.rss"))
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Items) != 3*len(stories) {
		t.Errorf("keep channel has %d items, want %d", len(all.Items), 3*len(stories))
	}
	long, err := gofeed.NewParser().ParseString(read("long.rss"))
	if err != nil {
		t.Fatal(err)
	}
	if len(long.Items) < len(stories) {
		t.Errorf("min_length 250 kept %d items, want at least the %d full copies", len(long.Items), len(stories))
	}
	for _, it := range long.Items {
		if strings.HasPrefix(it.Link, "https://teaser.example/") {
			t.Errorf("min_length 250 kept teaser %s", it.Link)
		}
	}

	// explain: the wire copy of story 0 was collapsed into the agency's.
	code, out, errOut := runCLI(t, "explain", "-c", cfgPath, "news", "https://wire.example/n/0")
	out0 := out
	t.Logf("feedmill explain news https://wire.example/n/0:\n%s", out)
	if code != exitOK {
		t.Fatalf("explain: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"status:    collapsed into item ", "cleaned at ingest by: read-more, dont-miss", "same story: item", "(shown) from Agency", "from Teaser"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCLI(t, "explain", "-c", cfgPath, "news")
	if code != exitOK || !strings.Contains(out, fmt.Sprintf("%d items read, %d shown, %d stories collapsed", 3*len(stories), len(stories), len(stories))) {
		t.Errorf("explain summary: exit %d\n%s", code, out)
	}
	if code, _, _ := runCLI(t, "explain", "-c", cfgPath, "nosuch"); code != exitUsage {
		t.Errorf("explain of an unknown channel: exit %d, want %d", code, exitUsage)
	}

	// With a daemon holding the store, explain asks it over the socket.
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen = "127.0.0.1:0"
	d, err := startDaemon(context.Background(), cfg, newLogger(cfg, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	defer d.stop()
	code, daemonOut, errOut := runCLI(t, "explain", "-c", cfgPath, "news", "https://wire.example/n/0")
	if code != exitOK || daemonOut != out0 {
		t.Errorf("explain through the daemon: exit %d\n%s%s\nwant\n%s", code, daemonOut, errOut, out0)
	}
}
