package urlpolicy

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

var base, _ = url.Parse("https://news.example/section/page.html")

func TestCleanRefusesHostile(t *testing.T) {
	for _, raw := range []string{
		"javascript:alert(1)",
		"JaVaScRiPt:alert(1)",
		"java script:alert(1)",
		" \x00\x1fjavascript:alert(1)",
		"java\tscript:alert(1)",
		"java\nscript:alert(1)",
		"java\rscript:alert(1)",
		"javascript:%61lert(1)",
		"javascript://https://ok.example/%0aalert(1)",
		"javascript://ok.example/%0Aalert(1)",
		"%6Aavascript:alert(1)",
		"&#106;avascript:alert(1)",
		"&#x6A;avascript:alert(1)",
		"java&#x09;script:alert(1)",
		"java%09script:alert(1)",
		"&amp;#106;avascript:alert(1)",
		"data:text/html,<script>alert(1)</script>",
		"DATA:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
		"vbscript:msgbox(1)",
		"file:///etc/passwd",
		"FILE://localhost/etc/passwd",
		"ms-msdt:/id PCWDiagnostic /skip force /param",
		"search-ms:query=calc&crumb=location:\\\\evil.example\\share",
		"ms-officecmd:{\"id\":3}",
		"intent://scan/#Intent;scheme=zxing;package=com.evil;end",
		"jar:https://evil.example/a.jar!/x.class",
		"view-source:https://ok.example/",
		"blob:https://ok.example/550e8400-e29b-41d4-a716-446655440000",
		"filesystem:https://ok.example/temporary/a.mp3",
		"feed:javascript:alert(1)",
		"feed://ok.example/rss",
		"ftp://ok.example/file",
		"tag:ok.example,2024:1",
		"about:blank",
		"chrome://settings",
		"magnet:?xt=urn:btih:abc",
		"mailto:someone@ok.example", // not where a person's address belongs
		"https://ok.example@evil.example/",
		"https://user:pass@ok.example/",
		"https://ev il.example/",
		"https://ev<il.example/",
		"https://[zz::1]/",
		"https://[fe80::1%25eth0]/",
		"https://ok.example:8o/",
		"https://ok.example:99999/",
		"https://1.2.3.999/",
		"https://0x7f.0.0.1/",
		"https://",
		"https:///",
		"http://%00/",
		"",
		"   ",
		"https://xn--/", // invalid punycode
		"https://ok.example/" + strings.Repeat("a", MaxLen),
	} {
		got, err := Clean(raw, base, Web)
		var pe *Error
		if err == nil || !errors.As(err, &pe) || pe.Reason == "" {
			t.Errorf("Clean(%q) = %q, %v; want refused", raw, got, err)
		}
	}
}

func TestCleanPersonRefusesBadMailto(t *testing.T) {
	for _, raw := range []string{
		"mailto:javascript:alert(1)",
		"mailto:",
		"mailto:nobody",
		"mailto:a@b@c.example",
		"mailto:<a@b.example>",
		"mailto:a%20b@ok.example",
		"mailto:a@ok.example%0Abcc:x@evil.example",
		"javascript:alert(1)",
	} {
		if got, err := Clean(raw, base, Person); err == nil {
			t.Errorf("Clean(%q, Person) = %q; want refused", raw, got)
		}
	}
}

func TestCleanAllows(t *testing.T) {
	for _, tc := range []struct {
		raw, want string
		use       Use
	}{
		{"https://ok.example/a", "https://ok.example/a", Web},
		{"HTTPS://OK.EXAMPLE/A", "https://ok.example/A", Web},
		{"  https://ok.example/a\n", "https://ok.example/a", Web},
		{"ht\ttp\ns://ok.example/t\tabs", "https://ok.example/tabs", Web},
		{"https://ok.example:443/a", "https://ok.example/a", Web},
		{"http://ok.example:80/a", "http://ok.example/a", Web},
		{"http://ok.example:0080/a", "http://ok.example/a", Web},
		{"https://ok.example:8443/a", "https://ok.example:8443/a", Web},
		{`https:\\ok.example\img.png`, "https://ok.example/img.png", Web},
		{"https:///ok.example/a", "https://ok.example/a", Web},
		{"http:ok.example/a", "http://ok.example/a", Web}, // another scheme than the base's
		{"https:other.html", "https://news.example/section/other.html", Web},
		{"//cdn.example/x.js", "https://cdn.example/x.js", Web},
		{"/top", "https://news.example/top", Web},
		{"img/a.png", "https://news.example/section/img/a.png", Web},
		{"../up", "https://news.example/up", Web},
		{"?page=2", "https://news.example/section/page.html?page=2", Web},
		{"#notes", "https://news.example/section/page.html#notes", Web},
		{"a:b/c", "https://news.example/section/a:b/c", Web}, // "a:b" with a space is no scheme... but this one is: see below
		{"https://ok.example/a b", "https://ok.example/a%20b", Web},
		{"https://ok.example/?q=a b#f g", "https://ok.example/?q=a%20b#f%20g", Web},
		{"https://BÜCHER.example/", "https://xn--bcher-kva.example/", Web},
		{"https://ok%2Eexample/", "https://ok.example/", Web},
		{"https://[2001:DB8::1]:8080/", "https://[2001:db8::1]:8080/", Web},
		{"https://127.0.0.1/", "https://127.0.0.1/", Web},
		{"https://ok.example./", "https://ok.example./", Web},
		{"https://my_host.example/", "https://my_host.example/", Web},
		{"mailto:someone@ok.example", "mailto:someone@ok.example", Person},
		{"MAILTO:someone@ok.example?subject=Hi%20there", "mailto:someone@ok.example?subject=Hi%20there", Person},
		{"mailto:a@ok.example,b@ok.example", "mailto:a@ok.example,b@ok.example", Person},
		{"https://ok.example/p", "https://ok.example/p", Person},
	} {
		if tc.raw == "a:b/c" {
			// "a:" is a scheme to a browser, and not an allowed one.
			if _, err := Clean(tc.raw, base, tc.use); err == nil {
				t.Errorf("Clean(%q) allowed", tc.raw)
			}
			continue
		}
		got, err := Clean(tc.raw, base, tc.use)
		if err != nil || got != tc.want {
			t.Errorf("Clean(%q) = %q, %v; want %q", tc.raw, got, err, tc.want)
			continue
		}
		if !Allowed(got, tc.use) {
			t.Errorf("Allowed(%q) = false for Clean's own result", got)
		}
	}
}

func TestCleanRelativeNeedsHTTPBase(t *testing.T) {
	ftp, _ := url.Parse("ftp://files.example/dir/")
	for _, b := range []*url.URL{nil, ftp, {Path: "/relative"}} {
		if got, err := Clean("page.html", b, Web); err == nil {
			t.Errorf("Clean(relative, %v) = %q; want refused", b, got)
		}
	}
}

func TestIsEmail(t *testing.T) {
	for s, want := range map[string]bool{
		"jane@ok.example":          true,
		"jane.roe+news@ok.example": true,
		"not an email":             false,
		"Jane <jane@ok.example>":   false,
		"jane@":                    false,
		"@ok.example":              false,
		"jane@ok.example (Jane)":   false,
		"jane@ok..example":         false,
		"jane@-":                   true,
		"jane@1.2.3.999":           false,
		"":                         false,
	} {
		if got := IsEmail(s); got != want {
			t.Errorf("IsEmail(%q) = %v, want %v", s, got, want)
		}
	}
}

// FuzzClean: whatever the input, Clean never panics, and what it allows
// is an absolute URL of an allowed scheme that reads the same to Go's
// parser, holds no space or control character, starts with no other
// scheme once decoded, and is stable (Clean of it is itself).
func FuzzClean(f *testing.F) {
	for _, s := range []string{
		"javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)", "javascript:%61lert(1)",
		"javascript://https://ok.example/%0aalert(1)", "data:text/html,x", "vbscript:x", "file:///etc/passwd",
		"ms-msdt:/id", "search-ms:query=x", "intent://x#Intent;end", "jar:https://x!/y", "view-source:https://x/",
		"blob:https://x/y", "feed:javascript:alert(1)", "%6Aavascript:x", "&#106;avascript:x",
		"https://ok.example/a", `https:\\ok.example\x`, "//cdn.example/x", "../x", "?q", "#f",
		"https://ok.example@evil.example/", "https://[::1]:99/", "https://BÜCHER.example/", "mailto:a@b.example",
		"mailto:a@b.example?subject=x", "https://1.2.3.4:0/", "http:x", " \x01https://ok.example/\x02 ",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, raw string, person bool) {
		use := Web
		if person {
			use = Person
		}
		for _, b := range []*url.URL{nil, base} {
			out, err := Clean(raw, b, use)
			if err != nil {
				var pe *Error
				if !errors.As(err, &pe) || out != "" {
					t.Fatalf("Clean(%q) = %q, %v: not an *Error", raw, out, err)
				}
				continue
			}
			u, perr := url.Parse(out)
			switch {
			case perr != nil:
				t.Fatalf("Clean(%q) = %q: unparseable: %v", raw, out, perr)
			case u.Scheme != "http" && u.Scheme != "https" && !(person && u.Scheme == "mailto"):
				t.Fatalf("Clean(%q) = %q: scheme %q", raw, out, u.Scheme)
			case u.Scheme != "mailto" && (u.Host == "" || u.User != nil):
				t.Fatalf("Clean(%q) = %q: host %q, user %v", raw, out, u.Host, u.User)
			case strings.ContainsFunc(out, func(r rune) bool { return r <= ' ' || r == 0x7f }):
				t.Fatalf("Clean(%q) = %q: space or control", raw, out)
			case !Allowed(out, use):
				again, aerr := Clean(out, nil, use)
				t.Fatalf("Clean(%q) = %q, not stable: %q, %v", raw, out, again, aerr)
			case disguisedScheme(out) != "":
				t.Fatalf("Clean(%q) = %q hides a scheme", raw, out)
			}
		}
		if plain(raw) {
			if out, err := Clean(raw, nil, use); err != nil || out != raw {
				t.Fatalf("plain(%q), but Clean returns %q, %v", raw, out, err)
			}
		}
	})
}
