package b2bua

import (
	"context"
	"net/netip"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/internal/sipptest"
	"github.com/emiago/sipgo/sip"
)

// fakeTrunks routes one inbound number from 127.0.0.1 to an extension,
// and every outside number to one carrier address.
type fakeTrunks struct {
	did      string
	callerID string
	mu       sync.Mutex
	callee   *callfloor.Extension
	carrier  string // host:port
}

func (f *fakeTrunks) set(callee *callfloor.Extension, carrier string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.callee, f.carrier = callee, carrier
}

func (f *fakeTrunks) Outbound(_ context.Context, caller *callfloor.Extension, number string) (*OutboundRoute, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.carrier == "" {
		return nil, callfloor.Errorf(callfloor.ErrNotFound, "no trunk")
	}
	ap := netip.MustParseAddrPort(f.carrier)
	return &OutboundRoute{TrunkID: 1, Target: sip.Uri{Scheme: "sip", User: "9" + number, Host: ap.Addr().String(), Port: int(ap.Port())},
		Dest: f.carrier, Transport: "udp", CallerID: f.callerID}, nil
}

func (f *fakeTrunks) Inbound(_ context.Context, req *sip.Request, src netip.Addr) (*InboundRoute, error) {
	if src != netip.MustParseAddr("127.0.0.1") || req.Recipient.User != f.did {
		return nil, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return &InboundRoute{TrunkID: 1, AccountID: 1, Number: f.did, From: req.From().Address.User, Callee: f.callee}, nil
}

// TestSippCallFromTrunk: a carrier (sipp, no credentials) calls an
// inbound number, which rings an extension's phone.
func TestSippCallFromTrunk(t *testing.T) {
	bin := sipptest.Path(t)
	ft := &fakeTrunks{did: "441632960100"}
	h := newHarness(t, func(c *Config) { c.Trunks = ft })
	b := h.phone(h.addExt(1, 20, "200"), false)
	ft.set(b.ext, "")
	b.register()
	port := sipptest.FreePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-sn", "uac", "-s", ft.did,
		"-i", "127.0.0.1", "-p", strconv.Itoa(port), "-t", "u1",
		"-m", "1", "-timeout", "10s", "-timeout_error", "-nostdin",
		"127.0.0.1:"+strconv.Itoa(h.port))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sipp: %v\n%s", err, out)
	}
	inv := <-b.invites
	if inv.From().Address.User != "sipp" {
		t.Fatalf("the extension sees %q calling, want the carrier's caller", inv.From().Address.User)
	}
	waitSignal(t, b.byes, "BYE to the extension")
	h.waitEvents("ringing", "answered", "ended:"+ReasonCallerHangup)
	if e := h.eventsCopy()[1]; e.From != 0 || e.To != 20 || e.Number != ft.did {
		t.Fatalf("answered %+v", e)
	}

	// Another number from the carrier is not found; a phone's call to it
	// must authenticate like any other.
	out, _ := exec.CommandContext(ctx, bin, "-sn", "uac", "-s", "441632960199",
		"-i", "127.0.0.1", "-p", strconv.Itoa(sipptest.FreePort(t)), "-t", "u1",
		"-m", "1", "-timeout", "5s", "-timeout_error", "-nostdin",
		"127.0.0.1:"+strconv.Itoa(h.port)).CombinedOutput()
	if !strings.Contains(string(out), "401") {
		t.Fatalf("a call for an unknown inbound number was not challenged:\n%s", out)
	}
}

// TestCallOutThroughTrunk: an extension dials an outside number, which
// goes to the carrier with the route's number and caller ID.
func TestCallOutThroughTrunk(t *testing.T) {
	ft := &fakeTrunks{callerID: "+441632960555"}
	h := newHarness(t, func(c *Config) { c.Trunks = ft })
	a := h.phone(h.addExt(1, 10, "100"), false)
	carrier := h.phone(&callfloor.Extension{ID: 99, AccountID: 1, Number: "carrier"}, false)
	ft.set(nil, carrier.addr)
	a.register()
	a.speak()
	carrier.speak()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d := a.answered(ctx, t, "01632960999", nil)
	inv := <-carrier.invites
	if inv.Recipient.User != "901632960999" || inv.From().Address.User != "+441632960555" {
		t.Fatalf("carrier got INVITE for %q from %q", inv.Recipient.User, inv.From().Address.User)
	}
	a.hears("carrier")
	if err := d.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, carrier.byes, "BYE to the carrier")
	h.waitEvents("ringing", "answered", "ended:"+ReasonCallerHangup)
	if e := h.eventsCopy()[1]; e.From != 10 || e.To != 0 {
		t.Fatalf("answered %+v", e)
	}
}

// TestTransferOutThroughTrunk: an extension on a call hands the other
// party to an outside number (blind transfer): it leaves, the carrier is
// called with the trunk's number as caller ID, and the party and the
// carrier hear each other. Admit sees a transfer with no callee.
func TestTransferOutThroughTrunk(t *testing.T) {
	ft := &fakeTrunks{callerID: "+441632960555"}
	var mu sync.Mutex
	var admitted []Admission
	tr := newTrio(t, func(c *Config) {
		c.Trunks = ft
		c.Admit = func(_ context.Context, a Admission) (Admitted, error) {
			mu.Lock()
			defer mu.Unlock()
			admitted = append(admitted, a)
			return Admitted{}, nil
		}
	})
	h, cust, agent, dlg, id := tr.h, tr.a, tr.b, tr.dlg, tr.id
	carrier := h.phone(&callfloor.Extension{ID: 99, AccountID: 1, Number: "carrier"}, false)
	ft.set(nil, carrier.addr)
	carrier.speak()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if err := h.b.Transfer(ctx, 1, 20, id, "01632960999"); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, agent.byes, "BYE to the transferring phone")
	inv := <-carrier.invites
	if inv.Recipient.User != "901632960999" || inv.From().Address.User != "+441632960555" {
		t.Fatalf("carrier got INVITE for %q from %q", inv.Recipient.User, inv.From().Address.User)
	}
	cust.hears("carrier")
	carrier.hears("100")
	h.waitSteps("left:20,joined:0")
	mu.Lock()
	last := admitted[len(admitted)-1]
	mu.Unlock()
	if last.Kind != KindTransfer || last.Callee != nil || last.Caller == nil || last.Caller.ID != 20 || last.Number != "01632960999" || last.CallID != id {
		t.Errorf("admission %+v, want the transfer out by 200", last)
	}
	if err := dlg.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, carrier.byes, "BYE to the carrier")

	// Without a trunk that reaches the number, nothing moves.
	ft.set(nil, "")
	dlg2 := cust.answered(ctx, t, "200", nil)
	id2 := dlg2.InviteRequest.CallID().Value()
	<-agent.invites
	if err := h.b.Transfer(ctx, 1, 20, id2, "01632960999"); callfloor.ErrorCode(err) != callfloor.ErrNotFound {
		t.Fatalf("transfer with no trunk: %v, want not_found", err)
	}
	cust.hears("200")
	if err := dlg2.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, agent.byes, "BYE to 200")
}

// TestClickToDialOutThroughTrunk: click to dial an outside number rings
// the agent's own phone (answer at once), then the carrier through the
// trunk with the trunk's caller ID; then "call first" to another outside
// number from that call, completed, leaves the carrier connected to the
// second one.
func TestClickToDialOutThroughTrunk(t *testing.T) {
	ft := &fakeTrunks{callerID: "+441632960555"}
	h := newHarness(t, func(c *Config) { c.Trunks = ft })
	agentExt := h.addExt(1, 10, "100")
	a := h.phone(agentExt, false)
	carrier := h.phone(&callfloor.Extension{ID: 99, AccountID: 1, Number: "carrier"}, false)
	ft.set(nil, carrier.addr)
	a.register()
	a.speak()
	carrier.speak()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if err := h.b.Dial(ctx, 1, agentExt, "click-out", "01632960999"); err != nil {
		t.Fatal(err)
	}
	inv := <-a.invites
	if inv.From().Address.User != "01632960999" {
		t.Fatalf("the agent's phone shows %q, want the number dialled", inv.From().Address.User)
	}
	out := <-carrier.invites
	if out.Recipient.User != "901632960999" || out.From().Address.User != "+441632960555" {
		t.Fatalf("carrier got INVITE for %q from %q", out.Recipient.User, out.From().Address.User)
	}
	a.hears("carrier")
	carrier.hears("100")
	if e := h.waitEvent(Answered); e.CallID != "click-out" || e.From != 10 || e.To != 0 {
		t.Fatalf("answered %+v", e)
	}

	// Call first to a second outside number (the same test carrier),
	// then hand the first over to it.
	consult, err := h.b.Consult(ctx, 1, 10, "click-out", "01632960888")
	if err != nil {
		t.Fatal(err)
	}
	if second := <-carrier.invites; second.Recipient.User != "901632960888" {
		t.Fatalf("the consultation went to %q", second.Recipient.User)
	}
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if slices.ContainsFunc(h.eventsCopy(), func(e Event) bool { return e.Kind == Answered && e.CallID == consult }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the consultation was not answered: %q", h.eventKinds())
		}
	}
	if err := h.b.CompleteTransfer(ctx, 1, 10, consult); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, a.byes, "BYE to the agent's phone")

	carrier.hears("carrier") // the two outside calls now talk to each other
	// A campaign call presents the campaign's caller ID instead.
	if err := h.b.DialAs(ctx, 1, agentExt, "campaign-out", "01632960777", "+441632960444"); err != nil {
		t.Fatal(err)
	}
	<-a.invites
	if out := <-carrier.invites; out.From().Address.User != "+441632960444" {
		t.Fatalf("the campaign call presents %q", out.From().Address.User)
	}
	h.b.Close()
}
