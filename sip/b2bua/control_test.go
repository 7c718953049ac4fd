package b2bua

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/sip/sdp"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// trio is three registered phones (100, 200, 300 of extensions 10, 20,
// 30), each speaking its tone, and a call from 100 to 200, on a harness
// made with mods.
type trio struct {
	h       *harness
	a, b, c *phone
	dlg     *sipgo.DialogClientSession // 100's dialog
	id      string                     // the call's ID
}

func newTrio(t *testing.T, mods ...func(*Config)) *trio {
	h := newHarness(t, mods...)
	tr := &trio{h: h,
		a: h.phone(h.addExt(1, 10, "100"), false),
		b: h.phone(h.addExt(1, 20, "200"), false),
		c: h.phone(h.addExt(1, 30, "300"), false)}
	for _, p := range []*phone{tr.a, tr.b, tr.c} {
		p.register()
		p.speak()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tr.dlg = tr.a.answered(ctx, t, "200", nil)
	tr.id = tr.dlg.InviteRequest.CallID().Value()
	<-tr.b.invites
	tr.a.hears("200")
	tr.b.hears("100")
	return tr
}

// steps lists the events other than ringing and answered, as kind:ext.
func (h *harness) steps() string {
	var out []string
	for _, e := range h.eventsCopy() {
		switch e.Kind {
		case Held:
			s := "held"
			if !e.Held {
				s = "resumed"
			}
			out = append(out, s+":"+itoa(e.Ext))
		case Left, Joined:
			out = append(out, e.Kind.String()+":"+itoa(e.Ext))
		case Ended:
			out = append(out, "ended:"+e.CallID[:min(3, len(e.CallID))])
		}
	}
	return strings.Join(out, ",")
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

func (h *harness) waitSteps(want string) {
	h.t.Helper()
	for deadline := time.Now().Add(3 * time.Second); h.steps() != want; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			h.t.Fatalf("steps %q, want %q", h.steps(), want)
		}
	}
}

func TestHoldPlaysMusicAndResumes(t *testing.T) {
	tr := newTrio(t)
	ctx := context.Background()
	if err := tr.h.b.Hold(ctx, 1, 20, tr.id, true); err != nil {
		t.Fatal(err)
	}
	tr.a.hearsMusic()
	tr.b.hearsNothing()
	if err := tr.h.b.Hold(ctx, 1, 20, tr.id, false); err != nil {
		t.Fatal(err)
	}
	tr.a.hears("200")
	tr.b.hears("100")
	tr.h.waitSteps("held:20,resumed:20")

	// Mute: 100 no longer hears 200, who still hears 100.
	if err := tr.h.b.Mute(ctx, 1, 20, tr.id, true); err != nil {
		t.Fatal(err)
	}
	tr.a.hears()
	tr.b.hears("100")
	if err := tr.h.b.Mute(ctx, 1, 20, tr.id, false); err != nil {
		t.Fatal(err)
	}
	tr.a.hears("200")

	// Controls on someone else's call, or a call that is not there.
	if err := tr.h.b.Hold(ctx, 1, 30, tr.id, true); callfloor.ErrorCode(err) != callfloor.ErrUnknownCall {
		t.Fatalf("hold by a stranger: %v", err)
	}
	if err := tr.h.b.Hold(ctx, 2, 20, tr.id, true); callfloor.ErrorCode(err) != callfloor.ErrUnknownCall {
		t.Fatalf("hold from another account: %v", err)
	}
	if !tr.h.b.OnCall(1, 20) || tr.h.b.OnCall(1, 30) || tr.h.b.OnCall(2, 20) {
		t.Fatal("OnCall does not tell 200 (on the call) from 300 (not) or another account")
	}
	if err := tr.h.b.Hangup(ctx, 1, 20, tr.id); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, tr.a.byes, "BYE to 100")
	waitSignal(t, tr.b.byes, "BYE to 200")
	for deadline := time.Now().Add(3 * time.Second); tr.h.b.OnCall(1, 20); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("200 still on a call after the hangup")
		}
	}
}

func TestPhoneHoldsWithReinvite(t *testing.T) {
	tr := newTrio(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	reinvite := func(dir sdp.Direction) {
		l := tr.a.local()
		l.Direction, l.Version = dir, l.Version+1
		req := sip.NewRequest(sip.INVITE, tr.dlg.InviteResponse.Contact().Address)
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		req.SetBody(sdp.Offer(l).Marshal())
		res, err := tr.dlg.Do(ctx, req)
		if err != nil || res.StatusCode != sip.StatusOK {
			t.Fatalf("re-INVITE: %v %v", res, err)
		}
		ans, err := sdp.Parse(res.Body())
		if err != nil {
			t.Fatal(err)
		}
		if want := dir.Reverse(); ans.Audio().Direction != want {
			t.Fatalf("answer direction %s, want %s", ans.Audio().Direction, want)
		}
		if err := tr.dlg.WriteAck(ctx, sip.NewRequest(sip.ACK, req.Recipient)); err != nil {
			t.Fatal(err)
		}
	}
	reinvite(sdp.SendOnly)
	tr.b.hearsMusic()
	reinvite(sdp.SendRecv)
	tr.b.hears("100")
	tr.a.hears("200")
	tr.h.waitSteps("held:10,resumed:10")
}

func TestBlindTransfer(t *testing.T) {
	tr := newTrio(t)
	if err := tr.h.b.Transfer(context.Background(), 1, 20, tr.id, "300"); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, tr.b.byes, "BYE to the transferring phone")
	inv := <-tr.c.invites
	if inv.From().Address.User != "100" {
		t.Fatalf("the target sees %q calling, want 100", inv.From().Address.User)
	}
	tr.a.hears("300")
	tr.c.hears("100")
	tr.h.waitSteps("left:20,joined:30")
	if err := tr.dlg.Bye(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, tr.c.byes, "BYE to the target")
	tr.h.waitSteps("left:20,joined:30,ended:" + tr.id[:3])
	if ps := tr.h.eventsCopy(); len(ps[len(ps)-1].Parties) != 1 || ps[len(ps)-1].Parties[0] != 30 {
		// 10 is extension 100 too, but the parties of the end are the
		// extensions on the call: 100 and 300.
		if got := ps[len(ps)-1].Parties; len(got) != 2 || got[0] != 10 || got[1] != 30 {
			t.Fatalf("parties at the end %v, want [10 30]", got)
		}
	}

	// A transfer to an unknown number is refused before anything moves.
	tr2 := newTrio(t)
	if err := tr2.h.b.Transfer(context.Background(), 1, 20, tr2.id, "999"); callfloor.ErrorCode(err) != callfloor.ErrNotFound {
		t.Fatalf("transfer to 999: %v", err)
	}
	tr2.a.hears("200")
}

func TestAttendedTransfer(t *testing.T) {
	tr := newTrio(t)
	ctx := context.Background()
	consult, err := tr.h.b.Consult(ctx, 1, 20, tr.id, "300")
	if err != nil {
		t.Fatal(err)
	}
	<-tr.c.invites
	tr.a.hearsMusic() // the customer waits on hold
	tr.b.hears("300")
	tr.c.hears("200")

	// Cancel: hang the consultation up; the customer stays on hold until
	// resumed, and never dropped.
	if err := tr.h.b.Hangup(ctx, 1, 20, consult); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, tr.c.byes, "BYE to the consulted target")
	tr.a.hearsMusic()
	if err := tr.h.b.Hold(ctx, 1, 20, tr.id, false); err != nil {
		t.Fatal(err)
	}
	tr.a.hears("200")

	// Call first again, then confirm.
	consult, err = tr.h.b.Consult(ctx, 1, 20, tr.id, "300")
	if err != nil {
		t.Fatal(err)
	}
	<-tr.c.invites
	tr.b.hears("300")
	if err := tr.h.b.CompleteTransfer(ctx, 1, 20, tr.id); callfloor.ErrorCode(err) != callfloor.ErrCallState {
		t.Fatalf("complete on the original call: %v", err)
	}
	if err := tr.h.b.CompleteTransfer(ctx, 1, 20, consult); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, tr.b.byes, "BYE to the transferring phone")
	tr.a.hears("300")
	tr.c.hears("100")
	if !strings.HasSuffix(tr.h.steps(), "left:20,joined:30") {
		t.Fatalf("steps %q", tr.h.steps())
	}
}

func TestConferenceEachHearsTheOthers(t *testing.T) {
	tr := newTrio(t)
	ctx := context.Background()
	consult, err := tr.h.b.Consult(ctx, 1, 20, tr.id, "300")
	if err != nil {
		t.Fatal(err)
	}
	<-tr.c.invites
	tr.b.hears("300")
	if err := tr.h.b.Conference(ctx, 1, 20, []string{tr.id, consult}); err != nil {
		t.Fatal(err)
	}
	tr.a.hears("200", "300")
	tr.b.hears("100", "300")
	tr.c.hears("100", "200")
	if err := tr.h.b.Hold(ctx, 1, 20, tr.id, true); callfloor.ErrorCode(err) != callfloor.ErrCallState {
		t.Fatalf("hold in a conference: %v", err)
	}
	// 300 leaves: 100 and 200 go on as a plain call.
	if err := tr.c.session().Bye(ctx); err != nil {
		t.Fatal(err)
	}
	tr.a.hears("200")
	tr.b.hears("100")
}

func TestReferBlindTransferFromPhone(t *testing.T) {
	tr := newTrio(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s := tr.b.session()
	req := sip.NewRequest(sip.REFER, s.InviteRequest.Contact().Address)
	req.AppendHeader(sip.NewHeader("Refer-To", "<sip:300@127.0.0.1>"))
	req.SetDestination(tr.h.addr())
	res, err := s.Do(ctx, req)
	if err != nil || res.StatusCode != sip.StatusAccepted {
		t.Fatalf("REFER: %v %v", res, err)
	}
	<-tr.c.invites
	var frags []string
	for len(frags) < 2 {
		select {
		case f := <-tr.b.notifies:
			frags = append(frags, f)
		case <-ctx.Done():
			t.Fatalf("NOTIFYs %q", frags)
		}
	}
	if frags[0] != "SIP/2.0 100 Trying" || frags[1] != "SIP/2.0 200 OK" {
		t.Fatalf("NOTIFYs %q", frags)
	}
	tr.a.hears("300")
	tr.c.hears("100")
	tr.h.waitSteps("left:20,joined:30")
}

// TestReferReplacesFromPhone is an attended transfer done on the phone:
// 200, talking to 100, calls 300 itself, then REFERs 100 to 300 with
// Replaces naming its second call.
func TestReferReplacesFromPhone(t *testing.T) {
	tr := newTrio(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	first := tr.b.session()
	second := tr.b.answered(ctx, t, "300", nil)
	<-tr.c.invites
	tr.c.hears("200")
	replaces := second.InviteRequest.CallID().Value() +
		";to-tag=" + tagOf(second.InviteResponse.To().Params) + ";from-tag=" + tagOf(second.InviteRequest.From().Params)
	req := sip.NewRequest(sip.REFER, first.InviteRequest.Contact().Address)
	req.AppendHeader(sip.NewHeader("Refer-To", "<sip:300@127.0.0.1?Replaces="+url.QueryEscape(replaces)+">"))
	req.SetDestination(tr.h.addr())
	res, err := first.Do(ctx, req)
	if err != nil || res.StatusCode != sip.StatusAccepted {
		t.Fatalf("REFER: %v %v", res, err)
	}
	for _, want := range []string{"SIP/2.0 100 Trying", "SIP/2.0 200 OK"} {
		select {
		case f := <-tr.b.notifies:
			if f != want {
				t.Fatalf("NOTIFY %q, want %q", f, want)
			}
		case <-ctx.Done():
			t.Fatalf("no NOTIFY %q", want)
		}
	}
	tr.a.hears("300")
	tr.c.hears("100")
	if !strings.HasSuffix(tr.h.steps(), "left:20,joined:30") {
		t.Fatalf("steps %q", tr.h.steps())
	}
}

func tagOf(p sip.HeaderParams) string {
	v, _ := p.Get("tag")
	return v
}

func TestClickToDial(t *testing.T) {
	h := newHarness(t)
	agentExt := h.addExt(1, 10, "100")
	a := h.phone(agentExt, false)
	c := h.phone(h.addExt(1, 30, "300"), false)
	for _, p := range []*phone{a, c} {
		p.register()
		p.speak()
	}
	if err := h.b.Dial(context.Background(), 1, agentExt, "click-1", "300"); err != nil {
		t.Fatal(err)
	}
	inv := <-a.invites
	if ci := inv.GetHeader("Call-Info"); ci == nil || !strings.Contains(ci.Value(), "answer-after=0") {
		t.Fatalf("the agent's phone was not asked to answer at once: %v", ci)
	}
	if inv.From().Address.User != "300" {
		t.Fatalf("the agent's phone shows %q, want the number dialled", inv.From().Address.User)
	}
	<-c.invites
	a.hears("300")
	c.hears("100")
	h.waitEvents("ringing", "answered")
	if e := h.eventsCopy()[1]; e.CallID != "click-1" || len(e.Parties) != 2 {
		t.Fatalf("answered %+v", e)
	}
	if err := h.b.Dial(context.Background(), 1, agentExt, "click-1", "300"); callfloor.ErrorCode(err) != callfloor.ErrCallState {
		t.Fatalf("dialling with a call ID in use: %v", err)
	}
}

func TestLinesSwitchAndStayHeld(t *testing.T) {
	tr := newTrio(t)
	ctx := context.Background()
	b := &callfloor.Extension{ID: 20, AccountID: 1, Number: "200"}
	if err := tr.h.b.Dial(ctx, 1, b, "line-2", "300"); err != nil {
		t.Fatal(err)
	}
	<-tr.c.invites
	tr.a.hearsMusic() // the first line went on hold by itself
	tr.b.hears("300")
	tr.c.hears("200")

	// Switch back to the first line: the second goes on hold.
	if err := tr.h.b.Hold(ctx, 1, 20, tr.id, false); err != nil {
		t.Fatal(err)
	}
	tr.b.hears("100")
	tr.c.hearsMusic()

	// The first line ends: the second stays on hold until resumed.
	if err := tr.dlg.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	tr.c.hearsMusic()
	tr.b.hearsNothing()
	if err := tr.h.b.Hold(ctx, 1, 20, "line-2", false); err != nil {
		t.Fatal(err)
	}
	tr.b.hears("300")
	tr.c.hears("200")
}

// TestForkToEveryContact: an extension registered from two phones rings
// on both; the one that answers takes the call and the other is canceled.
func TestForkToEveryContact(t *testing.T) {
	h := newHarness(t)
	a := h.phone(h.addExt(1, 10, "100"), false)
	ext := h.addExt(1, 20, "200")
	desk := h.phone(ext, true) // rings, never answers
	mobile := h.phone(ext, false)
	a.register()
	desk.registerContact()
	mobile.registerContact()
	if n := len(h.reg.Contacts(1, 20)); n != 2 {
		t.Fatalf("%d contacts, want 2", n)
	}
	a.speak()
	mobile.speak()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a.answered(ctx, t, "200", nil)
	<-desk.invites
	<-mobile.invites
	waitSignal(t, desk.canceled, "CANCEL to the phone that did not answer")
	a.hears("200")
	mobile.hears("100")
}

// TestHangupClickToDialWhileThePhoneRings: an agent who hangs up a click
// to dial before their own phone answered cancels it; the number is never
// called.
func TestHangupClickToDialWhileThePhoneRings(t *testing.T) {
	h := newHarness(t)
	agentExt := h.addExt(1, 10, "100")
	a := h.phone(agentExt, true) // rings, never answers
	c := h.phone(h.addExt(1, 30, "300"), false)
	a.register()
	c.register()
	if err := h.b.Dial(context.Background(), 1, agentExt, "click-2", "300"); err != nil {
		t.Fatal(err)
	}
	<-a.invites
	if err := h.b.Hangup(context.Background(), 1, 10, "click-2"); err != nil {
		t.Fatalf("hang up while the agent's phone rings: %v", err)
	}
	h.waitEvents("ended:hangup")
	select {
	case inv := <-c.invites:
		t.Fatalf("the number was called after the hang up: %v", inv.StartLine())
	case <-time.After(300 * time.Millisecond):
	}
}
