package telephony

import (
	"context"
	"net/netip"
	"testing"

	"github.com/emiago/sipgo/sip"

	"github.com/callfloor/callfloor"
)

func TestTrunkRoutes(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	sctx := callfloor.SystemContext(ctx, r.acc)
	st := r.st
	tr := callfloor.NewTrunk("carrier", "127.0.0.1:5099")
	tr.Auth, tr.AllowedSources, tr.DefaultCallerID = callfloor.TrunkIP, []string{"127.0.0.1"}, "+441632960000"
	tr.Prefix = "9"
	if err := st.CreateTrunk(sctx, tr); err != nil {
		t.Fatal(err)
	}
	did := &callfloor.InboundNumber{Number: "+441632960100", Destination: callfloor.Destination{Kind: callfloor.DestinationExtension, ID: r.bob.ID}, Enabled: true}
	if err := st.CreateInboundNumber(sctx, did); err != nil {
		t.Fatal(err)
	}
	pool := &callfloor.CallerIDPool{Name: "uk", Numbers: []string{"+441632960001", "+441632960002", "+441632960003"}}
	if err := st.CreateCallerIDPool(sctx, pool); err != nil {
		t.Fatal(err)
	}
	trunks := &Trunks{Directory: st, Rand: func(n int) int { return n - 1 }}

	// No pool: the trunk's default caller ID.
	route, err := trunks.Outbound(ctx, r.alice, "01632960999")
	if err != nil {
		t.Fatal(err)
	}
	if route.Target.User != "901632960999" || route.Target.Host != "127.0.0.1" || route.Target.Port != 5099 ||
		route.Dest != "127.0.0.1:5099" || route.CallerID != "+441632960000" || route.TrunkID != tr.ID {
		t.Fatalf("route %+v", route)
	}
	// A pool without randomise: its first number; with it: the one the
	// random source picks.
	alice := *r.alice
	alice.Agent.CallerIDPoolID = &pool.ID
	if route, err = trunks.Outbound(ctx, &alice, "01632960999"); err != nil || route.CallerID != "+441632960001" {
		t.Fatalf("pool caller ID %+v %v", route, err)
	}
	alice.Agent.RandomiseCallerID = true
	if route, err = trunks.Outbound(ctx, &alice, "01632960999"); err != nil || route.CallerID != "+441632960003" {
		t.Fatalf("random caller ID %+v %v", route, err)
	}

	// Inbound: the number rings Bob when it comes from the carrier.
	invite := func(number string) *sip.Request {
		req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: number, Host: "127.0.0.1"})
		req.AppendHeader(&sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "+447700900123", Host: "127.0.0.1"}})
		return req
	}
	in, err := trunks.Inbound(ctx, invite("441632960100"), netip.MustParseAddr("127.0.0.1"))
	if err != nil || in == nil || in.Callee == nil || in.Callee.ID != r.bob.ID || in.AccountID != r.acc || in.From != "+447700900123" {
		t.Fatalf("inbound %+v %v", in, err)
	}
	if in, err := trunks.Inbound(ctx, invite("441632960100"), netip.MustParseAddr("127.0.0.2")); err != nil || in != nil {
		t.Fatalf("from an address no trunk admits: %+v %v", in, err)
	}
	// A number that is no DID, from an address the IP trunk admits, may
	// be a phone on the same host: it is left to digest authentication.
	if in, err := trunks.Inbound(ctx, invite("201"), netip.MustParseAddr("127.0.0.1")); err != nil || in != nil {
		t.Fatalf("an extension's number from the trunk's address: %+v %v", in, err)
	}

	// A source that names a port admits that port only.
	if _, err := st.UpdateTrunk(sctx, tr.ID, func(t *callfloor.Trunk) error {
		t.AllowedSources = []string{"127.0.0.1:5099"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	from := func(number, source string) *sip.Request {
		req := invite(number)
		req.SetSource(source)
		return req
	}
	in, err = trunks.Inbound(ctx, from("441632960100", "127.0.0.1:5099"), netip.MustParseAddr("127.0.0.1"))
	if err != nil || in == nil || in.TrunkID != tr.ID {
		t.Fatalf("from the trunk's address and port: %+v %v", in, err)
	}
	if in, err := trunks.Inbound(ctx, from("441632960100", "127.0.0.1:5098"), netip.MustParseAddr("127.0.0.1")); err != nil || in != nil {
		t.Fatalf("from another port of the trunk's address: %+v %v", in, err)
	}

	// Without an enabled trunk there is no way out.
	if _, err := st.UpdateTrunk(sctx, tr.ID, func(t *callfloor.Trunk) error { t.Enabled = false; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := trunks.Outbound(ctx, r.alice, "01632960999"); callfloor.ErrorCode(err) != callfloor.ErrNotFound {
		t.Fatalf("no trunk: %v", err)
	}
}
