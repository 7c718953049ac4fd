package trunk

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callfloor/callfloor"
)

// lookupTimeout bounds the resolution of one trunk host name.
const lookupTimeout = 5 * time.Second

// Sources are where the configured carriers send from: every enabled ip
// trunk's allowed sources (an address, an address and port, a network)
// and every enabled registration trunk's host at its port (a name
// resolved to its addresses). A carrier is authenticated by its address,
// so the registrar trusts these sources (registrar.Config.Trusted): it
// never rate-limits nor bans them.
//
// The zero value holds nothing; a Client given it (Config.Sources) sets
// it on every Reload. Contains is safe from any goroutine.
type Sources struct {
	set atomic.Pointer[[]callfloor.TrunkSource]

	mu       sync.Mutex
	resolved map[string][]netip.Addr // each host name's last good answer
}

// Contains reports whether a request from ap comes from a carrier.
func (s *Sources) Contains(ap netip.AddrPort) bool {
	set := s.set.Load()
	if set == nil {
		return false
	}
	for _, src := range *set {
		if src.Admits(ap) {
			return true
		}
	}
	return false
}

// update replaces the sources with those of trunks. A host name that does
// not resolve keeps the addresses it last resolved to, so a DNS outage
// does not expose its carrier to the rate limit.
func (s *Sources) update(ctx context.Context, trunks []*callfloor.Trunk, lookup func(context.Context, string) ([]netip.Addr, error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	resolved := map[string][]netip.Addr{}
	var set []callfloor.TrunkSource
	for _, t := range trunks {
		if !t.Enabled {
			continue
		}
		if t.Auth == callfloor.TrunkIP {
			set = append(set, t.Sources()...)
			continue
		}
		host, port := t.Address()
		addrs, ok := resolved[host]
		if !ok {
			addrs = s.resolve(ctx, host, lookup)
			resolved[host] = addrs
		}
		for _, a := range addrs {
			set = append(set, callfloor.TrunkSource{Prefix: netip.PrefixFrom(a, a.BitLen()), Port: uint16(port)})
		}
	}
	s.resolved = resolved // hosts no trunk names any more are forgotten
	s.set.Store(&set)
}

// resolve returns the addresses of host: itself when it is an address,
// else what lookup answers, else what it answered last time.
func (s *Sources) resolve(ctx context.Context, host string, lookup func(context.Context, string) ([]netip.Addr, error)) []netip.Addr {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a.Unmap()}
	}
	if lookup == nil {
		lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	addrs, err := lookup(ctx, host)
	if err != nil || len(addrs) == 0 {
		return s.resolved[host]
	}
	out := make([]netip.Addr, len(addrs))
	for i, a := range addrs {
		out[i] = a.Unmap()
	}
	return out
}
