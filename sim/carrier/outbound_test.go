package carrier

import (
	"context"
	"errors"
	"math"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/callfloor/callfloor/media/tone"
	"github.com/callfloor/callfloor/sip/sdp"
)

func TestOptionsAnswered(t *testing.T) {
	p := newPeer(t)
	c, _ := start(t)
	req := sip.NewRequest(sip.OPTIONS, sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: int(c.Addr().Port())})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	res, err := p.cli.Do(ctx, req)
	if err != nil || res.StatusCode != sip.StatusOK {
		t.Fatalf("OPTIONS: %v %v", res, err)
	}
	if h := res.GetHeader("Allow"); h == nil || !strings.Contains(h.Value(), "INVITE") {
		t.Errorf("Allow %v", h)
	}
}

// TestRefusedAtOnce: busy, unreachable and unknown numbers are refused
// without ringing.
func TestRefusedAtOnce(t *testing.T) {
	p := newPeer(t)
	c, _ := start(t)
	for _, tc := range []struct {
		number string
		status int
		want   Outcome
	}{
		{"01632960105", sip.StatusBusyHere, Busy},
		{"+441632960117", sip.StatusServiceUnavailable, Unreachable},
		{"nobody", sip.StatusNotFound, NotFound},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		rang := false
		_, status, err := p.invite(ctx, c, tc.number, func(res *sip.Response) { rang = rang || res.StatusCode == sip.StatusRinging })
		cancel()
		var dr *sipgo.ErrDialogResponse
		if !errors.As(err, &dr) || status != tc.status {
			t.Errorf("%s: status %d, %v; want %d", tc.number, status, err, tc.status)
		}
		if rang {
			t.Errorf("%s rang before %d", tc.number, tc.status)
		}
		if n := c.Stats().Outbound[tc.want]; n != 1 {
			t.Errorf("%s: Stats.Outbound[%v] = %d, want 1", tc.number, tc.want, n)
		}
	}
}

// TestAnsweredSpeaks: a person answers after ringing, speaks (speech,
// not a tone), counts what callfloor sends and its digits, and hangs up
// after the talk time.
func TestAnsweredSpeaks(t *testing.T) {
	p := newPeer(t) // before the carrier: its cleanup comes after the carrier's BYEs
	c, clk := start(t)
	d := p.answered(c, clk, "01632960104")
	if h := d.InviteResponse.GetHeader(AnsweredByHeader); h == nil || h.Value() != "human" {
		t.Errorf("%s: %v, want human", AnsweredByHeader, h)
	}
	checkSpeechLike(t, p.listen(100)) // 2 s
	p.sendAudio(20)
	p.sendDigits("42#")
	eventually(t, "the digits", func() bool { return c.Stats().LastDigits == "42#" })
	if s := c.Stats(); s.RTPReceived < 20 || s.RTPSent < 100 || s.Active != 1 || s.OutboundAnswered != 1 || s.Digits != 3 {
		t.Errorf("stats %+v", s)
	}
	clk.Advance(time.Minute) // the talk time
	waitRequest(t, p.byes, "BYE from the carrier")
	<-d.Context().Done()
	eventually(t, "the call to end", func() bool { return c.Stats().Active == 0 })
	if s := c.Stats(); s.Outbound[Answered] != 1 || s.OutboundHungUp != 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestByeFromCallfloor: callfloor hangs up; the carrier stops sending.
func TestByeFromCallfloor(t *testing.T) {
	p := newPeer(t) // before the carrier: its cleanup comes after the carrier's BYEs
	c, clk := start(t)
	d := p.answered(c, clk, "01632960109")
	p.listen(5)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := d.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the call to end", func() bool { s := c.Stats(); return s.Active == 0 && s.OutboundHungUp == 1 })
	time.Sleep(3 * ptime)
	p.drain()
	select {
	case <-p.got:
		t.Error("RTP after BYE")
	case <-time.After(5 * ptime):
	}
}

// TestReinviteHold: callfloor puts the carrier on hold and takes it off.
func TestReinviteHold(t *testing.T) {
	p := newPeer(t) // before the carrier: its cleanup comes after the carrier's BYEs
	c, clk := start(t)
	d := p.answered(c, clk, "01632960101")
	p.listen(3)
	reinvite := func(dir sdp.Direction) sdp.Direction {
		t.Helper()
		l := p.local()
		l.Direction, l.Version = dir, 2
		req := sip.NewRequest(sip.INVITE, d.InviteResponse.Contact().Address)
		req.SetBody(sdp.Offer(l).Marshal())
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		res, err := d.Do(ctx, req)
		if err != nil || res.StatusCode != sip.StatusOK {
			t.Fatalf("re-INVITE %s: %v %v", dir, res, err)
		}
		if err := d.WriteRequest(sip.NewRequest(sip.ACK, req.Recipient)); err != nil {
			t.Fatal(err)
		}
		ans, err := sdp.Parse(res.Body())
		if err != nil {
			t.Fatal(err)
		}
		return ans.Audio().Direction
	}
	if got := reinvite(sdp.SendOnly); got != sdp.RecvOnly {
		t.Fatalf("hold answered %q", got)
	}
	time.Sleep(3 * ptime)
	p.drain()
	select {
	case <-p.got:
		t.Error("RTP while on hold")
	case <-time.After(5 * ptime):
	}
	if got := reinvite(sdp.SendRecv); got != sdp.SendRecv {
		t.Fatalf("resume answered %q", got)
	}
	p.listen(3)
}

// TestNoAnswer rings until the no-answer time, then 480.
func TestNoAnswer(t *testing.T) {
	p := newPeer(t) // before the carrier: its cleanup comes after the carrier's BYEs
	c, clk := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var minute atomic.Bool
	_, status, _ := p.invite(ctx, c, "01632960106", func(res *sip.Response) {
		if res.StatusCode == sip.StatusRinging {
			clk.Advance(59 * time.Second)
			go func() {
				time.Sleep(50 * time.Millisecond) // still ringing
				minute.Store(true)
				clk.Advance(time.Second)
			}()
		}
	})
	if status != sip.StatusTemporarilyUnavailable || !minute.Load() {
		t.Fatalf("status %d (after a minute: %v), want 480 after a minute", status, minute.Load())
	}
}

// TestCancelNoAnswer: callfloor gives up on a ringing call: 487.
func TestCancelNoAnswer(t *testing.T) {
	p := newPeer(t)
	c, _ := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ring, ringCancel := context.WithCancel(ctx)
	_, status, err := p.invite(ring, c, "01632960116", func(res *sip.Response) {
		if res.StatusCode == sip.StatusRinging {
			ringCancel()
		}
	})
	if !errors.Is(err, context.Canceled) || status != sip.StatusRequestTerminated {
		t.Fatalf("status %d, %v; want 487 after CANCEL", status, err)
	}
	eventually(t, "the cancel counted", func() bool { return c.Stats().OutboundCanceled == 1 })
}

// TestMachine: the 200 OK says a machine answered; a greeting, a 1 kHz
// beep, silence, then BYE.
func TestMachine(t *testing.T) {
	p := newPeer(t)
	c, clk := start(t, func(cfg *Config) { cfg.Outbound.Greeting = 600 * time.Millisecond })
	d := p.answered(c, clk, "01632960108")
	if h := d.InviteResponse.GetHeader(AnsweredByHeader); h == nil || h.Value() != "machine" {
		t.Errorf("%s: %v, want machine", AnsweredByHeader, h)
	}
	pcm := p.listen(75) // 1.5 s: 0.6 greeting, 0.5 beep, 0.4 silence
	frames := frameRMS(pcm)
	beep := -1
	for i := range frames {
		f := pcm[i*tone.FrameSamples : (i+1)*tone.FrameSamples]
		if frames[i] > 1000 && tone.Level(f, 1000) > 0.9*frames[i]*math.Sqrt2 {
			beep = i
			break
		}
	}
	if beep < 20 || beep > 40 {
		t.Fatalf("the beep starts at frame %d, want after the 0.6 s greeting (levels %.0f)", beep, frames)
	}
	if r := rms(pcm[:beep*tone.FrameSamples]); r < 300 {
		t.Errorf("greeting RMS %.0f", r)
	}
	beepFrames := 0
	for i := beep; i < len(frames) && frames[i] > 1000; i++ {
		beepFrames++
	}
	if beepFrames < 23 || beepFrames > 26 {
		t.Errorf("beep of %d frames, want 25", beepFrames)
	}
	if r := rms(pcm[(beep+26)*tone.FrameSamples:]); r > 10 {
		t.Errorf("after the beep RMS %.0f, want silence", r)
	}
	clk.Advance(DefaultMachine)
	waitRequest(t, p.byes, "BYE from the machine")
	if s := c.Stats(); s.Outbound[Machine] != 1 || s.OutboundAnswered != 1 {
		t.Errorf("stats %+v", s)
	}
}

// TestBadOffer: an offer with no G.711 gets 488.
func TestBadOffer(t *testing.T) {
	p := newPeer(t)
	c, _ := start(t)
	to := sip.Uri{Scheme: "sip", User: "01632960100", Host: "127.0.0.1", Port: int(c.Addr().Port())}
	body := "v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 9\r\na=rtpmap:9 G722/8000\r\n"
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	d, err := p.dcc.Invite(ctx, to, []byte(body), sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		t.Fatal(err)
	}
	err = d.WaitAnswer(ctx, sipgo.AnswerOptions{})
	var dr *sipgo.ErrDialogResponse
	if !errors.As(err, &dr) || dr.Res.StatusCode != sip.StatusNotAcceptableHere {
		t.Fatalf("%v, want 488", err)
	}
}

// TestCloseHangsUp: closing the carrier hangs up its calls.
func TestCloseHangsUp(t *testing.T) {
	p := newPeer(t)
	c, clk := start(t)
	p.answered(c, clk, "01632960103")
	p.listen(2)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	waitRequest(t, p.byes, "BYE at Close")
	if s := c.Stats(); s.Active != 0 {
		t.Errorf("stats after Close %+v", s)
	}
	conn, err := net.ListenPacket("udp", c.Addr().String())
	if err != nil {
		t.Fatalf("the SIP socket is still open: %v", err)
	}
	conn.Close()
}

// TestOtherLoopbackAddress: the carrier can live on another loopback
// address than callfloor's phones (so that an IP trunk admitting it
// admits no phone); its SIP and RTP both come from there.
func TestOtherLoopbackAddress(t *testing.T) {
	probe, err := net.ListenPacket("udp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no 127.0.0.2 here: %v", err)
	}
	probe.Close()
	p := newPeer(t)
	c, clk := start(t, func(cfg *Config) {
		cfg.Listen, cfg.MediaIP = "127.0.0.2:0", netip.MustParseAddr("127.0.0.2")
	})
	if got := c.Addr().Addr().String(); got != "127.0.0.2" {
		t.Fatalf("Addr %s", c.Addr())
	}
	d := p.answered(c, clk, "01632960102")
	if ct := d.InviteResponse.Contact(); ct == nil || ct.Address.Host != "127.0.0.2" {
		t.Errorf("Contact %v", ct)
	}
	ans, err := sdp.Parse(d.InviteResponse.Body())
	if err != nil || ans.Audio().Conn.String() != "127.0.0.2" && ans.Conn.String() != "127.0.0.2" {
		t.Errorf("answer %s, %v", d.InviteResponse.Body(), err)
	}
	p.listen(2)
}
