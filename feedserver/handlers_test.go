package feedserver

import "testing"

func TestETagListMatches(t *testing.T) {
	const tag, gz = `"abc"`, `"abc-gz"`
	tests := []struct {
		header string
		want   bool
	}{
		{`"abc"`, true},
		{`W/"abc"`, true},
		{`"abc-gz"`, true},
		{`"x", "abc"`, true},
		{`"x",W/"abc"`, true},
		{`"x", "y"`, false},
		{`*`, true},
		{`abc`, false},
		{`"ab`, false},
		{``, false},
		{`"a,b", "abc"`, true},
	}
	for _, tt := range tests {
		if got := etagListMatches(tt.header, tag, gz); got != tt.want {
			t.Errorf("etagListMatches(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		header string
		want   bool
	}{
		{"", false},
		{"gzip", true},
		{"deflate, gzip;q=1.0, *;q=0.5", true},
		{"br, GZIP", true},
		{"gzip;q=0", false},
		{"gzip; q=0.000", false},
		{"*", true},
		{"*;q=0", false},
		{"gzip;q=0, *", false},
		{"identity", false},
		{"x-gzip", true},
	}
	for _, tt := range tests {
		if got := acceptsGzip(tt.header); got != tt.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}
