package urlclean

import (
	"net/url"
	"testing"
)

func TestCanonical(t *testing.T) {
	base, _ := url.Parse("https://Example.org/news/index.html")
	tests := []struct {
		name, in, want string
		base           *url.URL
		wantErr        bool
	}{
		{"already canonical", "https://example.org/a/b", "https://example.org/a/b", nil, false},
		{"scheme and host lower-cased", "HTTPS://Example.ORG/Path/Case", "https://example.org/Path/Case", nil, false},
		{"default http port", "http://example.org:80/x", "http://example.org/x", nil, false},
		{"default https port", "https://example.org:443/x", "https://example.org/x", nil, false},
		{"other port kept", "https://example.org:8443/x", "https://example.org:8443/x", nil, false},
		{"80 on https kept", "https://example.org:80/x", "https://example.org:80/x", nil, false},
		{"fragment dropped", "https://example.org/a#section-2", "https://example.org/a", nil, false},
		{"utm removed", "https://example.org/a?utm_source=rss&utm_medium=feed", "https://example.org/a", nil, false},
		{"utm mixed, order kept", "https://example.org/a?z=1&utm_campaign=x&a=2&fbclid=abc&m=3", "https://example.org/a?z=1&a=2&m=3", nil, false},
		{"no re-encoding of kept params", "https://example.org/s?q=a+b%20c&x=%2F", "https://example.org/s?q=a+b%20c&x=%2F", nil, false},
		{"case-insensitive names", "https://example.org/a?UTM_Source=x&WT.mc_id=y&id=7", "https://example.org/a?id=7", nil, false},
		{"hubspot prefix", "https://example.org/a?_hsenc=1&_hsmi=2&_hsfp=3&p=1", "https://example.org/a?p=1", nil, false},
		{"click ids", "https://example.org/a?gclid=1&dclid=2&gbraid=3&wbraid=4&msclkid=5&yclid=6&igshid=7", "https://example.org/a", nil, false},
		{"mailchimp and others", "https://example.org/a?mc_cid=1&mc_eid=2&mkt_tok=3&spm=4&vero_id=5&__s=6&rb_clickid=7&s_cid=8&wt_mc=9&ref_src=twsrc&ref_url=u&oly_anon_id=1&oly_enc_id=2", "https://example.org/a", nil, false},
		{"ref kept", "https://example.org/a?ref=main", "https://example.org/a?ref=main", nil, false},
		{"ncid tracking value removed", "https://example.org/a?ncid=rss&x=1", "https://example.org/a?x=1", nil, false},
		{"ncid content id kept", "https://example.org/a?ncid=12345", "https://example.org/a?ncid=12345", nil, false},
		{"empty query dropped", "https://example.org/a?", "https://example.org/a", nil, false},
		{"query emptied by removal", "https://example.org/a?utm_source=x#frag", "https://example.org/a", nil, false},
		{"empty pieces dropped", "https://example.org/a?&x=1&&y=2&", "https://example.org/a?x=1&y=2", nil, false},
		{"trailing slash kept", "https://example.org/a/", "https://example.org/a/", nil, false},
		{"no path kept", "https://example.org", "https://example.org", nil, false},
		{"encoded path kept", "https://example.org/caf%C3%A9/a%2Fb", "https://example.org/caf%C3%A9/a%2Fb", nil, false},
		{"relative path", "story.html", "https://example.org/news/story.html", base, false},
		{"root relative", "/2024/x?utm_source=a&id=1", "https://example.org/2024/x?id=1", base, false},
		{"protocol relative", "//cdn.Example.net/img.png", "https://cdn.example.net/img.png", base, false},
		{"dot segments resolved", "../about", "https://example.org/about", base, false},
		{"absolute ignores base", "http://other.org/x", "http://other.org/x", base, false},
		{"surrounding space", "  https://example.org/a  ", "https://example.org/a", nil, false},
		{"mailto kept", "mailto:Someone@Example.org?subject=Hi", "mailto:Someone@Example.org?subject=Hi", nil, false},
		{"magnet kept", "magnet:?xt=urn:btih:abc&utm_source=x", "magnet:?xt=urn:btih:abc&utm_source=x", nil, false},
		{"ipv6 default port", "http://[::1]:80/x", "http://[::1]/x", nil, false},
		{"relative without base", "story.html", "", nil, true},
		{"empty", "   ", "", nil, true},
		{"bad escape", "https://example.org/%zz", "", nil, true},
		{"no host", "http:///path", "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Canonical(tt.in, tt.base)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Canonical(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Canonical(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzCanonical(f *testing.F) {
	f.Add("https://example.org/a?utm_source=x&b=1#f")
	f.Add("//x")
	f.Add("http://[::1]:80/")
	base, _ := url.Parse("https://example.org/dir/")
	f.Fuzz(func(t *testing.T, s string) {
		out, err := Canonical(s, base)
		if err != nil {
			return
		}
		// Canonical is idempotent on its own output.
		again, err := Canonical(out, base)
		if err != nil || (again != out && IsHTTP(out)) {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", s, out, again, err)
		}
	})
}
