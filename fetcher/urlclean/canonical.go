package urlclean

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Canonical returns the canonical form of a link, as feedmill stores and
// publishes it:
//
//   - absolute: a relative raw is resolved against base (nil = none, and a
//     relative raw is an error);
//   - scheme and host lower-case, the default port dropped (:80 for http,
//     :443 for https), the fragment dropped;
//   - tracking parameters removed (see tracking.go), the other query
//     parameters kept as written and in their order, an empty "?" dropped;
//   - the path kept as it is (no trailing-slash or case changes).
//
// Links with a scheme other than http and https (mailto:, magnet:, tag:)
// are returned as given, trimmed.
func Canonical(raw string, base *url.URL) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", errors.New("empty URL")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("bad URL %q: %w", raw, err)
	}
	if u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" {
		return raw, nil
	}
	if !u.IsAbs() {
		if base == nil || !base.IsAbs() {
			return "", fmt.Errorf("relative URL %q without a base", raw)
		}
		u = base.ResolveReference(u)
		if u.Scheme != "http" && u.Scheme != "https" {
			return u.String(), nil
		}
	}
	if u.Host == "" {
		return "", fmt.Errorf("URL %q has no host", raw)
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if host == "" || strings.ContainsAny(host, "[]") {
		return "", fmt.Errorf("URL %q has a bad host", raw)
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port == "" || (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		u.Host = host // an empty port ("example.org:") is the default one
	} else {
		u.Host = host + ":" + port
	}
	u.Fragment, u.RawFragment = "", ""
	u.RawQuery = CleanQuery(u.RawQuery)
	u.ForceQuery = false
	out := strings.TrimSpace(u.String())
	if v, err := url.Parse(out); err != nil || v.Hostname() == "" {
		return "", fmt.Errorf("bad URL %q", raw)
	}
	return out, nil
}

// CleanQuery drops tracking parameters and empty pieces from a raw query,
// keeping the rest byte for byte and in order (url.Values.Encode would
// sort and re-escape them).
func CleanQuery(raw string) string {
	if raw == "" {
		return ""
	}
	parts := strings.Split(raw, "&")
	kept := parts[:0]
	for _, p := range parts {
		if strings.TrimSpace(p) == "" {
			continue
		}
		k, v, _ := strings.Cut(p, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		if isTracking(k, v) {
			continue
		}
		kept = append(kept, p)
	}
	return strings.Join(kept, "&")
}

// IsHTTP reports whether s is an absolute http(s) URL.
func IsHTTP(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) < 8 {
		return false
	}
	l := strings.ToLower(s[:8])
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}
