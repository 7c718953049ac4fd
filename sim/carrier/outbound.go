package carrier

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/callfloor/callfloor/media/tone"
	"github.com/callfloor/callfloor/sip/sdp"
)

// byeTimeout bounds the carrier's BYEs.
const byeTimeout = 3 * time.Second

// onInvite takes a new call from callfloor, or a re-INVITE in a call.
func (c *Carrier) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params != nil {
		if tag, ok := to.Params.Get("tag"); ok && tag != "" {
			c.onReinvite(req, tx)
			return
		}
	}
	if !c.enter() {
		respond(tx, req, sip.StatusServiceUnavailable, "Service Unavailable")
		return
	}
	defer c.leave()
	c.answer(req, tx)
}

// answer plays the outcome of the dialled number.
func (c *Carrier) answer(req *sip.Request, tx sip.ServerTransaction) {
	number := req.Recipient.User
	outcome := OutcomeFor(number)
	callID := ""
	if h := req.CallID(); h != nil {
		callID = h.Value()
	}
	log := c.log.With("call", callID, "number", number, "outcome", outcome.String())
	log.Info("carrier: call from callfloor")
	c.count(func(s *Stats) { s.Outbound[outcome]++ })
	sess, err := c.dua.ReadInvite(req, tx)
	if err != nil {
		log.Warn("carrier: bad INVITE", "err", err)
		respond(tx, req, sip.StatusBadRequest, "Bad Request")
		return
	}
	switch outcome {
	case Busy:
		_ = sess.Respond(sip.StatusBusyHere, "Busy Here", nil)
		return
	case Unreachable:
		_ = sess.Respond(sip.StatusServiceUnavailable, "Service Unavailable", nil)
		return
	case NotFound:
		_ = sess.Respond(sip.StatusNotFound, "Not Found", nil)
		return
	case NoAnswer:
		if c.ring(log, sess, c.cfg.Outbound.NoAnswer) {
			log.Info("carrier: no answer")
			_ = sess.Respond(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", nil)
		}
		return
	}
	cl, ans, ok := c.prepare(log, sess, callID)
	if !ok {
		return
	}
	defer cl.media.close()
	if !c.ring(log, sess, c.cfg.Outbound.Ring.pick(c.float)) {
		return
	}
	var gen tone.Generator
	var stay time.Duration
	answeredBy := "human"
	if outcome == Machine {
		gen, stay = newMachine(VoiceHigh, c.seed(), c.cfg.Outbound.Greeting), c.cfg.Outbound.Machine
		answeredBy = "machine"
	} else {
		gen, stay = NewSpeech(c.voice(), c.seed()), c.cfg.Outbound.Talk.pick(c.float)
	}
	// The 200 OK says who answered, as a carrier with answering machine
	// detection would.
	c.talk(log, cl, gen, stay, func() error {
		res := sip.NewSDPResponseFromRequest(sess.InviteRequest, ans.Marshal())
		res.AppendHeader(sip.NewHeader(AnsweredByHeader, answeredBy))
		return sess.WriteResponse(res)
	})
}

// prepare opens a call's media and answers its offer, or answers the
// INVITE 488 when the offer has no G.711.
func (c *Carrier) prepare(log *slog.Logger, sess *sipgo.DialogServerSession, callID string) (*call, *sdp.Session, bool) {
	offer, err := sdp.Parse(sess.InviteRequest.Body())
	if err != nil {
		log.Info("carrier: no acceptable offer", "err", err)
		_ = sess.Respond(sip.StatusNotAcceptableHere, "Not Acceptable Here", nil)
		return nil, nil, false
	}
	cl := &call{id: sess.ID, callID: callID, dialog: &sess.Dialog, srv: sess, session: c.seed() >> 1, version: 1}
	if cl.media, err = c.listenMedia(callID); err != nil {
		log.Error("carrier: no RTP socket", "err", err)
		_ = sess.Respond(sip.StatusServiceUnavailable, "Service Unavailable", nil)
		return nil, nil, false
	}
	ans, n, err := sdp.Answer(offer, cl.media.local(cl.session))
	if err != nil {
		cl.media.close()
		log.Info("carrier: no acceptable offer", "err", err)
		_ = sess.Respond(sip.StatusNotAcceptableHere, "Not Acceptable Here", nil)
		return nil, nil, false
	}
	cl.media.negotiated(n)
	ans.Origin = origin(cl.media.local(cl.session))
	return cl, ans, true
}

// ring sends 180 and waits d on the clock; it reports false (having
// answered the INVITE, unless callfloor canceled it) when the call was
// canceled or the carrier stops first.
func (c *Carrier) ring(log *slog.Logger, sess *sipgo.DialogServerSession, d time.Duration) bool {
	t := c.clock.NewTimer(d)
	defer t.Stop()
	if err := sess.Respond(sip.StatusRinging, "Ringing", nil); err != nil {
		log.Debug("carrier: 180 failed", "err", err)
		return false
	}
	select {
	case <-t.C():
		return true
	case <-sess.Context().Done():
		log.Info("carrier: canceled while ringing")
		c.count(func(s *Stats) { s.OutboundCanceled++ })
	case <-c.ctx.Done():
		_ = sess.Respond(sip.StatusServiceUnavailable, "Service Unavailable", nil)
	}
	return false
}

// talk connects a call: it starts playing gen, answers with answer
// (the 200 OK to callfloor's INVITE, or the ACK of callfloor's 200 OK;
// it returns once the answer is acknowledged) and hangs up after stay
// unless callfloor does first.
func (c *Carrier) talk(log *slog.Logger, cl *call, gen tone.Generator, stay time.Duration, answer func() error) {
	c.add(cl)
	defer c.remove(cl)
	t := c.clock.NewTimer(stay)
	defer t.Stop()
	cl.media.start(gen)
	if err := answer(); err != nil {
		log.Warn("carrier: answer not acknowledged", "err", err)
		if cl.dialog.LoadState() != sip.DialogStateEnded {
			c.hangUp(log, cl)
		}
		return
	}
	outbound := cl.srv != nil
	if outbound {
		c.count(func(s *Stats) { s.OutboundAnswered++ })
	}
	log.Info("carrier: connected", "stay", stay)
	select {
	case <-t.C():
		c.hangUp(log, cl)
	case <-cl.dialog.Context().Done():
		log.Info("carrier: callfloor hung up")
		if outbound {
			c.count(func(s *Stats) { s.OutboundHungUp++ })
		}
	case <-c.ctx.Done():
		c.hangUp(log, cl)
	}
}

// hangUp sends BYE.
func (c *Carrier) hangUp(log *slog.Logger, cl *call) {
	ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
	defer cancel()
	var err error
	if cl.srv != nil {
		err = cl.srv.Bye(ctx)
	} else {
		err = cl.cli.Bye(ctx)
	}
	if err != nil {
		log.Warn("carrier: BYE failed", "err", err)
		return
	}
	log.Info("carrier: hung up")
}

// listenMedia opens a call's RTP endpoint.
func (c *Carrier) listenMedia(callID string) (*stream, error) {
	return listenMedia(c.cfg.MediaIP, c.log, &c.media, func(key byte) { c.digit(callID, key) })
}

// voice picks a voice for a person.
func (c *Carrier) voice() Voice {
	if c.intN(2) == 0 {
		return VoiceLow
	}
	return VoiceHigh
}

// origin is the carrier's o= line for its side of a call.
func origin(l sdp.Local) string {
	ipv := "IP4"
	if l.Addr.Is6() {
		ipv = "IP6"
	}
	return fmt.Sprintf("carrier %d %d IN %s %s", l.SessionID, l.Version, ipv, l.Addr)
}
