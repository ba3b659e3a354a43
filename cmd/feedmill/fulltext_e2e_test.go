package main

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFullTextEndToEnd: a teaser feed with full_text: auto; fetch stores
// the stories of its pages, the channel carries them, and explain tells
// for each item whether its full text was fetched or why not.
func TestFullTextEndToEnd(t *testing.T) {
	story := func(i int) string {
		var b strings.Builder
		for p := range 6 {
			fmt.Fprintf(&b, "<p>Paragraph %d of story %d tells how the harbour council rebuilt the old pier with timber from the northern forests, after years of debate.</p>", p, i)
		}
		return b.String()
	}
	var srvURL string
	mux := http.NewServeMux()
	mux.HandleFunc("/teaser.rss", func(w http.ResponseWriter, _ *http.Request) {
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Teasers</title><link>` + srvURL + `/</link>`)
		for i, path := range []string{"/p/0", "/p/1", "/missing"} {
			teaser := fmt.Sprintf(`<p>Paragraph 0 of story %d tells how the harbour council rebuilt the old pier.</p><p><a href="%s%s">Continue reading...</a></p>`, i, srvURL, path)
			fmt.Fprintf(&b, "<item><title>Story %d</title><link>%s%s</link><guid>%s%s</guid><pubDate>Mon, 03 Mar 2025 10:0%d:00 GMT</pubDate><description>%s</description></item>",
				i, srvURL, path, srvURL, path, i, html.EscapeString(teaser))
		}
		b.WriteString("</channel></rss>")
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, b.String())
	})
	for i := range 2 {
		mux.HandleFunc(fmt.Sprintf("/p/%d", i), func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprintf(w, `<html><head><title>Story %d</title></head><body><nav><a href="/">Home</a> <a href="/news">News</a></nav><article><h1>Story %d</h1>%s<p>READ MORE: <a href="/other">Other news</a></p></article><footer>Copyright</footer></body></html>`, i, i, story(i))
		})
	}
	up := httptest.NewServer(mux)
	defer up.Close()
	srvURL = up.URL
	port := freePort(t)
	cfgPath := writeConfig(t, fmt.Sprintf(`db: store.db
listen: 127.0.0.1:%[2]d
base_url: http://127.0.0.1:%[2]d
fetch: {allow_private: true, full_text: never}
retention: {max_age: 0s}
sources:
  - url: %[1]s/teaser.rss
    full_text: auto
channels:
  - name: news
`, up.URL, port))
	if code, out, errOut := runCLI(t, "fetch", "-c", cfgPath); code != exitOK {
		t.Fatalf("fetch: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := runCLI(t, "explain", "-c", cfgPath, "news", up.URL+"/p/1")
	if code != exitOK || !strings.Contains(out, "full text: fetched from "+up.URL+"/p/1 by automatic extraction (readability), ") {
		t.Errorf("explain: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "explain", "-c", cfgPath, "news", up.URL+"/missing")
	if code != exitOK || !strings.Contains(out, "full text: not fetched: HTTP 404") {
		t.Errorf("explain of a missing page: exit %d\n%s", code, out)
	}
	dir := t.TempDir()
	if code, out, errOut := runCLI(t, "render", "-c", cfgPath, "--out", dir); code != exitOK {
		t.Fatalf("render: exit %d\n%s%s", code, out, errOut)
	}
	b, err := os.ReadFile(filepath.Join(dir, "channels", "news.json"))
	if err != nil {
		t.Fatal(err)
	}
	var feed struct {
		Items []struct {
			URL       string `json:"url"`
			Content   string `json:"content_html"`
			Modified  string `json:"date_modified"`
			Published string `json:"date_published"`
		} `json:"items"`
	}
	if err := json.Unmarshal(b, &feed); err != nil {
		t.Fatal(err)
	}
	for _, it := range feed.Items {
		upgraded := strings.Contains(it.Content, "Paragraph 5 of story")
		moved := it.Modified > it.Published // RFC 3339, both UTC
		if upgraded != moved || upgraded == strings.HasSuffix(it.URL, "/missing") {
			t.Errorf("%s: published %s, modified %s, story %v", it.URL, it.Published, it.Modified, upgraded)
		}
	}
	doc := string(b)
	if !strings.Contains(doc, "Paragraph 5 of story 1") || strings.Contains(doc, "READ MORE") || strings.Contains(doc, "Copyright") {
		t.Errorf("channel lacks the stories or keeps cruft:\n%.2000s", doc)
	}

	startTestDaemon(t, cfgPath)
	base := fmt.Sprintf("http://127.0.0.1:%d/channels/news", port)
	checkWithFeedparser(t, []string{base + ".rss", base + ".atom"})
	checkWithNewsboat(t, []string{base + ".rss"})
	checkWithNewsboat(t, []string{base + ".atom"})
}
