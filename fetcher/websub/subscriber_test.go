package websub

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"testing"
)

func TestValidSignature(t *testing.T) {
	body := []byte("<rss/>")
	sig := func(h func() hash.Hash, secret string) string {
		m := hmac.New(h, []byte(secret))
		m.Write(body)
		return hex.EncodeToString(m.Sum(nil))
	}
	for _, c := range []struct {
		header string
		ok     bool
	}{
		{"sha1=" + sig(sha1.New, "s3"), true},
		{"sha256=" + sig(sha256.New, "s3"), true},
		{"SHA384=" + sig(sha512.New384, "s3"), true},
		{"sha512=" + sig(sha512.New, "s3"), true},
		{"sha256=" + sig(sha256.New, "other"), false},
		{"sha256=" + sig(sha1.New, "s3"), false},
		{"md5=" + sig(sha1.New, "s3"), false},
		{sig(sha256.New, "s3"), false},
		{"sha256=zz", false},
		{"", false},
	} {
		if got := validSignature(c.header, "s3", body); got != c.ok {
			t.Errorf("%q: %v, want %v", c.header, got, c.ok)
		}
	}
	if validSignature("sha256="+sig(sha256.New, ""), "", body) {
		t.Error("an empty secret validated")
	}
}
