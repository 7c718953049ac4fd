package callfloor_test

import (
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/callfloor/callfloor"
)

func validTrunk(f func(*callfloor.Trunk)) *callfloor.Trunk {
	t := callfloor.NewTrunk("Carrier", "sip.carrier.example")
	t.Username, t.Password = "acct-1001", "s3cret"
	f(t)
	return t
}

func ipOnly(t *callfloor.Trunk) {
	t.Auth, t.Username, t.Password, t.AllowedSources = callfloor.TrunkIP, "", "", []string{"203.0.113.0/24"}
}

func TestTrunkValidate(t *testing.T) {
	ok := validTrunk
	long := strings.Repeat("a", 65)
	runValidate(t, []validateCase{
		{"valid registration", ok(func(*callfloor.Trunk) {}), "", ""},
		{"valid ip", ok(ipOnly), "", ""},
		{"ip with optional credentials", ok(func(t *callfloor.Trunk) { ipOnly(t); t.Username, t.Password = "u", "p" }), "", ""},
		{"no name", ok(func(t *callfloor.Trunk) { t.Name = " " }), callfloor.ErrFieldRequired, "name"},
		{"no host", ok(func(t *callfloor.Trunk) { t.Host = "" }), callfloor.ErrFieldRequired, "host"},
		{"host with port", ok(func(t *callfloor.Trunk) { t.Host = "sip.carrier.example:5080" }), "", ""},
		{"IPv4 host", ok(func(t *callfloor.Trunk) { t.Host = "192.0.2.1:5060" }), "", ""},
		{"IPv6 host", ok(func(t *callfloor.Trunk) { t.Host = "[2001:db8::1]:5060" }), "", ""},
		{"bare IPv6 host", ok(func(t *callfloor.Trunk) { t.Host = "2001:db8::1" }), callfloor.ErrInvalidField, "host"},
		{"host with scheme", ok(func(t *callfloor.Trunk) { t.Host = "sip:carrier.example" }), callfloor.ErrInvalidField, "host"},
		{"host with space", ok(func(t *callfloor.Trunk) { t.Host = "carrier example" }), callfloor.ErrInvalidField, "host"},
		{"port zero", ok(func(t *callfloor.Trunk) { t.Host = "carrier.example:0" }), callfloor.ErrInvalidField, "host"},
		{"port too large", ok(func(t *callfloor.Trunk) { t.Host = "carrier.example:65536" }), callfloor.ErrInvalidField, "host"},
		{"bad IPv4", ok(func(t *callfloor.Trunk) { t.Host = "192.0.2.300" }), callfloor.ErrInvalidField, "host"},
		{"label with hyphen at the end", ok(func(t *callfloor.Trunk) { t.Host = "carrier-.example" }), callfloor.ErrInvalidField, "host"},
		{"bad transport", ok(func(t *callfloor.Trunk) { t.Transport = "tls" }), callfloor.ErrInvalidField, "transport"},
		{"no auth", ok(func(t *callfloor.Trunk) { t.Auth = "" }), callfloor.ErrFieldRequired, "auth"},
		{"bad auth", ok(func(t *callfloor.Trunk) { t.Auth = "token" }), callfloor.ErrInvalidField, "auth"},
		{"registration without username", ok(func(t *callfloor.Trunk) { t.Username = "" }), callfloor.ErrFieldRequired, "username"},
		{"registration without password", ok(func(t *callfloor.Trunk) { t.Password = "" }), callfloor.ErrFieldRequired, "password"},
		{"username with @", ok(func(t *callfloor.Trunk) { t.Username = "a@b" }), callfloor.ErrInvalidField, "username"},
		{"username too long", ok(func(t *callfloor.Trunk) { t.Username = long }), callfloor.ErrInvalidField, "username"},
		{"auth username with space", ok(func(t *callfloor.Trunk) { t.AuthUsername = "a b" }), callfloor.ErrInvalidField, "auth_username"},
		{"password with newline", ok(func(t *callfloor.Trunk) { t.Password = "a\nb" }), callfloor.ErrInvalidField, "password"},
		{"password too long", ok(func(t *callfloor.Trunk) { t.Password = strings.Repeat("p", 129) }), callfloor.ErrInvalidField, "password"},
		{"realm with control", ok(func(t *callfloor.Trunk) { t.Realm = "a\x01" }), callfloor.ErrInvalidField, "realm"},
		{"domain with port", ok(func(t *callfloor.Trunk) { t.Domain = "voice.example:5060" }), callfloor.ErrInvalidField, "domain"},
		{"expiry too short", ok(func(t *callfloor.Trunk) { t.ExpirySeconds = 59 }), callfloor.ErrInvalidField, "expiry_seconds"},
		{"expiry too long", ok(func(t *callfloor.Trunk) { t.ExpirySeconds = 86401 }), callfloor.ErrInvalidField, "expiry_seconds"},
		{"ip without sources", ok(func(t *callfloor.Trunk) { ipOnly(t); t.AllowedSources = nil }), callfloor.ErrFieldRequired, "allowed_sources"},
		{"registration with sources", ok(func(t *callfloor.Trunk) { t.AllowedSources = []string{"192.0.2.1"} }), callfloor.ErrInvalidField, "allowed_sources"},
		{"bad source", ok(func(t *callfloor.Trunk) { ipOnly(t); t.AllowedSources = []string{"192.0.2.1", "carrier.example"} }), callfloor.ErrInvalidField, "allowed_sources[1]"},
		{"source with zone", ok(func(t *callfloor.Trunk) { ipOnly(t); t.AllowedSources = []string{"fe80::1%eth0"} }), callfloor.ErrInvalidField, "allowed_sources[0]"},
		{"duplicate source", ok(func(t *callfloor.Trunk) { ipOnly(t); t.AllowedSources = []string{"192.0.2.0/24", "192.0.2.9/24"} }), callfloor.ErrInvalidField, "allowed_sources[1]"},
		{"source port zero", ok(func(t *callfloor.Trunk) { ipOnly(t); t.AllowedSources = []string{"192.0.2.1:0"} }), callfloor.ErrInvalidField, "allowed_sources[0]"},
		{"source port too large", ok(func(t *callfloor.Trunk) { ipOnly(t); t.AllowedSources = []string{"192.0.2.1:65536"} }), callfloor.ErrInvalidField, "allowed_sources[0]"},
		{"network with a port", ok(func(t *callfloor.Trunk) { ipOnly(t); t.AllowedSources = []string{"192.0.2.0/24:5060"} }), callfloor.ErrInvalidField, "allowed_sources[0]"},
		{"host name with a port", ok(func(t *callfloor.Trunk) { ipOnly(t); t.AllowedSources = []string{"carrier.example:5060"} }), callfloor.ErrInvalidField, "allowed_sources[0]"},
		{"IPv6 in brackets without a port", ok(func(t *callfloor.Trunk) { ipOnly(t); t.AllowedSources = []string{"[2001:db8::1]"} }), callfloor.ErrInvalidField, "allowed_sources[0]"},
		{"duplicate source with port", ok(func(t *callfloor.Trunk) { ipOnly(t); t.AllowedSources = []string{"192.0.2.1:5060", " 192.0.2.1:5060"} }), callfloor.ErrInvalidField, "allowed_sources[1]"},
		{"bad caller ID", ok(func(t *callfloor.Trunk) { t.DefaultCallerID = "anonymous" }), callfloor.ErrInvalidField, "default_caller_id"},
		{"negative strip", ok(func(t *callfloor.Trunk) { t.StripDigits = -1 }), callfloor.ErrInvalidField, "strip_digits"},
		{"bad prefix", ok(func(t *callfloor.Trunk) { t.Prefix = "9a" }), callfloor.ErrInvalidField, "prefix"},
	})

	tr := validTrunk(func(t *callfloor.Trunk) {
		t.Host, t.Transport, t.ExpirySeconds, t.Domain = " SIP.Carrier.Example ", "", 0, " Voice.Example "
	})
	if err := tr.Validate(); err != nil {
		t.Fatal(err)
	}
	if tr.Host != "sip.carrier.example" || tr.Transport != callfloor.TransportUDP || tr.ExpirySeconds != callfloor.DefaultTrunkExpiry || tr.Domain != "voice.example" {
		t.Errorf("normalised %+v", tr)
	}
	if err := validTrunk(func(t *callfloor.Trunk) { t.Password = "p\x00secret-value" }).Validate(); err == nil || strings.Contains(err.Error(), "secret-value") {
		t.Errorf("error %v shows the password", err)
	}
}

func TestTrunkAddress(t *testing.T) {
	tests := []struct {
		host, wantHost, domain string
		wantPort               int
	}{
		{"carrier.example", "carrier.example", "carrier.example", 5060},
		{"Carrier.Example:5080", "carrier.example", "carrier.example", 5080},
		{"192.0.2.1", "192.0.2.1", "192.0.2.1", 5060},
		{"[2001:DB8::1]", "2001:db8::1", "2001:db8::1", 5060},
		{"[2001:db8::1]:7000", "2001:db8::1", "2001:db8::1", 7000},
	}
	for _, tc := range tests {
		tr := validTrunk(func(t *callfloor.Trunk) { t.Host = tc.host })
		if err := tr.Validate(); err != nil {
			t.Fatalf("%s: %v", tc.host, err)
		}
		if h, p := tr.Address(); h != tc.wantHost || p != tc.wantPort || tr.RegistrationDomain() != tc.domain {
			t.Errorf("%s: address %s %d domain %s", tc.host, h, p, tr.RegistrationDomain())
		}
	}
	tr := validTrunk(func(t *callfloor.Trunk) { t.Domain = "voice.example" })
	if tr.RegistrationDomain() != "voice.example" || tr.DigestUsername() != "acct-1001" {
		t.Errorf("domain %s, digest user %s", tr.RegistrationDomain(), tr.DigestUsername())
	}
	tr.AuthUsername = "auth-1"
	if tr.DigestUsername() != "auth-1" {
		t.Errorf("digest user %s", tr.DigestUsername())
	}
}

func TestTrunkAdmits(t *testing.T) {
	tr := validTrunk(func(t *callfloor.Trunk) {
		ipOnly(t)
		t.AllowedSources = []string{"203.0.113.0/24", "2001:db8::7", "::ffff:198.51.100.1", " 192.0.2.5:5060",
			"[2001:DB8::9]:5080", "[::ffff:192.0.2.6]:5060"}
	})
	if err := tr.Validate(); err == nil {
		t.Fatal("a mapped IPv4 address in brackets with a port is accepted")
	}
	tr.AllowedSources = tr.AllowedSources[:5]
	if err := tr.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tr.AllowedSources, " "); got != "203.0.113.0/24 2001:db8::7 198.51.100.1 192.0.2.5:5060 [2001:db8::9]:5080" {
		t.Errorf("sources %s", got)
	}
	for src, want := range map[string]bool{
		"203.0.113.9:5060": true, "203.0.113.9:41234": true, "[::ffff:203.0.113.9]:5060": true, "203.0.114.1:5060": false,
		"[2001:db8::7]:5060": true, "[2001:db8::7]:1": true, "[2001:db8::8]:5060": false, "198.51.100.1:5060": true,
		// A source with a port admits that port only.
		"192.0.2.5:5060": true, "192.0.2.5:5061": false, "[::ffff:192.0.2.5]:5060": true,
		"[2001:db8::9]:5080": true, "[2001:db8::9]:5060": false,
	} {
		if got := tr.Admits(netip.MustParseAddrPort(src)); got != want {
			t.Errorf("Admits(%s) = %v", src, got)
		}
	}
	if tr.Admits(netip.AddrPort{}) {
		t.Error("admits the zero address")
	}
	reg := validTrunk(func(*callfloor.Trunk) {})
	if reg.Admits(netip.MustParseAddrPort("203.0.113.9:5060")) {
		t.Error("a registration trunk admits by address")
	}
}

func TestTrunkDial(t *testing.T) {
	tests := []struct {
		strip  int
		prefix string
		in     string
		want   string
	}{
		{0, "", "+441632960000", "+441632960000"},
		{1, "", "901632960000", "01632960000"},
		{1, "0044", "01632960000", "00441632960000"},
		{5, "9", "123", "9"},
	}
	for _, tc := range tests {
		tr := validTrunk(func(t *callfloor.Trunk) { t.StripDigits, t.Prefix = tc.strip, tc.prefix })
		if got := tr.Dial(tc.in); got != tc.want {
			t.Errorf("strip %d prefix %q: Dial(%s) = %s, want %s", tc.strip, tc.prefix, tc.in, got, tc.want)
		}
	}
}

func TestTrunkLogValueHidesPassword(t *testing.T) {
	var b strings.Builder
	log := slog.New(slog.NewTextHandler(&b, nil))
	log.Info("trunk", "trunk", validTrunk(func(t *callfloor.Trunk) { t.Password = "hunter2-secret" }))
	if strings.Contains(b.String(), "hunter2") || !strings.Contains(b.String(), "Carrier") {
		t.Errorf("log line %s", b.String())
	}
}

func TestPickCallerID(t *testing.T) {
	pool := &callfloor.CallerIDPool{Numbers: []string{"+441", "+442", "+443"}}
	seq := func(v int) func(int) int { return func(int) int { return v } }
	tests := []struct {
		name      string
		pool      *callfloor.CallerIDPool
		randomise bool
		rnd       func(int) int
		want      string
	}{
		{"no pool: fallback", nil, true, seq(1), "+44fallback"},
		{"empty pool: fallback", &callfloor.CallerIDPool{}, true, seq(0), "+44fallback"},
		{"not randomised: first", pool, false, seq(2), "+441"},
		{"randomised", pool, true, seq(2), "+443"},
		{"randomised without rnd: first", pool, true, nil, "+441"},
		{"rnd out of range: first", pool, true, seq(7), "+441"},
	}
	for _, tc := range tests {
		if got := callfloor.PickCallerID(tc.pool, tc.randomise, "+44fallback", tc.rnd); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	// Randomised picks reach every number and ask for the pool's size.
	seen := map[string]bool{}
	for i := range 3 {
		got := callfloor.PickCallerID(pool, true, "", func(n int) int {
			if n != 3 {
				t.Fatalf("rnd(%d), want rnd(3)", n)
			}
			return i
		})
		seen[got] = true
	}
	if len(seen) != 3 {
		t.Errorf("picked %v", seen)
	}
}

func TestInboundNumberValidate(t *testing.T) {
	ok := func(f func(*callfloor.InboundNumber)) *callfloor.InboundNumber {
		n := &callfloor.InboundNumber{Number: "+441632960000", Destination: callfloor.Destination{Kind: callfloor.DestinationQueue, ID: 3}}
		f(n)
		return n
	}
	runValidate(t, []validateCase{
		{"valid", ok(func(*callfloor.InboundNumber) {}), "", ""},
		{"national", ok(func(n *callfloor.InboundNumber) { n.Number = "01632960000" }), "", ""},
		{"to an extension on a trunk", ok(func(n *callfloor.InboundNumber) {
			n.Destination.Kind, n.TrunkID = callfloor.DestinationExtension, id(4)
		}), "", ""},
		{"no number", ok(func(n *callfloor.InboundNumber) { n.Number = " " }), callfloor.ErrFieldRequired, "number"},
		{"star in number", ok(func(n *callfloor.InboundNumber) { n.Number = "*99" }), callfloor.ErrInvalidField, "number"},
		{"too long", ok(func(n *callfloor.InboundNumber) { n.Number = strings.Repeat("1", 33) }), callfloor.ErrInvalidField, "number"},
		{"name with control", ok(func(n *callfloor.InboundNumber) { n.Name = "a\tb" }), callfloor.ErrInvalidField, "name"},
		{"no kind", ok(func(n *callfloor.InboundNumber) { n.Destination.Kind = "" }), callfloor.ErrFieldRequired, "destination.kind"},
		{"bad kind", ok(func(n *callfloor.InboundNumber) { n.Destination.Kind = "voicemail" }), callfloor.ErrInvalidField, "destination.kind"},
		{"no target", ok(func(n *callfloor.InboundNumber) { n.Destination.ID = 0 }), callfloor.ErrFieldRequired, "destination.id"},
		{"bad trunk id", ok(func(n *callfloor.InboundNumber) { n.TrunkID = id(-1) }), callfloor.ErrInvalidReference, "trunk_id"},
	})
	for in, want := range map[string]string{"+441632960000": "441632960000", "5550100": "5550100", "+": "", "5550100;x": "", "": ""} {
		if got := callfloor.InboundNumberKey(in); got != want {
			t.Errorf("InboundNumberKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzTrunkHost: whatever the host field holds, Validate does not panic,
// and a host it accepts is stored in a form that reads back the same.
func FuzzTrunkHost(f *testing.F) {
	for _, s := range []string{"carrier.example", "carrier.example:5060", "192.0.2.1:1", "[2001:db8::1]:5060",
		"[::1]", "[::ffff:1.2.3.4]", "2001:db8::1", "a..b", "-a.b", "1.2.3", "x:", ":5060", "[1.2.3.4]", "[::1]x", "ü.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		tr := validTrunk(func(t *callfloor.Trunk) { t.Host = host })
		if tr.Validate() != nil {
			return
		}
		h, p := tr.Address()
		if h == "" || p < 1 || p > 65535 {
			t.Fatalf("%q: address %q %d", host, h, p)
		}
		again := validTrunk(func(t *callfloor.Trunk) { t.Host = net.JoinHostPort(h, strconv.Itoa(p)) })
		if err := again.Validate(); err != nil {
			t.Fatalf("%q: the canonical %q is refused: %v", host, again.Host, err)
		}
		if h2, p2 := again.Address(); h2 != h || p2 != p {
			t.Fatalf("%q: reads back as %q %d, want %q %d", host, h2, p2, h, p)
		}
		stored := validTrunk(func(t *callfloor.Trunk) { t.Host = tr.Host })
		if err := stored.Validate(); err != nil || stored.Host != tr.Host {
			t.Fatalf("%q: stored form %q not stable (%q, %v)", host, tr.Host, stored.Host, err)
		}
	})
}

// FuzzTrunkSources: a source Validate accepts is canonical and admits
// its own address (at its port, when it has one).
func FuzzTrunkSources(f *testing.F) {
	for _, s := range []string{"203.0.113.0/24", "10.1.2.3/8", "2001:db8::/32", "::ffff:1.2.3.4", "::ffff:1.2.3.0/120",
		"1.2.3.4/33", "x", "fe80::1%eth0", "192.0.2.1:5060", "[2001:db8::1]:5060", "[::ffff:1.2.3.4]:1", "1.2.3.4:0", "1.2.3.0/24:5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tr := validTrunk(func(t *callfloor.Trunk) { ipOnly(t); t.AllowedSources = []string{src} })
		if tr.Validate() != nil {
			return
		}
		c := tr.AllowedSources[0]
		again := validTrunk(func(t *callfloor.Trunk) { ipOnly(t); t.AllowedSources = []string{c} })
		if err := again.Validate(); err != nil || again.AllowedSources[0] != c {
			t.Fatalf("%q: canonical %q not stable (%v)", src, c, err)
		}
		s, ok := callfloor.ParseTrunkSource(c)
		if !ok {
			t.Fatalf("%q: canonical %q does not parse", src, c)
		}
		port := s.Port
		if port == 0 {
			port = 5060
		}
		if !tr.Admits(netip.AddrPortFrom(s.Prefix.Addr(), port)) {
			t.Fatalf("%q (%q) does not admit its own address", src, c)
		}
		if s.Port != 0 && tr.Admits(netip.AddrPortFrom(s.Prefix.Addr(), s.Port+1)) {
			t.Fatalf("%q (%q) admits another port", src, c)
		}
	})
}
