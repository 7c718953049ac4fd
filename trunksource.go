package callfloor

import (
	"net/netip"
	"strconv"
	"strings"
)

// TrunkSource is one place an ip trunk's carrier sends its calls from: an
// address or a network, and, for an address, optionally the one port
// (0: any port). Its text form is "203.0.113.5" (any port),
// "203.0.113.5:5060" or "[2001:db8::5]:5060" (that port only),
// "2001:db8::5", or a network "203.0.113.0/24" (any address in it, any
// port).
type TrunkSource struct {
	Prefix netip.Prefix
	Port   uint16
}

const errSourceText = "allowed_sources entries must be an IP address (203.0.113.5), an IP address and port " +
	"(203.0.113.5:5060, or [2001:db8::5]:5060 for IPv6) or a network (203.0.113.0/24); a network takes no port"

// ParseTrunkSource reads a source in any of its text forms. IPv4-mapped
// IPv6 addresses are taken as IPv4; zones are refused.
func ParseTrunkSource(s string) (TrunkSource, bool) {
	s = strings.TrimSpace(s)
	switch {
	case strings.Contains(s, "/"):
		p, err := netip.ParsePrefix(s)
		if err != nil || p.Addr().Zone() != "" {
			return TrunkSource{}, false
		}
		if p.Addr().Is4In6() {
			if p.Bits() < 96 {
				return TrunkSource{}, false
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return TrunkSource{Prefix: p.Masked()}, true
	case strings.HasPrefix(s, "["), strings.Count(s, ":") == 1:
		ap, err := netip.ParseAddrPort(s)
		if err != nil || ap.Port() == 0 || ap.Addr().Zone() != "" {
			return TrunkSource{}, false
		}
		if strings.HasPrefix(s, "[") && ap.Addr().Is4In6() {
			return TrunkSource{}, false // write an IPv4 address with its port plainly
		}
		a := ap.Addr().Unmap()
		return TrunkSource{Prefix: netip.PrefixFrom(a, a.BitLen()), Port: ap.Port()}, true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return TrunkSource{}, false
	}
	a = a.Unmap()
	return TrunkSource{Prefix: netip.PrefixFrom(a, a.BitLen())}, true
}

// String is the canonical text form: a single address without its prefix
// length, IPv6 in brackets when it has a port.
func (s TrunkSource) String() string {
	if !s.Prefix.IsSingleIP() {
		return s.Prefix.String()
	}
	a := s.Prefix.Addr()
	if s.Port == 0 {
		return a.String()
	}
	if a.Is6() {
		return "[" + a.String() + "]:" + strconv.Itoa(int(s.Port))
	}
	return a.String() + ":" + strconv.Itoa(int(s.Port))
}

// Admits reports whether a request from ap comes from this source.
func (s TrunkSource) Admits(ap netip.AddrPort) bool {
	a := ap.Addr().Unmap()
	return a.IsValid() && s.Prefix.IsValid() && s.Prefix.Contains(a) && (s.Port == 0 || s.Port == ap.Port())
}

// Sources returns the trunk's allowed sources, parsed; entries that do
// not parse (never stored: Validate refuses them) are left out.
func (t *Trunk) Sources() []TrunkSource {
	out := make([]TrunkSource, 0, len(t.AllowedSources))
	for _, s := range t.AllowedSources {
		if src, ok := ParseTrunkSource(s); ok {
			out = append(out, src)
		}
	}
	return out
}

// Admits reports whether an inbound request from ap is the carrier's: the
// trunk is an ip trunk and one of its sources admits ap.
func (t *Trunk) Admits(ap netip.AddrPort) bool {
	if t.Auth != TrunkIP {
		return false
	}
	for _, s := range t.Sources() {
		if s.Admits(ap) {
			return true
		}
	}
	return false
}
