package testfeeds

import (
	"bufio"
	"bytes"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
)

// Dir is the shared feeds' directory.
func Dir(tb testing.TB) string {
	tb.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("testfeeds: no caller")
	}
	// fetcher/internal/testfeeds -> the worktree's root -> ../shared
	return filepath.Join(filepath.Dir(file), "../../../../shared/testdata/feeds")
}

// Files lists every shared test feed file (LICENSE and SOURCE aside).
func Files(tb testing.TB) []string {
	tb.Helper()
	var files []string
	err := filepath.WalkDir(Dir(tb), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() != "LICENSE" && d.Name() != "SOURCE" {
			files = append(files, p)
		}
		return nil
	})
	if err != nil || len(files) == 0 {
		tb.Fatalf("shared test feeds: %v (%d files)", err, len(files))
	}
	return files
}

// Headers returns the HTTP headers a feedparser case asks to be served
// with ("Header: Content-type: text/xml" comments at its top).
func Headers(body []byte) http.Header {
	h := http.Header{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for n := 0; sc.Scan() && n < 20; n++ {
		_, rest, ok := strings.Cut(sc.Text(), "Header:")
		if !ok {
			continue
		}
		k, v, ok := strings.Cut(strings.TrimSpace(rest), ":")
		if ok && !strings.ContainsAny(k, " \t") {
			h.Add(strings.TrimSpace(k), strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "-->")))
		}
	}
	return h
}

var prologEncoding = regexp.MustCompile(`^\s*<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']`)

// Body reads a shared feed file and returns it as UTF-8: by its BOM, the
// charset its headers name, else its XML prolog's; invalid bytes become
// U+FFFD.
func Body(tb testing.TB, path string) []byte {
	tb.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	label := ""
	if _, params, ok := strings.Cut(Headers(raw).Get("Content-Type"), "charset="); ok {
		label = strings.Trim(strings.TrimSpace(strings.Split(params, ";")[0]), `"'`)
	}
	if m := prologEncoding.FindSubmatch(raw); label == "" && m != nil {
		label = string(m[1])
	}
	out := raw
	if enc, name := charset.Lookup(label); enc != nil && name != "utf-8" && !bytes.HasPrefix(raw, []byte("\xef\xbb\xbf")) {
		if b, err := io.ReadAll(enc.NewDecoder().Reader(bytes.NewReader(raw))); err == nil {
			out = b
		}
	}
	if !utf8.Valid(out) {
		out = bytes.ToValidUTF8(out, []byte("\uFFFD"))
	}
	return out
}
