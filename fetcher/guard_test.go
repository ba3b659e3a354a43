package fetcher

import (
	"errors"
	"net/netip"
	"testing"
)

func TestCheckAddr(t *testing.T) {
	tests := []struct {
		addr string
		kind string // "" = allowed
	}{
		{"93.184.216.34", ""},
		{"8.8.8.8", ""},
		{"2606:4700::1111", ""},
		{"127.0.0.1", "loopback"},
		{"127.8.9.10", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"10.1.2.3", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"172.32.0.1", ""},
		{"192.168.1.1", "private"},
		{"169.254.169.254", "link-local"},
		{"fe80::1", "link-local"},
		{"100.64.0.1", "shared (CGNAT)"},
		{"100.128.0.1", ""},
		{"0.0.0.0", "unspecified"},
		{"::", "unspecified"},
		{"fd00::1", "unique local"},
		{"224.0.0.1", "multicast"},
		{"ff02::1", "multicast"},
		{"198.18.0.1", "benchmarking"},
		{"64:ff9b::7f00:1", "loopback"},
		{"64:ff9b::808:808", ""},
		{"255.255.255.255", "reserved"},
	}
	for _, tt := range tests {
		err := checkAddr(netip.MustParseAddr(tt.addr))
		var ae *AddressError
		switch {
		case tt.kind == "" && err != nil:
			t.Errorf("%s refused: %v", tt.addr, err)
		case tt.kind != "" && (!errors.As(err, &ae) || ae.Kind != tt.kind):
			t.Errorf("%s: got %v, want kind %q", tt.addr, err, tt.kind)
		}
	}
	if err := guardControl("tcp", "127.0.0.1:80", nil); err == nil {
		t.Error("guardControl allowed loopback")
	}
	if err := guardControl("tcp", "93.184.216.34:443", nil); err != nil {
		t.Error(err)
	}
}
