package feedserver

import (
	"testing"
	"time"
)

func TestAnyTagIn(t *testing.T) {
	rend, err := newRendition([]byte("document"), "text/plain", time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	tag, gz, br := rend.codings[identity].etag, rend.codings[gzipped].etag, rend.codings[brotlied].etag
	tests := []struct {
		field string
		want  bool
	}{
		{tag, true},
		{"W/" + tag, true},
		{gz, true},
		{br, true},
		{`"x", ` + tag, true},
		{`"x",W/` + tag, true},
		{" \t" + tag + " ", true},
		{`"x", "y"`, false},
		{`*`, true},
		{tag[1 : len(tag)-1], false},
		{tag[:len(tag)-1], false},
		{``, false},
		{`"a,b", ` + tag, true},
		{`x, ` + tag, false},
		{`"x" ` + tag, true},
	}
	for _, tt := range tests {
		if got := rend.anyTagIn(tt.field); got != tt.want {
			t.Errorf("anyTagIn(%q) = %v, want %v", tt.field, got, tt.want)
		}
	}
}

func TestChooseCoding(t *testing.T) {
	tests := []struct {
		header string
		want   coding
	}{
		{"", identity},
		{"gzip", gzipped},
		{"deflate, gzip;q=1.0, *;q=0.5", gzipped},
		{"br, GZIP", brotlied},
		{"gzip, deflate, br, zstd", brotlied},
		{"br;q=0.5, gzip", gzipped},
		{"br;q=0.9, gzip;q=0.9", brotlied},
		{"gzip;q=0", identity},
		{"gzip; q=0.000", identity},
		{"*", brotlied},
		{"*;q=0", identity},
		{"gzip;q=0, *", brotlied},
		{"br;q=0, *", gzipped},
		{"identity", identity},
		{"x-gzip", gzipped},
		{"gzip;q=x", identity},
	}
	for _, tt := range tests {
		if got := chooseCoding([]string{tt.header}); got != tt.want {
			t.Errorf("chooseCoding(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}
