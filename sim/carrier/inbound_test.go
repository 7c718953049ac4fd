package carrier

import (
	"context"
	"regexp"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/callfloor/callfloor/clocktest"
	"github.com/callfloor/callfloor/sip/sdp"
)

// answerWith makes the peer answer the carrier's n-th INVITE (from 1)
// with status(n): 200 answers with the peer's RTP socket, 180 rings
// until canceled.
func (p *peer) answerWith(status func(n int) int) {
	var n atomic.Int32
	p.mu.Lock()
	defer p.mu.Unlock()
	p.onInvite = func(req *sip.Request, tx sip.ServerTransaction) {
		code := status(int(n.Add(1)))
		d, err := p.dsc.ReadInvite(req, tx)
		if err != nil {
			p.t.Errorf("ReadInvite: %v", err)
			return
		}
		switch code {
		case sip.StatusOK:
			offer, err := sdp.Parse(req.Body())
			if err != nil {
				_ = d.Respond(sip.StatusBadRequest, "Bad SDP", nil)
				return
			}
			ans, neg, err := sdp.Answer(offer, p.local())
			if err != nil {
				_ = d.Respond(sip.StatusNotAcceptableHere, "Not Acceptable Here", nil)
				return
			}
			p.setNegotiated(neg)
			_ = d.RespondSDP(ans.Marshal())
		case sip.StatusRinging:
			_ = d.Respond(sip.StatusRinging, "Ringing", nil)
			<-tx.Done()
		default:
			_ = d.Respond(code, "Refused", nil)
		}
	}
}

// advanceUntil moves the clock on a second at a time until cond holds.
func advanceUntil(t *testing.T, clk *clocktest.Clock, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		clk.Advance(time.Second)
		time.Sleep(5 * time.Millisecond)
	}
}

var dramaRe = regexp.MustCompile(`^\+441632960[0-9]{3}$`)

// TestInboundCalls: at 60 calls a minute the carrier calls the DID at
// the PBX, from its own SIP socket with no credentials, from a drama
// number, offering G.711 and telephone-event; speaks once answered and
// hangs up after the duration; counts busy and refused calls.
func TestInboundCalls(t *testing.T) {
	p := newPeer(t)
	p.answerWith(func(n int) int {
		switch n {
		case 1:
			return sip.StatusBusyHere
		case 2:
			return sip.StatusNotFound
		}
		return sip.StatusOK
	})
	c, clk := start(t, func(cfg *Config) {
		cfg.PBX = p.addr
		cfg.Inbound = Inbound{DIDs: []string{"441632960100", "441632960101"}, PerMinute: 60,
			Duration: Range{5 * time.Minute, 5 * time.Minute}, MaxCalls: 1}
	})
	advanceUntil(t, clk, "an answered call", func() bool { return c.Stats().InboundAnswered == 1 })
	for i := range 3 {
		inv := waitRequest(t, p.invites, "INVITE "+strconv.Itoa(i+1))
		if u := inv.Recipient; (u.User != "441632960100" && u.User != "441632960101") || u.Host != "127.0.0.1" || u.Port != p.port {
			t.Errorf("Request-URI %s", u.String())
		}
		if from := inv.From().Address.User; !dramaRe.MatchString(from) {
			t.Errorf("From %q, want a drama number", from)
		}
		if src := inv.Source(); src != c.Addr().String() {
			t.Errorf("INVITE from %s, want the carrier's SIP socket %s", src, c.Addr())
		}
		if inv.GetHeader("Authorization") != nil {
			t.Error("INVITE with credentials")
		}
		offer, err := sdp.Parse(inv.Body())
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range offer.Audio().Formats {
			names = append(names, f.Name)
		}
		if got := fmtList(names); got != "PCMU PCMA telephone-event" {
			t.Errorf("offer %s", got)
		}
	}
	checkSpeechLike(t, p.listen(75))
	p.sendDigits("7")
	eventually(t, "the digit", func() bool { return c.Stats().LastDigits == "7" })
	s := c.Stats()
	if s.InboundPlaced != 3 || s.InboundBusy != 1 || s.InboundFailed != 1 || s.InboundFailures[404] != 1 || s.Active != 1 {
		t.Errorf("stats %+v", s)
	}
	// More arrivals while the call is up are skipped (MaxCalls 1);
	// after its duration the carrier hangs up.
	advanceUntil(t, clk, "an arrival skipped at MaxCalls", func() bool { return c.Stats().InboundSkipped > 0 })
	if s := c.Stats(); s.InboundPlaced != 3 {
		t.Errorf("stats %+v", s)
	}
	clk.Advance(5 * time.Minute)
	waitRequest(t, p.byes, "BYE from the carrier")
}

func fmtList(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += " "
		}
		out += v
	}
	return out
}

// TestInboundAbandoned: a call nobody answers is canceled after the
// caller's patience.
func TestInboundAbandoned(t *testing.T) {
	p := newPeer(t)
	p.answerWith(func(int) int { return sip.StatusRinging })
	c, clk := start(t, func(cfg *Config) {
		cfg.PBX = p.addr
		cfg.Inbound = Inbound{DIDs: []string{"441632960100"}, PerMinute: 60, Patience: 5 * time.Minute, MaxCalls: 1}
	})
	advanceUntil(t, clk, "a call", func() bool { return len(p.invites) > 0 })
	rang := clk.Now()
	clk.Advance(4 * time.Minute) // the INVITE left less than a minute ago
	time.Sleep(50 * time.Millisecond)
	if s := c.Stats(); s.InboundAbandoned != 0 {
		t.Fatalf("gave up early: %+v", s)
	}
	advanceUntil(t, clk, "the caller to give up", func() bool { return c.Stats().InboundAbandoned == 1 })
	if waited := clk.Now().Sub(rang); waited > 5*time.Minute+10*time.Second {
		t.Errorf("gave up after %v, want 5 min", waited)
	}
}

// TestInboundToRegistration: once callfloor registers, inbound calls go
// to its Contact, whose parameters name the trunk.
func TestInboundToRegistration(t *testing.T) {
	p := newPeer(t)
	p.answerWith(func(int) int { return sip.StatusOK })
	c, clk := start(t, func(cfg *Config) {
		cfg.Inbound = Inbound{DIDs: []string{"441632960100"}, PerMinute: 60, MaxCalls: 1}
	})
	reg := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: int(c.Addr().Port())})
	aor := sip.Uri{Scheme: "sip", User: "demo", Host: "127.0.0.1"}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	reg.AppendHeader(from)
	reg.AppendHeader(&sip.ToHeader{Address: aor})
	reg.AppendHeader(sip.NewHeader("Contact", "<sip:demo@127.0.0.1:"+strconv.Itoa(p.port)+";cftrunk=7>"))
	reg.AppendHeader(sip.NewHeader("Expires", "600"))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	res, err := p.cli.Do(ctx, reg)
	if err != nil || res.StatusCode != sip.StatusOK {
		t.Fatalf("REGISTER: %v %v", res, err)
	}
	if h := res.GetHeader("Expires"); h == nil || h.Value() != "600" {
		t.Errorf("Expires %v", h)
	}
	advanceUntil(t, clk, "a call", func() bool { return len(p.invites) > 0 })
	inv := <-p.invites
	if u := inv.Recipient; u.User != "441632960100" || u.Port != p.port {
		t.Errorf("Request-URI %s", u.String())
	} else if v, _ := u.UriParams.Get("cftrunk"); v != "7" {
		t.Errorf("Request-URI %s does not name the trunk", u.String())
	}
}

// TestPlace: a call placed on demand goes out at once (no schedule), to
// the DID asked for, from the number given, and stays its stay.
func TestPlace(t *testing.T) {
	p := newPeer(t)
	p.answerWith(func(int) int { return sip.StatusOK })
	c, clk := start(t, func(cfg *Config) {
		cfg.PBX = p.addr
		cfg.Inbound = Inbound{MaxCalls: 1}
	})
	if err := c.Place("441632960601", "+441632960042", 3*time.Minute); err != nil {
		t.Fatal(err)
	}
	inv := waitRequest(t, p.invites, "the placed INVITE")
	if u, from := inv.Recipient.User, inv.From().Address.User; u != "441632960601" || from != "+441632960042" {
		t.Errorf("INVITE to %s from %s", u, from)
	}
	eventually(t, "the answer", func() bool { return c.Stats().InboundAnswered == 1 })
	if err := c.Place("441632960601", "", 0); err != ErrNotPlaced {
		t.Errorf("a second call past MaxCalls: %v, want ErrNotPlaced", err)
	}
	clk.Advance(3 * time.Minute)
	waitRequest(t, p.byes, "BYE after the stay")
}
