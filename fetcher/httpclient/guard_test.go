package httpclient

import (
	"errors"
	"net/netip"
	"testing"
)

// TestCheckAddr covers every range the guard refuses, in IPv4, IPv6 and
// IPv4-mapped/NAT64 form, and public neighbours just outside them.
func TestCheckAddr(t *testing.T) {
	tests := []struct {
		addr string
		kind string // "" = allowed
	}{
		// public
		{"93.184.216.34", ""},
		{"8.8.8.8", ""},
		{"1.1.1.1", ""},
		{"2606:4700::1111", ""},
		{"2a00:1450:4001:80b::200e", ""},
		{"::ffff:8.8.8.8", ""},
		{"64:ff9b::808:808", ""},
		// 0.0.0.0/8
		{"0.0.0.0", "unspecified"},
		{"0.255.255.255", "unspecified"},
		{"1.0.0.0", ""},
		// loopback
		{"127.0.0.1", "loopback"},
		{"127.8.9.10", "loopback"},
		{"127.255.255.255", "loopback"},
		{"128.0.0.1", ""},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"64:ff9b::7f00:1", "loopback"},
		// private
		{"10.0.0.1", "private"},
		{"10.255.255.255", "private"},
		{"11.0.0.1", ""},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"172.15.255.255", ""},
		{"172.32.0.1", ""},
		{"192.168.1.1", "private"},
		{"192.169.0.1", ""},
		{"::ffff:10.0.0.1", "private"},
		{"::ffff:192.168.0.1", "private"},
		{"64:ff9b::a00:1", "private"},
		// link-local (incl. cloud metadata) and zoned IPv6
		{"169.254.169.254", "link-local"},
		{"169.254.0.1", "link-local"},
		{"::ffff:169.254.169.254", "link-local"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"febf::1", "link-local"},
		{"fec0::1", "site-local"},
		// CGNAT 100.64/10
		{"100.64.0.1", "shared (CGNAT)"},
		{"100.127.255.255", "shared (CGNAT)"},
		{"100.63.255.255", ""},
		{"100.128.0.1", ""},
		// benchmarking 198.18/15
		{"198.18.0.1", "benchmarking"},
		{"198.19.255.255", "benchmarking"},
		{"198.20.0.1", ""},
		// documentation and protocol ranges
		{"192.0.0.8", "IETF protocol"},
		{"192.0.2.1", "documentation"},
		{"198.51.100.1", "documentation"},
		{"203.0.113.1", "documentation"},
		{"2001:db8::1", "documentation"},
		// multicast
		{"224.0.0.1", "multicast"},
		{"239.255.255.250", "multicast"},
		{"ff02::1", "multicast"},
		{"ff05::2", "multicast"},
		// reserved 240/4, broadcast
		{"240.0.0.1", "reserved"},
		{"255.255.255.255", "reserved"},
		// IPv6 special
		{"::", "unspecified"},
		{"::7f00:1", "IPv4-compatible"},
		{"fc00::1", "unique local"},
		{"fd00::1", "unique local"},
		{"fdff:ffff::1", "unique local"},
		{"fe00::1", ""},
		{"100::1", "discard"},
		{"2002:7f00:1::1", "6to4"},
		{"2001::1", "IETF protocol"},
		{"64:ff9b:1::1", "local NAT64"},
	}
	for _, tt := range tests {
		err := CheckAddr(netip.MustParseAddr(tt.addr))
		var ae *AddressError
		switch {
		case tt.kind == "" && err != nil:
			t.Errorf("%s refused: %v", tt.addr, err)
		case tt.kind != "" && (!errors.As(err, &ae) || ae.Kind != tt.kind):
			t.Errorf("%s: got %v, want kind %q", tt.addr, err, tt.kind)
		}
	}
}

func TestGuardControl(t *testing.T) {
	exempt := netip.MustParseAddrPort("127.0.0.1:8080")
	tests := []struct {
		address string
		refused bool
	}{
		{"127.0.0.1:80", true},
		{"[::1]:80", true},
		{"[fe80::1%lo]:80", true},
		{"10.0.0.1:443", true},
		{"93.184.216.34:443", false},
		{"[2606:4700::1111]:443", false},
		{"example.org:80", true}, // not an address: never let through
		{"", true},
	}
	for _, tt := range tests {
		err := GuardControl(netip.AddrPort{})("tcp", tt.address, nil)
		if (err != nil) != tt.refused {
			t.Errorf("GuardControl(%q) = %v, want refused=%v", tt.address, err, tt.refused)
		}
	}
	g := GuardControl(exempt)
	if err := g("tcp", "127.0.0.1:8080", nil); err != nil {
		t.Errorf("exempt address refused: %v", err)
	}
	if err := g("tcp", "127.0.0.1:8081", nil); err == nil {
		t.Error("exemption covers another port")
	}
	var ae *AddressError
	if err := GuardControl(netip.AddrPort{})("tcp", "[::ffff:127.0.0.1]:80", nil); !errors.As(err, &ae) ||
		err.Error() != "refused loopback address 127.0.0.1 (set allow_private to fetch it)" {
		t.Errorf("error %v", err)
	}
}
