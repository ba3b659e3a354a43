package httpclient

import (
	"fmt"
	"net/netip"
	"syscall"
)

// AddressError is returned (wrapped) when a source resolves to an address
// that is not on the public internet and private addresses are not allowed (see NewTransport).
// The check runs when the connection is dialed, after DNS resolution, so a
// public name that resolves to 127.0.0.1 or a redirect to an intranet host
// is refused as well.
type AddressError struct {
	Addr netip.Addr
	Kind string // "loopback", "private", "link-local", ...
}

// Error names the address and how to allow it.
func (e *AddressError) Error() string {
	return fmt.Sprintf("refused %s address %s (set allow_private to fetch it)", e.Kind, e.Addr)
}

// deniedPrefixes are the address ranges a fetch may not reach unless
// AllowPrivate: everything IANA marks not globally reachable, plus
// transition ranges that embed such addresses.
var deniedPrefixes = []struct {
	prefix netip.Prefix
	kind   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared (CGNAT)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("192.88.99.0/24"), "6to4 relay"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local NAT64"},
	{netip.MustParsePrefix("100::/64"), "discard"},
	{netip.MustParsePrefix("2001::/23"), "IETF protocol"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("2002::/16"), "6to4"},
	{netip.MustParsePrefix("fc00::/7"), "unique local"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("fec0::/10"), "site-local"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// CheckAddr returns an *AddressError when addr is not publicly routable.
func CheckAddr(addr netip.Addr) error {
	// A zoned address (fe80::1%eth0) would match no prefix: drop the zone.
	addr = addr.Unmap().WithZone("")
	if !addr.IsValid() {
		return &AddressError{Addr: addr, Kind: "invalid"}
	}
	if addr.Is6() && nat64.Contains(addr) {
		// Well-known NAT64 prefix: judge the IPv4 address it carries.
		b := addr.As16()
		if err := CheckAddr(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})); err != nil {
			return err
		}
		return nil
	}
	for _, d := range deniedPrefixes {
		if d.prefix.Contains(addr) {
			return &AddressError{Addr: addr, Kind: d.kind}
		}
	}
	return nil
}

// GuardControl returns the net.Dialer Control function that refuses
// non-public addresses at dial time. It runs after the socket is made and
// before it connects, for every address the dialer tries, so nothing is
// ever sent to a refused address. exempt, when valid, is one address:port
// let through as if it were public (tests stand in a local server for a
// public one with it); the zero AddrPort exempts nothing.
func GuardControl(exempt netip.AddrPort) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("guard: %q is not an IP address and port", address)
		}
		if exempt.IsValid() && ap == exempt {
			return nil
		}
		return CheckAddr(ap.Addr())
	}
}
