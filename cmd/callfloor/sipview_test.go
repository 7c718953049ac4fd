package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/callfloor/callfloor"
)

// offer is the SDP of the probe's INVITEs: PCMU on a port nobody reads.
const offer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
	"m=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"

// invite sends an INVITE for number from the probe, answering a
// challenge with user's password when user is set, and returns the
// final answer (ACKed), or nil when none comes within two seconds.
func (p *sipProbe) invite(number, user, pass string) *sip.Response {
	p.t.Helper()
	return p.authenticated("INVITE", "sip:"+number+"@"+p.to.String(), number, user, pass)
}

// registerAs registers user's address of record with its password.
func (p *sipProbe) registerAs(user, pass string) *sip.Response {
	p.t.Helper()
	return p.authenticated("REGISTER", "sip:"+p.to.String(), user, user, pass)
}

// authenticated sends a request, then again with the answer to its
// challenge when user is set.
func (p *sipProbe) authenticated(method, ruri, toUser, user, pass string) *sip.Response {
	p.t.Helper()
	res := p.exchange(method, ruri, toUser, "")
	if user == "" || status(res) != sip.StatusUnauthorized {
		return res
	}
	chal, err := digest.ParseChallenge(res.GetHeader("WWW-Authenticate").Value())
	if err != nil {
		p.t.Fatal(err)
	}
	cred, err := digest.Digest(chal, digest.Options{Method: method, URI: ruri, Username: user, Password: pass})
	if err != nil {
		p.t.Fatal(err)
	}
	return p.exchange(method, ruri, toUser, "Authorization: "+cred.String()+"\r\n")
}

// exchange sends one request and waits for its final answer, which it
// acknowledges for an INVITE; other messages (retransmissions of earlier
// answers, requests to a phone) are skipped.
func (p *sipProbe) exchange(method, ruri, toUser, extra string) *sip.Response {
	p.t.Helper()
	n := p.n.Add(1)
	local := p.conn.LocalAddr().String()
	via := fmt.Sprintf("Via: SIP/2.0/UDP %s;rport;branch=z9hG4bK-x-%d-%d\r\n", local, n, time.Now().UnixNano())
	callID := fmt.Sprintf("x-%d-%d", n, time.Now().UnixNano())
	from := fmt.Sprintf("From: <sip:%s@127.0.0.1>;tag=x%d\r\n", toUser, n)
	body := ""
	if method == "INVITE" {
		body = offer
		extra += "Content-Type: application/sdp\r\n"
	}
	msg := method + " " + ruri + " SIP/2.0\r\n" + via + from +
		fmt.Sprintf("To: <sip:%s@%s>\r\nCall-ID: %s\r\nCSeq: 1 %s\r\nMax-Forwards: 70\r\n", toUser, p.to, callID, method) +
		"Contact: <sip:" + toUser + "@" + local + ">\r\n" + extra +
		fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body)
	if _, err := p.conn.WriteTo([]byte(msg), p.to); err != nil {
		p.t.Fatal(err)
	}
	buf := make([]byte, 65535)
	deadline := time.Now().Add(2 * time.Second)
	for {
		p.conn.SetReadDeadline(deadline)
		k, _, err := p.conn.ReadFrom(buf)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil
		}
		if err != nil {
			p.t.Fatal(err)
		}
		m, err := sip.ParseMessage(buf[:k])
		if err != nil {
			p.t.Fatalf("unparsable message: %v", err)
		}
		res, ok := m.(*sip.Response)
		if !ok || res.StatusCode < 200 || res.CallID() == nil || res.CallID().Value() != callID {
			continue
		}
		if method == "INVITE" {
			ack := "ACK " + ruri + " SIP/2.0\r\n" + via + from + "To: " + res.To().Value() + "\r\n" +
				fmt.Sprintf("Call-ID: %s\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n", callID)
			if _, err := p.conn.WriteTo([]byte(ack), p.to); err != nil {
				p.t.Fatal(err)
			}
		}
		return res
	}
}

// A change made through the store is seen by the very next REGISTER or
// INVITE: a new SIP password, a deleted extension, a disabled trunk and
// a trunk's changed source. The server answers from its in-memory view
// (sipview), which the store refreshes before the change returns.
func TestSIPSeesStoreChangesAtOnce(t *testing.T) {
	m, _ := startGuarded(t, "--sip-ban-failures", "100")
	ctx := context.Background()
	acc := &callfloor.Account{Name: "acme", TimeZone: "UTC"}
	if err := m.Store.CreateAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	actx := callfloor.SystemContext(ctx, acc.ID)
	exts := map[string]*callfloor.Extension{}
	for _, n := range []string{"201", "202", "203"} {
		e := &callfloor.Extension{Number: n, SIPUsername: callfloor.NewSIPUsername(n), Agent: callfloor.DefaultAgentSettings()}
		e.SetSIPSecret(m.Config.SIPRealm, "first-secret-"+n)
		if err := m.Store.CreateExtension(actx, e); err != nil {
			t.Fatal(err)
		}
		exts[n] = e
	}
	user := exts["201"].SIPUsername

	// The password.
	phone := newProbe(t, m, "127.0.0.1")
	wantSIP(t, "REGISTER with the first secret", phone.registerAs(user, "first-secret-201"), sip.StatusOK)
	if _, err := m.Store.UpdateExtension(actx, exts["201"].ID, func(e *callfloor.Extension) error {
		e.SetSIPSecret(m.Config.SIPRealm, "second-secret")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	wantSIP(t, "REGISTER with the old secret", phone.registerAs(user, "first-secret-201"), sip.StatusUnauthorized)
	wantSIP(t, "REGISTER with the new secret", phone.registerAs(user, "second-secret"), sip.StatusOK)

	// The extension.
	caller := newProbe(t, m, "127.0.0.1")
	wantSIP(t, "INVITE to 202, not registered", caller.invite("202", user, "second-secret"), sip.StatusTemporarilyUnavailable)
	if err := m.Store.DeleteExtension(actx, exts["202"].ID); err != nil {
		t.Fatal(err)
	}
	wantSIP(t, "INVITE to 202, deleted", caller.invite("202", user, "second-secret"), sip.StatusNotFound)
	wantSIP(t, "INVITE from 201 with its old secret", caller.invite("203", user, "first-secret-201"), sip.StatusUnauthorized)

	// The trunk: its carrier calls 203 (not registered: 480) without
	// authenticating; disabled, or from a source it no longer admits,
	// the call is a phone's and is challenged.
	tr := callfloor.NewTrunk("Carrier", "127.0.0.3:5060")
	tr.Auth, tr.AllowedSources = callfloor.TrunkIP, []string{"127.0.0.3"}
	if err := m.Store.CreateTrunk(actx, tr); err != nil {
		t.Fatal(err)
	}
	did := &callfloor.InboundNumber{Number: "442079460123", Enabled: true,
		Destination: callfloor.Destination{Kind: callfloor.DestinationExtension, ID: exts["203"].ID}}
	if err := m.Store.CreateInboundNumber(actx, did); err != nil {
		t.Fatal(err)
	}
	carrier := newProbe(t, m, "127.0.0.3")
	wantSIP(t, "the carrier's call", carrier.invite("442079460123", "", ""), sip.StatusTemporarilyUnavailable)
	setTrunk := func(fn func(*callfloor.Trunk)) {
		t.Helper()
		if _, err := m.Store.UpdateTrunk(actx, tr.ID, func(t *callfloor.Trunk) error { fn(t); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	setTrunk(func(t *callfloor.Trunk) { t.Enabled = false })
	wantSIP(t, "the carrier's call on a disabled trunk", carrier.invite("442079460123", "", ""), sip.StatusUnauthorized)
	setTrunk(func(t *callfloor.Trunk) { t.Enabled, t.AllowedSources = true, []string{"127.0.0.5"} })
	wantSIP(t, "the carrier's call from a source no longer admitted", carrier.invite("442079460123", "", ""), sip.StatusUnauthorized)
	moved := newProbe(t, m, "127.0.0.5")
	wantSIP(t, "the carrier's call from its new source", moved.invite("442079460123", "", ""), sip.StatusTemporarilyUnavailable)
	if _, err := m.Store.UpdateInboundNumber(actx, did.ID, func(n *callfloor.InboundNumber) error {
		n.Enabled = false
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// A number that is no (enabled) DID from an ip trunk's address is a
	// phone's call, which must authenticate.
	wantSIP(t, "a call to a disabled inbound number", moved.invite("442079460123", "", ""), sip.StatusUnauthorized)
}
