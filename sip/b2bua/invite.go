package b2bua

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/media/relay"
	"github.com/callfloor/callfloor/sip/registrar"
	"github.com/callfloor/callfloor/sip/sdp"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// lookupTimeout bounds the callee look-up of one INVITE.
const lookupTimeout = 5 * time.Second

// onInvite handles a new call from a registered extension. It runs until
// the call is answered or has failed.
func (b *B2BUA) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		// A re-INVITE (hold, codec change): not supported yet.
		respond(tx, req, sip.StatusNotAcceptableHere, "Not Acceptable Here")
		return
	}
	caller, ok := b.cfg.Registrar.Authenticate(req, tx)
	if !ok {
		return
	}
	respond(tx, req, sip.StatusTrying, "Trying")
	ev := Event{AccountID: caller.AccountID, From: caller.ID, Number: req.Recipient.User}
	if h := req.CallID(); h != nil {
		ev.CallID = h.Value()
	}
	s := &setup{b: b, req: req, tx: tx, caller: caller, ev: ev}
	f := s.run()
	s.cleanup(f != nil)
	if f == nil {
		return
	}
	b.log.Info("call failed", "call", s.ev.CallID, "reason", f.reason, "status", f.status, "err", f.err)
	if f.status != 0 {
		if s.a != nil {
			if err := s.a.Respond(f.status, f.text, nil); err != nil {
				b.log.Debug("sip respond failed", "call", s.ev.CallID, "err", err)
			}
		} else {
			respond(tx, req, f.status, f.text)
		}
	}
	e := s.ev
	e.Kind, e.Reason, e.Status = Ended, f.reason, f.status
	if f.reason == ReasonCanceled {
		e.Status = sip.StatusRequestTerminated
	}
	b.emit(e)
}

// setup is one call being set up.
type setup struct {
	b      *B2BUA
	req    *sip.Request
	tx     sip.ServerTransaction
	caller *callfloor.Extension
	ev     Event

	legA, legB *relay.Leg
	a          *sipgo.DialogServerSession
	bs         *sipgo.DialogClientSession
}

// cleanup releases what a failed setup holds.
func (s *setup) cleanup(failed bool) {
	if !failed {
		return
	}
	for _, l := range []*relay.Leg{s.legA, s.legB} {
		if l != nil {
			l.Close()
		}
	}
	if s.bs != nil {
		s.bs.Close()
	}
	if s.a != nil {
		s.a.Close()
	}
}

// run sets the call up to the point where both sides are answered; nil
// means the call is established.
func (s *setup) run() *failure {
	b := s.b
	b.mu.Lock()
	closed := b.closed
	b.mu.Unlock()
	if closed {
		return fail(sip.StatusServiceUnavailable, "Service Unavailable", ReasonShutdown, nil)
	}

	offerA, err := sdp.Parse(s.req.Body())
	if err != nil {
		return fail(sip.StatusNotAcceptableHere, "Not Acceptable Here", ReasonNotAcceptable, err)
	}
	// Check the codecs before ringing anyone.
	_, probe, err := sdp.Answer(offerA, sdp.Local{Addr: b.cfg.MediaIP, Port: 9})
	if err != nil {
		return fail(sip.StatusNotAcceptableHere, "Not Acceptable Here", ReasonNotAcceptable, err)
	}

	callee, f := s.findCallee()
	if f != nil {
		return f
	}
	s.ev.To = callee.ID
	bindings := b.cfg.Registrar.Contacts(callee.AccountID, callee.ID)
	if len(bindings) == 0 {
		return fail(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", ReasonUnavailable, nil)
	}
	if f := s.admit(callee); f != nil {
		return f
	}

	if s.legA, err = relay.Listen(relay.Options{IP: b.cfg.MediaIP, Ports: b.cfg.Ports}); err != nil {
		return fail(sip.StatusServiceUnavailable, "Service Unavailable", ReasonError, err)
	}
	if s.legB, err = relay.Listen(relay.Options{IP: b.cfg.MediaIP, Ports: b.cfg.Ports}); err != nil {
		return fail(sip.StatusServiceUnavailable, "Service Unavailable", ReasonError, err)
	}
	if s.a, err = b.ua.ReadInvite(s.req, s.tx); err != nil {
		return fail(sip.StatusBadRequest, "Bad Request", ReasonError, err)
	}

	// Offer the callee the caller's codec first: when it takes it, the
	// relay forwards without transcoding.
	offerB := sdp.Offer(local(s.legB))
	preferCodec(offerB, probe.Codec.PT)
	if f := s.inviteCallee(callee, bindings[len(bindings)-1], offerB); f != nil {
		return f
	}

	// The callee answered.
	ansB, err := sdp.Parse(s.bs.InviteResponse.Body())
	var nB sdp.Negotiated
	if err == nil {
		nB, err = sdp.ReadAnswer(offerB, ansB)
	}
	if err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
		defer cancel()
		_ = s.bs.Ack(ctx)
		_ = s.bs.Bye(ctx)
		return fail(sip.StatusNotAcceptableHere, "Not Acceptable Here", ReasonNotAcceptable, err)
	}
	ansA, nA, err := sdp.Answer(offerA, local(s.legA))
	if err != nil { // checked above already
		return fail(sip.StatusNotAcceptableHere, "Not Acceptable Here", ReasonNotAcceptable, err)
	}
	s.legB.SetRemote(nB.Remote, nB.Codec.PT)
	if nB.DTMF != nil {
		s.legB.SetEventPayloadType(nB.DTMF.PT)
	}
	s.legA.SetRemote(nA.Remote, nA.Codec.PT)
	if nA.DTMF != nil {
		s.legA.SetEventPayloadType(nA.DTMF.PT)
	}

	c := &call{b: b, id: s.ev.CallID, base: s.ev, a: s.a, bs: s.bs, answered: make(chan struct{}),
		bridge: relay.NewBridge(s.legA, s.legB, relay.BridgeOptions{})}
	ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
	defer cancel()
	if err := s.bs.Ack(ctx); err != nil {
		b.log.Warn("sip ACK to callee failed", "call", c.id, "err", err)
	}
	b.mu.Lock()
	b.byA[s.a.ID] = c
	b.byB[s.bs.ID] = c
	b.mu.Unlock()
	e := s.ev
	e.Kind = Answered
	b.emit(e)
	// RespondSDP returns once the caller has ACKed.
	err = s.a.RespondSDP(ansA.Marshal())
	close(c.answered)
	if err != nil {
		b.log.Warn("caller did not confirm the answer", "call", c.id, "err", err)
		c.hangup(sideNone, ReasonError)
	}
	return nil
}

// admit asks Config.Admit whether the call may go ahead.
func (s *setup) admit(callee *callfloor.Extension) *failure {
	if s.b.cfg.Admit == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	err := s.b.cfg.Admit(ctx, Admission{CallID: s.ev.CallID, AccountID: s.caller.AccountID,
		Caller: s.caller, Callee: callee, Number: s.ev.Number})
	if err == nil {
		return nil
	}
	var r *Refusal
	if errors.As(err, &r) {
		return fail(r.Status, r.Text, ReasonRefused, nil)
	}
	return fail(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", ReasonRefused, err)
}

// findCallee looks up the dialled number in the caller's account.
func (s *setup) findCallee() (*callfloor.Extension, *failure) {
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	callee, err := s.b.cfg.FindExtensionByNumber(ctx, s.caller.AccountID, s.ev.Number)
	switch {
	case callfloor.ErrorCode(err) == callfloor.ErrNotFound || (err == nil && callee == nil):
		return nil, fail(sip.StatusNotFound, "Not Found", ReasonNotFound, nil)
	case err != nil:
		return nil, fail(sip.StatusInternalServerError, "Server Internal Error", ReasonError, err)
	case callee.AccountID != s.caller.AccountID:
		return nil, fail(sip.StatusNotFound, "Not Found", ReasonNotFound, nil)
	}
	return callee, nil
}

// inviteCallee places the B leg and waits for its answer, relaying
// ringing to the caller; a CANCEL from the caller cancels it.
func (s *setup) inviteCallee(callee *callfloor.Extension, bind registrar.Binding, offer *sdp.Session) *failure {
	b := s.b
	var target sip.Uri
	if err := sip.ParseUri(bind.Contact, &target); err != nil {
		return fail(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", ReasonUnavailable, err)
	}
	inv := sip.NewRequest(sip.INVITE, target)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: s.caller.Number, Host: b.cfg.Contact.Host, Port: b.cfg.Contact.Port},
		Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	inv.AppendHeader(from)
	inv.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: callee.Number, Host: b.cfg.Contact.Host, Port: b.cfg.Contact.Port}})
	inv.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	inv.SetBody(offer.Marshal())
	inv.SetDestination(bind.Source)
	if bind.Transport != "" {
		inv.SetTransport(bind.Transport)
	}

	ctx, cancel := context.WithTimeout(context.Background(), b.cfg.RingTimeout)
	defer cancel()
	// A CANCEL from the caller cancels the wait, which CANCELs the
	// callee; the transaction layer answers the caller 487.
	var callerCanceled atomic.Bool
	s.tx.OnCancel(func(*sip.Request) {
		callerCanceled.Store(true)
		cancel()
	})
	if errors.Is(s.tx.Err(), sip.ErrTransactionCanceled) {
		// Canceled before we got here.
		return fail(0, "", ReasonCanceled, nil)
	}

	var err error
	if s.bs, err = b.ua.WriteInvite(ctx, inv); err != nil {
		return fail(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", ReasonUnavailable, err)
	}
	rang := false
	err = s.bs.WaitAnswer(ctx, sipgo.AnswerOptions{OnResponse: func(res *sip.Response) error {
		if (res.StatusCode == sip.StatusRinging || res.StatusCode == sip.StatusSessionInProgress) && !rang {
			rang = true
			if err := s.a.Respond(sip.StatusRinging, "Ringing", nil); err != nil {
				return err
			}
			e := s.ev
			e.Kind = Ringing
			b.emit(e)
		}
		return nil
	}})
	if err == nil {
		return nil
	}
	if callerCanceled.Load() || errors.Is(s.tx.Err(), sip.ErrTransactionCanceled) {
		// The transaction layer has answered the caller 487.
		return fail(0, "", ReasonCanceled, nil)
	}
	var dr *sipgo.ErrDialogResponse
	switch {
	case errors.As(err, &dr) && dr.Res.StatusCode >= 400:
		return fail(dr.Res.StatusCode, dr.Res.Reason, ReasonRejected, err)
	case errors.Is(err, context.DeadlineExceeded):
		return fail(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", ReasonUnavailable, err)
	case isCanceled(err):
		return fail(0, "", ReasonCanceled, err)
	}
	return fail(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", ReasonUnavailable, err)
}

// local is callfloor's SDP side of a relay leg.
func local(l *relay.Leg) sdp.Local {
	return sdp.Local{Addr: l.LocalAddr().Addr(), Port: int(l.LocalAddr().Port()), SessionID: uint64(time.Now().UnixNano()), Version: 1}
}

// preferCodec moves the format with payload type pt to the front of the
// audio formats of offer.
func preferCodec(offer *sdp.Session, pt uint8) {
	m := offer.Audio()
	if m == nil {
		return
	}
	for i, f := range m.Formats {
		if f.PT == pt {
			copy(m.Formats[1:i+1], m.Formats[:i])
			m.Formats[0] = f
			return
		}
	}
}
