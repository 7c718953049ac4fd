package registrar

import (
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/callfloor/callfloor/internal/syncbuf"
)

// kaHarness is a harness whose keepalive rounds a test steps through.
type kaHarness struct {
	*harness
	events chan keepaliveEvent
	next   time.Time // the next round
}

const (
	kaEvery   = 30 * time.Second
	kaTimeout = 5 * time.Second
)

func newKAHarness(t *testing.T) *kaHarness {
	t.Helper()
	events := make(chan keepaliveEvent, 1000)
	logs := &syncbuf.Buffer{}
	h := newHarness(t, func(c *Config) {
		c.Keepalive, c.KeepaliveTimeout, c.KeepaliveFailures = kaEvery, kaTimeout, 3
		c.trace = func(e keepaliveEvent) { events <- e }
		if !testing.Verbose() {
			c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("registrar log:\n%s", logs)
		}
	})
	return &kaHarness{harness: h, events: events, next: t0.Add(kaEvery)}
}

func (k *kaHarness) event() keepaliveEvent {
	k.t.Helper()
	select {
	case e := <-k.events:
		return e
	case <-time.After(5 * time.Second):
		k.t.Fatal("no keepalive event")
	}
	return keepaliveEvent{}
}

// round moves the clock to the next keepalive round and returns each
// probe's outcome by contact: it waits for the answers of the contacts
// in answering, then lets the timeout pass for the others.
func (k *kaHarness) round(answering ...string) map[string]keepaliveEvent {
	k.t.Helper()
	k.clock.Set(k.next)
	k.next = k.next.Add(kaEvery)
	var probes int
	for {
		if e := k.event(); e.Probes >= 0 {
			probes = e.Probes
			break
		}
	}
	out := map[string]keepaliveEvent{}
	waiting := func() bool {
		for _, c := range answering {
			if _, ok := out[c]; !ok {
				return true
			}
		}
		return false
	}
	for waiting() {
		e := k.event()
		out[e.Contact] = e
	}
	if len(out) < probes {
		k.clock.Advance(kaTimeout)
	}
	for len(out) < probes {
		e := k.event()
		out[e.Contact] = e
	}
	return out
}

// TestKeepaliveAnswered: any answer, 200 or 405, keeps a binding; so do
// answers after misses, which start the count again.
func TestKeepaliveAnswered(t *testing.T) {
	k := newKAHarness(t)
	ok := k.uaPhone("UDP", k.addr.Port, nil, answerOK)
	wantStatus(t, ok.register("<sip:ok@127.0.0.1:5070>", 3600), sip.StatusOK)
	noOpt := k.uaPhone("UDP", k.addr.Port, nil, noMethod)
	wantStatus(t, noOpt.register("<sip:noopt@127.0.0.1:5071>", 3600), sip.StatusOK)
	for range 4 {
		got := k.round("sip:ok@127.0.0.1:5070", "sip:noopt@127.0.0.1:5071")
		if len(got) != 2 || got["sip:ok@127.0.0.1:5070"].Status != 200 || got["sip:noopt@127.0.0.1:5071"].Status != 405 {
			t.Fatalf("round %+v", got)
		}
	}
	if n := len(k.reg.Contacts(1, 10)); n != 2 {
		t.Fatalf("%d contacts", n)
	}
}

// TestKeepaliveRemovesDeadPhones: a phone that closed its socket (UDP)
// or connection (TCP, TLS) without unregistering is removed after three
// unanswered keepalives; one that is there but does not answer too. The
// phone that answers stays, and watchers hear of each removal; the last
// one takes the extension offline.
func TestKeepaliveRemovesDeadPhones(t *testing.T) {
	serverTLS, clientTLS := testTLS(t)
	k := newKAHarness(t)
	tcp, tlsLn := listen(t), listen(t)
	go k.reg.ServeTCP(tcp)
	go k.reg.ServeTLS(tlsLn, serverTLS)
	changes, stop := k.reg.Watch()
	defer stop()

	alive := k.uaPhone("TLS", tlsLn.Addr().(*net.TCPAddr).Port, clientTLS, answerOK)
	wantStatus(t, alive.register("<sip:alive@127.0.0.1:5061;transport=tls>", 3600), sip.StatusOK)
	var dead []*uaPhone
	for _, p := range []struct{ transport, contact string }{
		{"UDP", "<sip:udp@127.0.0.1:5072>"},
		{"TCP", "<sip:tcp@127.0.0.1:5073;transport=tcp>"},
		{"TLS", "<sip:tls@127.0.0.1:5074;transport=tls>"},
	} {
		port := map[string]int{"UDP": k.addr.Port, "TCP": tcp.Addr().(*net.TCPAddr).Port, "TLS": tlsLn.Addr().(*net.TCPAddr).Port}[p.transport]
		d := k.uaPhone(p.transport, port, clientTLS, answerOK)
		wantStatus(t, d.register(p.contact, 3600), sip.StatusOK)
		dead = append(dead, d)
	}
	silent := k.uaPhone("UDP", k.addr.Port, nil, mute)
	wantStatus(t, silent.register("<sip:mute@127.0.0.1:5075>", 3600), sip.StatusOK)
	for range 5 {
		nextChange(t, changes)
	}

	// While they live, every phone but the mute one answers.
	got := k.round("sip:alive@127.0.0.1:5061;transport=tls", "sip:udp@127.0.0.1:5072", "sip:tcp@127.0.0.1:5073;transport=tcp", "sip:tls@127.0.0.1:5074;transport=tls")
	if len(got) != 5 || got["sip:tcp@127.0.0.1:5073;transport=tcp"].Status != 200 || got["sip:mute@127.0.0.1:5075"].Missed != 1 {
		t.Fatalf("round 1: %+v", got)
	}
	for _, d := range dead {
		d.die()
	}
	for i := 1; i <= 3; i++ {
		got := k.round("sip:alive@127.0.0.1:5061;transport=tls")
		if len(got) != 5-i/3 || got["sip:alive@127.0.0.1:5061;transport=tls"].Status != 200 {
			t.Fatalf("round %d: %+v", i+1, got)
		}
		for c, e := range got {
			if c == "sip:alive@127.0.0.1:5061;transport=tls" {
				continue
			}
			want := keepaliveEvent{Probes: -1, Contact: c, Missed: i, Removed: i == 3}
			if c == "sip:mute@127.0.0.1:5075" {
				want.Missed, want.Removed = i+1, i+1 == 3
			}
			if e != want {
				t.Fatalf("round %d: %+v, want %+v", i+1, e, want)
			}
		}
		if i == 2 {
			// The mute phone went at the third miss in a row.
			if c := nextChange(t, changes); c != (Change{AccountID: 1, ExtensionID: 10, Registered: true, Contacts: 4, Softphone: true}) {
				t.Fatalf("change %+v", c)
			}
		}
	}
	for n := 3; n > 0; n-- {
		if c := nextChange(t, changes); c != (Change{AccountID: 1, ExtensionID: 10, Registered: true, Contacts: n, Softphone: true}) {
			t.Fatalf("change %+v", c)
		}
	}
	bs := k.reg.Contacts(1, 10)
	if len(bs) != 1 || bs[0].Contact != "sip:alive@127.0.0.1:5061;transport=tls" {
		t.Fatalf("bindings %+v", bs)
	}

	// The last phone goes: the extension is offline.
	alive.die()
	for range 3 {
		k.round()
	}
	if c := nextChange(t, changes); c != (Change{AccountID: 1, ExtensionID: 10}) {
		t.Fatalf("change %+v", c)
	}
	if k.reg.Registered(1, 10) {
		t.Fatal("still registered")
	}
}

// A phone that registers again after a miss (from a new connection) is a
// new flow: its count starts afresh, and removing the old flow's binding
// never removes the new one.
func TestKeepaliveReregisteredFlow(t *testing.T) {
	k := newKAHarness(t)
	tcp := listen(t)
	go k.reg.ServeTCP(tcp)
	port := tcp.Addr().(*net.TCPAddr).Port
	old := k.uaPhone("TCP", port, nil, answerOK)
	wantStatus(t, old.register("<sip:desk@127.0.0.1:5080;transport=tcp>", 3600), sip.StatusOK)
	old.die()
	if got := k.round(); got["sip:desk@127.0.0.1:5080;transport=tcp"].Missed != 1 {
		t.Fatalf("round 1: %+v", got)
	}
	again := k.uaPhone("TCP", port, nil, answerOK)
	wantStatus(t, again.register("<sip:desk@127.0.0.1:5080;transport=tcp>", 3600), sip.StatusOK)
	for range 3 {
		if got := k.round("sip:desk@127.0.0.1:5080;transport=tcp"); got["sip:desk@127.0.0.1:5080;transport=tcp"].Status != 200 {
			t.Fatalf("round: %+v", got)
		}
	}
	if !k.reg.Registered(1, 10) {
		t.Fatal("re-registered phone removed")
	}
}

// Keepalives off: nothing is sent, nothing removed.
func TestKeepaliveOff(t *testing.T) {
	events := make(chan keepaliveEvent, 10)
	h := newHarness(t, func(c *Config) {
		c.Keepalive = -1
		c.trace = func(e keepaliveEvent) { events <- e }
	})
	p := h.uaPhone("UDP", h.addr.Port, nil, mute)
	wantStatus(t, p.register("<sip:x@127.0.0.1:5090>", 3600), sip.StatusOK)
	for range 10 {
		h.clock.Advance(time.Minute)
	}
	time.Sleep(50 * time.Millisecond)
	if len(events) != 0 || !h.reg.Registered(1, 10) {
		t.Fatalf("keepalive ran: %d events", len(events))
	}
}

// The registrar answers OPTIONS itself with what it allows and accepts.
func TestOptionsAllowAccept(t *testing.T) {
	h := newHarness(t)
	res := h.rawUDP("127.0.0.1:0", h.options("127.0.0.1:0", 1), time.Second)
	wantStatus(t, res, sip.StatusOK)
	if a := res.GetHeader("Allow"); a == nil || a.Value() != "REGISTER, OPTIONS" {
		t.Fatalf("Allow %v", a)
	}
	if a := res.GetHeader("Accept"); a == nil || a.Value() != "application/sdp" {
		t.Fatalf("Accept %v", a)
	}
}
