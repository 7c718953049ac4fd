package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/clocktest"
	"github.com/callfloor/callfloor/password"
)

// startGuarded runs the real server on port 0 with the SIP settings of
// args (parsed as the command line is) and a fake clock.
func startGuarded(t *testing.T, args ...string) (*Main, *clocktest.Clock) {
	t.Helper()
	cfg, err := LoadConfig("serve", args, envMap(nil), false, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Data, cfg.HTTP, cfg.SIP = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
	clock := clocktest.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	m := NewMain(cfg, slog.New(slog.DiscardHandler))
	m.Hasher, m.Clock = password.New(password.Fast), clock
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, clock
}

// sipProbe sends SIP requests from one UDP socket on host.
type sipProbe struct {
	t    *testing.T
	conn net.PacketConn
	to   net.Addr
	n    atomic.Int64
}

func newProbe(t *testing.T, m *Main, host string) *sipProbe {
	t.Helper()
	conn, err := net.ListenPacket("udp", host+":0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	to, err := net.ResolveUDPAddr("udp", m.SIPAddr())
	if err != nil {
		t.Fatal(err)
	}
	return &sipProbe{t: t, conn: conn, to: to}
}

// send sends a request of method with extra headers and returns the
// answer, or nil when none comes within a second.
func (p *sipProbe) send(method, extra string) *sip.Response {
	p.t.Helper()
	n := p.n.Add(1)
	local := p.conn.LocalAddr().String()
	msg := fmt.Sprintf("%s sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;rport;branch=z9hG4bK-probe-%d-%d\r\n"+
		"From: <sip:probe@127.0.0.1>;tag=p%d\r\nTo: <sip:probe@127.0.0.1>\r\nCall-ID: probe-%d-%s\r\n"+
		"CSeq: %d %s\r\nMax-Forwards: 70\r\nContact: <sip:probe@%s>\r\n%sContent-Length: 0\r\n\r\n",
		method, p.to, local, n, time.Now().UnixNano(), n, n, local, n, method, local, extra)
	if _, err := p.conn.WriteTo([]byte(msg), p.to); err != nil {
		p.t.Fatal(err)
	}
	buf := make([]byte, 65535)
	p.conn.SetReadDeadline(time.Now().Add(time.Second))
	for {
		k, _, err := p.conn.ReadFrom(buf)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil
		}
		if err != nil {
			p.t.Fatal(err)
		}
		res, err := sip.ParseMessage(buf[:k])
		if err != nil {
			p.t.Fatalf("unparsable answer: %v", err)
		}
		if r, ok := res.(*sip.Response); ok && r.StatusCode >= 200 {
			return r
		}
	}
}

// register tries user's password: a REGISTER, then its answer to the
// challenge. It returns the last answer.
func (p *sipProbe) register(user, pass string) *sip.Response {
	p.t.Helper()
	res := p.send("REGISTER", "")
	if res == nil || res.StatusCode != sip.StatusUnauthorized {
		return res
	}
	chal, err := digest.ParseChallenge(res.GetHeader("WWW-Authenticate").Value())
	if err != nil {
		p.t.Fatal(err)
	}
	cred, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: "sip:" + p.to.String(), Username: user, Password: pass})
	if err != nil {
		p.t.Fatal(err)
	}
	return p.send("REGISTER", "Authorization: "+cred.String()+"\r\n")
}

func status(res *sip.Response) int {
	if res == nil {
		return 0
	}
	return res.StatusCode
}

func wantSIP(t *testing.T, what string, res *sip.Response, code int) {
	t.Helper()
	if status(res) != code {
		t.Fatalf("%s: answer %v, want %d", what, res, code)
	}
}

// The rate, burst, failure count and ban time set on the command line
// are the registrar's; the allow list's addresses escape them.
func TestSIPLimitsFromSettings(t *testing.T) {
	m, clock := startGuarded(t, "--sip-rate", "2", "--sip-burst", "3", "--sip-ban-failures", "2",
		"--sip-ban-time", "2m", "--sip-allow", "127.0.0.2/32, 10.0.0.0/8")
	p := newProbe(t, m, "127.0.0.1")
	for i := range 3 {
		wantSIP(t, fmt.Sprintf("OPTIONS %d of the burst", i), p.send("OPTIONS", ""), sip.StatusOK)
	}
	wantSIP(t, "OPTIONS over the burst", p.send("OPTIONS", ""), 0)
	clock.Advance(500 * time.Millisecond) // one token at 2 a second
	wantSIP(t, "OPTIONS after half a second", p.send("OPTIONS", ""), sip.StatusOK)
	wantSIP(t, "the next", p.send("OPTIONS", ""), 0)

	// Two failures ban for two minutes.
	for i := range 2 {
		clock.Advance(time.Second)
		wantSIP(t, fmt.Sprintf("wrong password %d", i), p.register("nobody", "guess"), sip.StatusUnauthorized)
	}
	clock.Advance(2 * time.Second)
	wantSIP(t, "banned", p.send("OPTIONS", ""), sip.StatusForbidden)
	clock.Advance(2*time.Minute - time.Second)
	wantSIP(t, "at the end of the ban", p.send("OPTIONS", ""), sip.StatusOK)

	allowed := newProbe(t, m, "127.0.0.2")
	for i := range 10 {
		wantSIP(t, fmt.Sprintf("allowed OPTIONS %d", i), allowed.send("OPTIONS", ""), sip.StatusOK)
	}
	for i := range 4 {
		wantSIP(t, fmt.Sprintf("allowed wrong password %d", i), allowed.register("nobody", "guess"), sip.StatusUnauthorized)
	}
	wantSIP(t, "allowed after failures", allowed.send("OPTIONS", ""), sip.StatusOK)
}

// A trunk's carrier is authenticated by its address: it is never
// rate-limited nor banned, from the moment the trunks are reloaded.
func TestTrunkAddressNeverBanned(t *testing.T) {
	m, clock := startGuarded(t, "--sip-burst", "3", "--sip-ban-failures", "2")
	ctx := context.Background()
	acc := &callfloor.Account{Name: "acme", TimeZone: "UTC"}
	if err := m.Store.CreateAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	tr := callfloor.NewTrunk("Carrier", "127.0.0.3:5060")
	tr.Auth, tr.AllowedSources = callfloor.TrunkIP, []string{"127.0.0.3"}
	if err := m.Store.CreateTrunk(callfloor.SystemContext(ctx, acc.ID), tr); err != nil {
		t.Fatal(err)
	}
	if err := m.Trunks.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	carrier := newProbe(t, m, "127.0.0.3")
	for i := range 10 {
		wantSIP(t, fmt.Sprintf("carrier OPTIONS %d", i), carrier.send("OPTIONS", ""), sip.StatusOK)
	}
	for i := range 4 {
		wantSIP(t, fmt.Sprintf("carrier wrong password %d", i), carrier.register("nobody", "guess"), sip.StatusUnauthorized)
	}
	wantSIP(t, "carrier after failures", carrier.send("OPTIONS", ""), sip.StatusOK)

	// Any other address is banned as usual.
	other := newProbe(t, m, "127.0.0.4")
	for i := range 2 {
		clock.Advance(time.Second)
		wantSIP(t, fmt.Sprintf("other wrong password %d", i), other.register("nobody", "guess"), sip.StatusUnauthorized)
	}
	clock.Advance(time.Second)
	wantSIP(t, "other address banned", other.send("OPTIONS", ""), sip.StatusForbidden)
}
