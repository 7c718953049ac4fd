package carrier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/callfloor/callfloor/sip/sdp"
)

// placeInbound places calls into callfloor at Inbound.PerMinute until
// the carrier stops. Arrivals are a Poisson process: the gaps between
// them are exponential, drawn from Rand, and timed on the clock from one
// arrival's due time to the next, so a clock that jumps ahead places
// every call due meanwhile (at most a minute's worth).
func (c *Carrier) placeInbound() {
	in := c.cfg.Inbound
	if in.PerMinute <= 0 || len(in.DIDs) == 0 {
		return
	}
	next := c.clock.Now()
	for {
		c.randMu.Lock()
		gap := time.Duration(c.rnd.ExpFloat64() / in.PerMinute * float64(time.Minute))
		c.randMu.Unlock()
		next = next.Add(gap)
		now := c.clock.Now()
		if now.Sub(next) > time.Minute {
			next = now
		}
		t := c.clock.NewTimer(next.Sub(now))
		select {
		case <-t.C():
		case <-c.ctx.Done():
			t.Stop()
			return
		}
		c.arrive()
	}
}

// placement is one inbound call to place, drawn when it arrives.
type placement struct {
	did, from string
	stay      time.Duration
	voice     Voice
	seed      uint64
}

// arrive places one call, unless MaxCalls are in progress.
func (c *Carrier) arrive() {
	in := c.cfg.Inbound
	p := placement{did: in.DIDs[c.intN(len(in.DIDs))], from: c.caller(),
		stay: in.Duration.pick(c.float), voice: c.voice(), seed: c.seed()}
	c.place(p)
}

// ErrNotPlaced is Place's answer when the carrier cannot place the call:
// it is closing, has nowhere to send it, or has MaxCalls in progress.
var ErrNotPlaced = errors.New("carrier: call not placed")

// Place places one inbound call to did now, from the number from (empty:
// one drawn as for the scheduled calls), whose caller stays stay once
// answered (0: a stay drawn from Inbound.Duration) unless callfloor hangs
// up first. A test or a demo script uses it to have a call arrive at a
// known moment. Called before Serve's socket is up, it waits for it.
func (c *Carrier) Place(did, from string, stay time.Duration) error {
	select {
	case <-c.ready:
	case <-c.ctx.Done():
		return ErrNotPlaced
	}
	p := placement{did: did, from: from, stay: stay, voice: c.voice(), seed: c.seed()}
	if p.from == "" {
		p.from = c.caller()
	}
	if p.stay <= 0 {
		p.stay = c.cfg.Inbound.Duration.pick(c.float)
	}
	if !c.place(p) {
		return ErrNotPlaced
	}
	return nil
}

// place dials p in the background and reports whether it did.
func (c *Carrier) place(p placement) bool {
	in := c.cfg.Inbound
	uri, ok := c.target(p.did)
	c.mu.Lock()
	full := c.inbound >= in.MaxCalls
	if ok && !full {
		c.inbound++
		c.stats.InboundPlaced++
	} else {
		c.stats.InboundSkipped++
	}
	c.mu.Unlock()
	switch {
	case !ok:
		c.log.Warn("carrier: inbound call skipped: no PBX address and no registration", "did", p.did)
		return false
	case full:
		c.log.Debug("carrier: inbound call skipped: too many calls", "did", p.did, "max_calls", in.MaxCalls)
		return false
	}
	if !c.enter() { // closing
		c.mu.Lock()
		c.inbound--
		c.stats.InboundPlaced--
		c.mu.Unlock()
		return false
	}
	go func() {
		defer c.leave()
		defer func() {
			c.mu.Lock()
			c.inbound--
			c.mu.Unlock()
		}()
		c.dial(p, uri)
	}()
	return true
}

// caller draws a caller's number from Inbound.Callers, or from the
// drama range.
func (c *Carrier) caller() string {
	if cs := c.cfg.Inbound.Callers; len(cs) > 0 {
		return cs[c.intN(len(cs))]
	}
	return DramaNumber(c.intN(1000))
}

// DramaNumber returns the n-th (0-999) number of Ofcom's range for
// drama, +44 1632 960000 to 960999 (01632 960xxx in national form), in
// E.164: numbers that reach no one.
func DramaNumber(n int) string { return fmt.Sprintf("+441632960%03d", n%1000) }

// dial calls callfloor for p and, once answered, speaks for p.stay.
func (c *Carrier) dial(p placement, uri sip.Uri) {
	callID := sip.GenerateTagN(16) + "@carrier"
	log := c.log.With("call", callID, "did", p.did, "from", p.from)
	media, err := c.listenMedia(callID)
	if err != nil {
		log.Error("carrier: no RTP socket", "err", err)
		c.inboundFailed(0)
		return
	}
	defer media.close()
	cl := &call{callID: callID, media: media, session: p.seed >> 1, version: 1}
	local := media.local(cl.session)
	offer := sdp.Offer(local)
	offer.Origin = origin(local)
	req := c.invite(p, uri, callID, offer.Marshal())
	log.Info("carrier: calling callfloor", "uri", uri.String())
	ctx, cancel := c.patience()
	sess, err := c.dua.WriteInvite(ctx, req)
	if err == nil {
		err = sess.WaitAnswer(ctx, sipgo.AnswerOptions{})
	}
	cancel(nil)
	if !c.answered(log, ctx, err) {
		if sess != nil {
			sess.Close()
		}
		return
	}
	cl.id, cl.cli, cl.dialog = sess.ID, sess, &sess.Dialog
	n, err := readAnswer(offer, sess.InviteResponse)
	if err != nil {
		log.Warn("carrier: callfloor's answer is not acceptable", "err", err)
		c.inboundFailed(sip.StatusNotAcceptableHere)
		_ = sess.Ack(context.Background())
		c.hangUp(log, cl)
		return
	}
	media.negotiated(n)
	c.count(func(s *Stats) { s.InboundAnswered++ })
	c.talk(log, cl, NewSpeech(p.voice, p.seed), p.stay, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
		defer cancel()
		return sess.Ack(ctx)
	})
}

// invite builds an inbound call's INVITE: from the caller's number at
// the carrier, to the DID, with the carrier's offer.
func (c *Carrier) invite(p placement, uri sip.Uri, callID string, offer []byte) *sip.Request {
	req := sip.NewRequest(sip.INVITE, uri)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: p.from, Host: c.addr.Addr().String()},
		Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(10))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: p.did, Host: uri.Host, Port: uri.Port}})
	id := sip.CallIDHeader(callID)
	req.AppendHeader(&id)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(offer)
	return req
}

// errGaveUp ends the INVITE of a caller who waited Inbound.Patience.
var errGaveUp = errors.New("carrier: the caller gave up")

// patience returns the context of an inbound call's INVITE, canceled
// with errGaveUp after Inbound.Patience on the clock (and when the
// carrier stops).
func (c *Carrier) patience() (context.Context, context.CancelCauseFunc) {
	ctx, cancel := context.WithCancelCause(c.ctx)
	t := c.clock.NewTimer(c.cfg.Inbound.Patience)
	go func() {
		defer t.Stop()
		select {
		case <-t.C():
			cancel(errGaveUp)
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// answered counts how an inbound call's INVITE (sent with ctx) ended and
// reports whether callfloor answered it.
func (c *Carrier) answered(log *slog.Logger, ctx context.Context, err error) bool {
	var dr *sipgo.ErrDialogResponse
	switch {
	case err == nil:
		return true
	case errors.As(err, &dr):
		status := dr.Res.StatusCode
		if status == sip.StatusBusyHere || status == sip.StatusGlobalBusyEverywhere {
			log.Info("carrier: callfloor is busy", "status", status)
			c.count(func(s *Stats) { s.InboundBusy++ })
			return false
		}
		log.Info("carrier: callfloor refused the call", "status", status, "reason", dr.Res.Reason)
		if status == sip.StatusUnauthorized || status == sip.StatusProxyAuthRequired {
			log.Warn("carrier: callfloor challenged the carrier: configure an IP trunk admitting its address, or a registration trunk to it",
				"addr", c.addr.String())
		}
		c.inboundFailed(status)
	case c.ctx.Err() != nil:
		log.Info("carrier: call withdrawn at shutdown")
		c.inboundFailed(0)
	case errors.Is(context.Cause(ctx), errGaveUp):
		log.Info("carrier: the caller gave up", "patience", c.cfg.Inbound.Patience)
		c.count(func(s *Stats) { s.InboundAbandoned++ })
	default:
		log.Warn("carrier: call to callfloor failed", "err", err)
		c.inboundFailed(0)
	}
	return false
}

func (c *Carrier) inboundFailed(status int) {
	c.count(func(s *Stats) {
		s.InboundFailed++
		s.InboundFailures[status]++
	})
}

// readAnswer reads callfloor's answer to the carrier's offer.
func readAnswer(offer *sdp.Session, res *sip.Response) (sdp.Negotiated, error) {
	ans, err := sdp.Parse(res.Body())
	if err != nil {
		return sdp.Negotiated{}, err
	}
	return sdp.ReadAnswer(offer, ans)
}
