package trunk

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/callfloor/callfloor"
)

// Sources hold the ip trunks' allowed sources and the registration
// trunks' hosts at their ports; a host name that stops resolving keeps
// its last addresses; disabled and removed trunks drop out.
func TestSourcesFollowTheTrunks(t *testing.T) {
	ipTrunk := callfloor.NewTrunk("By IP", "carrier.example")
	ipTrunk.ID, ipTrunk.Auth, ipTrunk.AllowedSources = 1, callfloor.TrunkIP, []string{"203.0.113.0/24", "198.51.100.7:5060"}
	byAddr := callfloor.NewTrunk("Registered", "192.0.2.10:5080")
	byAddr.ID = 2
	byName := callfloor.NewTrunk("By name", "sip.carrier.example")
	byName.ID = 3
	off := callfloor.NewTrunk("Off", "192.0.2.99")
	off.ID, off.Enabled = 4, false
	answer, lookups := []netip.Addr{netip.MustParseAddr("::ffff:192.0.2.30")}, 0
	var lookupErr error
	lookup := func(_ context.Context, host string) ([]netip.Addr, error) {
		lookups++
		if host != "sip.carrier.example" {
			t.Errorf("looked up %q", host)
		}
		return answer, lookupErr
	}
	var s Sources
	if s.Contains(netip.MustParseAddrPort("203.0.113.1:5060")) {
		t.Fatal("the zero Sources trusts")
	}
	check := func(when string, want map[string]bool) {
		t.Helper()
		for src, w := range want {
			if got := s.Contains(netip.MustParseAddrPort(src)); got != w {
				t.Errorf("%s: Contains(%s) = %v", when, src, got)
			}
		}
	}
	ctx := context.Background()
	s.update(ctx, []*callfloor.Trunk{ipTrunk, byAddr, byName, off}, lookup)
	check("first", map[string]bool{
		"203.0.113.1:40000": true, "198.51.100.7:5060": true, "198.51.100.7:5061": false,
		"192.0.2.10:5080": true, "192.0.2.10:5060": false, "192.0.2.30:5060": true, "192.0.2.30:5061": false,
		"192.0.2.99:5060": false, "192.0.2.1:5060": false,
	})
	lookupErr = errors.New("no DNS")
	s.update(ctx, []*callfloor.Trunk{ipTrunk, byName}, lookup)
	check("without DNS", map[string]bool{"192.0.2.30:5060": true, "192.0.2.10:5080": false, "203.0.113.1:1": true})
	lookupErr, answer = nil, []netip.Addr{netip.MustParseAddr("192.0.2.31")}
	s.update(ctx, []*callfloor.Trunk{byName}, lookup)
	check("moved", map[string]bool{"192.0.2.30:5060": false, "192.0.2.31:5060": true, "203.0.113.1:1": false})
	if lookups != 3 {
		t.Errorf("%d lookups", lookups)
	}
}

// The client updates its Sources on each Reload.
func TestReloadUpdatesSources(t *testing.T) {
	var s Sources
	h := newHarness(t, func(c *Config) { c.Sources = &s })
	tr := callfloor.NewTrunk("By IP", "carrier.example")
	tr.ID, tr.Auth, tr.AllowedSources = 1, callfloor.TrunkIP, []string{"203.0.113.5"}
	h.store.set(tr)
	h.reload()
	if !s.Contains(netip.MustParseAddrPort("203.0.113.5:5060")) {
		t.Fatal("the ip trunk's source is not trusted")
	}
	h.store.set()
	h.reload()
	if s.Contains(netip.MustParseAddrPort("203.0.113.5:5060")) {
		t.Fatal("a removed trunk's source is still trusted")
	}
}
