package b2bua

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/media/relay"
	"github.com/callfloor/callfloor/media/tone"
	"github.com/callfloor/callfloor/sip/sdp"
	"github.com/callfloor/callfloor/webrtc"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// allowed is the Allow header of the B2BUA's INVITEs: the methods it
// takes inside a dialog.
const allowed = "INVITE, ACK, BYE, CANCEL, OPTIONS, REFER, UPDATE"

// lookupTimeout bounds the callee look-up of one INVITE.
const lookupTimeout = 5 * time.Second

// beepTime is how long an agent hears the auto-answer beep before the
// call connects.
const beepTime = 250 * time.Millisecond

// onInvite handles a new call from a registered extension, or a
// re-INVITE in a call. A new call's handler runs until the call is
// answered or has failed.
func (b *B2BUA) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		b.onReinvite(req, tx)
		return
	}
	s := &setup{b: b, req: req, tx: tx}
	if b.cfg.Trunks != nil {
		ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
		r, err := b.cfg.Trunks.Inbound(ctx, req, sourceIP(req))
		cancel()
		switch {
		case callfloor.ErrorCode(err) == callfloor.ErrNotFound:
			respond(tx, req, sip.StatusNotFound, "Not Found")
			return
		case err != nil:
			b.log.Warn("inbound trunk call not routed", "err", err)
			respond(tx, req, sip.StatusInternalServerError, "Server Internal Error")
			return
		}
		s.inbound = r
	}
	if s.inbound != nil {
		s.account, s.from = s.inbound.AccountID, s.inbound.From
	} else {
		caller, ok := b.cfg.Registrar.Authenticate(req, tx)
		if !ok {
			return
		}
		s.caller, s.account, s.from = caller, caller.AccountID, caller.Number
	}
	respond(tx, req, sip.StatusTrying, "Trying")
	s.ev = Event{AccountID: s.account, Number: req.Recipient.User}
	if s.caller != nil {
		s.ev.From = s.caller.ID
	}
	if h := req.CallID(); h != nil {
		s.ev.CallID = h.Value()
	}
	f := s.run()
	if f == nil {
		return
	}
	s.cleanup()
	b.log.Info("call failed", "call", s.ev.CallID, "reason", f.reason, "status", f.status, "err", f.err)
	if f.status != 0 {
		if s.a != nil {
			if err := s.a.in.Respond(f.status, f.text, nil, f.headers...); err != nil {
				b.log.Debug("sip respond failed", "call", s.ev.CallID, "err", err)
			}
		} else {
			respond(tx, req, f.status, f.text, f.headers...)
		}
	}
	e := s.ev
	e.Kind, e.Reason, e.Status = Ended, f.reason, f.status
	if f.reason == ReasonCanceled {
		e.Status = sip.StatusRequestTerminated
	}
	b.emit(e)
}

// setup is one incoming call being set up.
type setup struct {
	b      *B2BUA
	req    *sip.Request
	tx     sip.ServerTransaction
	caller *callfloor.Extension // nil for a carrier's call
	// inbound is the route of a carrier's call; account and from are the
	// call's account and the caller's number, whoever calls.
	inbound *InboundRoute
	account int64
	from    string
	// queueID is the queue the call is for, if it is for one.
	queueID int64
	// timer is the session timer of the caller's dialog, if any.
	timer *sessionTimer
	ev    Event
	a     *leg // the caller's leg, once its dialog exists
	c     *call
}

// cleanup releases what a failed setup holds.
func (s *setup) cleanup() {
	b := s.b
	b.mu.Lock()
	if s.c != nil {
		s.c.ended = true
		delete(b.calls, s.c.id)
	}
	b.mu.Unlock()
	if s.a != nil {
		s.a.in.Close()
		s.a.release()
	}
}

// run sets the call up to the point where both sides are answered; nil
// means the call is established.
func (s *setup) run() *failure {
	b := s.b
	if b.isClosed() {
		return fail(sip.StatusServiceUnavailable, "Service Unavailable", ReasonShutdown, nil)
	}
	offerA, err := sdp.Parse(s.req.Body())
	if err != nil {
		return fail(sip.StatusNotAcceptableHere, "Not Acceptable Here", ReasonNotAcceptable, err)
	}
	var f *failure
	// Check the codecs before ringing anyone.
	codec, err := b.probeCodec(offerA)
	if err != nil {
		return fail(sip.StatusNotAcceptableHere, "Not Acceptable Here", ReasonNotAcceptable, err)
	}
	if s.timer, f = b.uasTimer(s.req); f != nil {
		return f
	}
	callee, route, f := s.destination()
	if f != nil {
		return f
	}
	if callee != nil {
		s.ev.To = callee.ID
		if len(b.cfg.Registrar.Contacts(callee.AccountID, callee.ID)) == 0 {
			return fail(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", ReasonUnavailable, nil)
		}
	}
	adm, f := b.admit(Admission{Kind: KindCall, CallID: s.ev.CallID, AccountID: s.account,
		Caller: s.caller, Callee: callee, Number: s.ev.Number, From: s.from, QueueID: s.queueID})
	if f != nil {
		return f
	}
	if s.queueID != 0 {
		return s.queueCall(offerA)
	}

	if f := s.callerLeg(); f != nil {
		return f
	}
	s.c = &call{b: b, id: s.ev.CallID, base: s.ev}
	b.mu.Lock()
	b.legs[s.a.id] = s.a
	b.calls[s.c.id] = s.c
	s.c.join(0, s.a)
	b.mu.Unlock()

	// A CANCEL from the caller cancels the wait, which CANCELs the
	// callee; the transaction layer answers the caller 487.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.tx.OnCancel(func(*sip.Request) { cancel() })
	if errors.Is(s.tx.Err(), sip.ErrTransactionCanceled) {
		return fail(0, "", ReasonCanceled, nil)
	}
	rang := false
	from := s.from
	if route != nil {
		from = route.CallerID
	}
	bl, f := b.dialOut(ctx, outgoing{callID: s.ev.CallID, accountID: s.account, ext: callee, route: route,
		from: from, codec: codec, autoAnswer: adm.AutoAnswer}, func() {
		if rang {
			return
		}
		rang = true
		if err := s.a.in.Respond(sip.StatusRinging, "Ringing", nil); err != nil {
			b.log.Debug("sip 180 to caller failed", "call", s.ev.CallID, "err", err)
		}
		e := s.ev
		e.Kind = Ringing
		b.emit(e)
	})
	if f != nil {
		if ctx.Err() != nil || errors.Is(s.tx.Err(), sip.ErrTransactionCanceled) {
			return fail(0, "", ReasonCanceled, nil) // the transaction layer answered 487
		}
		return f
	}
	ansA, err := s.a.answerOffer(ctx, s.req.Body(), offerA)
	if err != nil { // the codecs were checked above already
		bl.hangup()
		return fail(sip.StatusNotAcceptableHere, "Not Acceptable Here", ReasonNotAcceptable, err)
	}
	if adm.AutoAnswer {
		bl.media.Play(tone.New(tone.Beep))
		time.Sleep(beepTime)
	}

	b.mu.Lock()
	c := s.c
	c.join(1, bl)
	bl.up, s.a.up, c.answered = true, true, true
	s.a.quiet = sendsNothing(offerA)
	c.remedia()
	e := c.event(Answered)
	b.mu.Unlock()
	b.emit(e)
	err = s.answer(ansA)
	close(s.a.answered)
	if err != nil {
		s.unconfirmed(c, err)
	}
	return nil
}

// unconfirmed ends c, whose caller never confirmed our answer (err). A
// caller whose BYE was read before its ACK hung up: the BYE ends the call
// itself, as the caller's hang-up.
func (s *setup) unconfirmed(c *call, err error) {
	if s.a.in.LoadState() == sip.DialogStateEnded {
		return
	}
	s.b.log.Warn("caller did not confirm the answer", "call", c.id, "err", err)
	c.end(nil, ReasonError)
}

// answer sends the caller the 200 OK with our SDP answer (and the
// session timer's headers), and starts the session timer. It returns
// once the caller has ACKed.
func (s *setup) answer(ans []byte) error {
	res := sip.NewSDPResponseFromRequest(s.a.in.InviteRequest, ans)
	res.AppendHeader(sip.NewHeader("Allow", allowed))
	if s.timer != nil {
		for _, h := range s.timer.answerHeaders() {
			res.AppendHeader(h)
		}
		b := s.b
		b.mu.Lock()
		s.timer.schedule(b.cfg.Now())
		s.a.timer = s.timer
		b.mu.Unlock()
	}
	return s.a.in.WriteResponse(res)
}

// callerLeg opens the caller's leg: its RTP endpoint and the dialog of
// its INVITE.
func (s *setup) callerLeg() *failure {
	b := s.b
	media, err := b.listen()
	if err != nil {
		return fail(sip.StatusServiceUnavailable, "Service Unavailable", ReasonError, err)
	}
	dlg, err := b.uaFor(s.req.Transport()).ReadInvite(s.req, s.tx)
	if err != nil {
		media.Close()
		return fail(sip.StatusBadRequest, "Bad Request", ReasonError, err)
	}
	s.a = &leg{b: b, id: dlg.ID, ext: s.caller, number: s.from, media: media, local: local(media),
		in: dlg, answered: make(chan struct{})}
	if tp := s.req.Transport(); strings.EqualFold(tp, "ws") || strings.EqualFold(tp, "wss") {
		s.a.dest, s.a.transport = s.req.Source(), tp
	}
	return nil
}

// destination finds where a new call goes: the extension an inbound
// number rings, an extension of the caller's account, or an outside
// number through a trunk.
func (s *setup) destination() (*callfloor.Extension, *OutboundRoute, *failure) {
	b := s.b
	if s.inbound != nil {
		if s.inbound.Callee == nil {
			if s.inbound.QueueID == 0 || b.cfg.Queues == nil {
				return nil, nil, fail(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", ReasonUnavailable,
					errors.New("the inbound number rings a queue, and no ACD takes queue calls"))
			}
			s.queueID = s.inbound.QueueID
		}
		return s.inbound.Callee, nil, nil
	}
	callee, f := b.findCallee(s.account, s.ev.Number)
	if f != nil && f.reason == ReasonNotFound && b.cfg.Queues != nil {
		ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
		q, err := b.cfg.Queues.QueueByNumber(ctx, s.account, s.ev.Number)
		cancel()
		switch {
		case err != nil:
			return nil, nil, fail(sip.StatusInternalServerError, "Server Internal Error", ReasonError, err)
		case q != 0:
			s.queueID = q
			return nil, nil, nil
		}
	}
	if f == nil || f.reason != ReasonNotFound || b.cfg.Trunks == nil {
		return callee, nil, f
	}
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	route, err := b.cfg.Trunks.Outbound(ctx, s.caller, s.ev.Number)
	switch {
	case callfloor.ErrorCode(err) == callfloor.ErrNotFound:
		return nil, nil, f
	case err != nil:
		return nil, nil, fail(sip.StatusInternalServerError, "Server Internal Error", ReasonError, err)
	}
	return nil, route, nil
}

// sourceIP is the address a request came from.
func sourceIP(req *sip.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// listen opens an RTP leg in the configured range.
func (b *B2BUA) listen() (*relay.Leg, error) {
	return relay.Listen(relay.Options{IP: b.cfg.MediaIP, Ports: b.cfg.Ports})
}

// admit asks Config.Admit whether a call may go ahead.
func (b *B2BUA) admit(a Admission) (Admitted, *failure) {
	if b.cfg.Admit == nil {
		return Admitted{}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	adm, err := b.cfg.Admit(ctx, a)
	if err == nil {
		return adm, nil
	}
	var r *Refusal
	if errors.As(err, &r) {
		return adm, fail(r.Status, r.Text, ReasonRefused, r)
	}
	return adm, fail(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", ReasonRefused, err)
}

// findCallee looks up a dialled number in an account.
func (b *B2BUA) findCallee(account int64, number string) (*callfloor.Extension, *failure) {
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	callee, err := b.cfg.FindExtensionByNumber(ctx, account, number)
	switch {
	case callfloor.ErrorCode(err) == callfloor.ErrNotFound || (err == nil && callee == nil):
		return nil, fail(sip.StatusNotFound, "Not Found", ReasonNotFound, nil)
	case err != nil:
		return nil, fail(sip.StatusInternalServerError, "Server Internal Error", ReasonError, err)
	case callee.AccountID != account:
		return nil, fail(sip.StatusNotFound, "Not Found", ReasonNotFound, nil)
	}
	return callee, nil
}

// outgoing is a leg to place: an extension's phone, or a number through
// a trunk.
type outgoing struct {
	callID    string
	accountID int64
	ext       *callfloor.Extension
	route     *OutboundRoute
	// from is the number the phone shows as calling.
	from string
	// codec is the payload type to offer first (0: PCMU).
	codec uint8
	// autoAnswer asks the phone to answer at once.
	autoAnswer bool
}

// branch is one place a leg is rung: a phone's registration, or a
// carrier. browser: the registration is a browser's (WebRTC media).
type branch struct {
	target          sip.Uri
	dest, transport string
	browser         bool
}

// forked is how one branch went.
type forked struct {
	sess *sipgo.DialogClientSession
	br   branch
	err  error
	// peer is a browser branch's WebRTC peer, body the offer it was sent.
	peer *webrtc.Peer
	body []byte
}

// dialOut calls an extension's phones (every registration at once: the
// first to answer takes the call, the others are canceled) or a number
// through a trunk, and waits for the answer; onRinging is called on each
// 180/183. Canceling ctx, or closing the B2BUA, CANCELs the call. The
// leg returned is answered (ACKed), in no call.
func (b *B2BUA) dialOut(ctx context.Context, o outgoing, onRinging func()) (*leg, *failure) {
	if !b.startRing() {
		return nil, fail(sip.StatusServiceUnavailable, "Service Unavailable", ReasonShutdown, nil)
	}
	defer b.rings.Done()
	var branches []branch
	var toUser string
	var auth sipgo.AnswerOptions
	if o.route != nil {
		branches = []branch{{target: o.route.Target, dest: o.route.Dest, transport: o.route.Transport}}
		toUser = o.route.Target.User
		auth = sipgo.AnswerOptions{Username: o.route.Username, Password: o.route.Password}
	} else {
		for _, bind := range b.cfg.Registrar.Contacts(o.ext.AccountID, o.ext.ID) {
			if !engineRings(o.ext, bind.Browser) {
				continue
			}
			var target sip.Uri
			if err := sip.ParseUri(bind.Contact, &target); err == nil {
				branches = append(branches, branch{target: target, dest: bind.Source, transport: bind.Transport, browser: bind.Browser})
			}
		}
		if len(branches) == 0 {
			return nil, fail(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", ReasonUnavailable, nil)
		}
		toUser = o.ext.Number
	}
	media, err := b.listen()
	if err != nil {
		return nil, fail(sip.StatusServiceUnavailable, "Service Unavailable", ReasonError, err)
	}
	l := &leg{b: b, ext: o.ext, number: toUser, media: media, local: local(media), answered: make(chan struct{})}
	ok := false
	defer func() {
		if !ok {
			media.Close()
		}
	}()
	// Offer the caller's codec first: when the phone takes it, the relay
	// forwards without transcoding. Every branch gets the same offer.
	offer := sdp.Offer(l.local)
	preferCodec(offer, o.codec)

	ctx, cancel := context.WithTimeout(ctx, b.cfg.RingTimeout)
	defer cancel()
	defer context.AfterFunc(b.shutdown, cancel)()
	var ringMu sync.Mutex
	auth.OnResponse = func(res *sip.Response) error {
		if res.StatusCode == sip.StatusRinging || res.StatusCode == sip.StatusSessionInProgress {
			ringMu.Lock()
			onRinging()
			ringMu.Unlock()
		}
		return nil
	}
	results := make(chan forked, len(branches))
	for _, br := range branches {
		go func() {
			body := offer.Marshal()
			var peer *webrtc.Peer
			if br.browser && b.cfg.WebRTC != nil {
				p, off, err := b.cfg.WebRTC.Offer(ctx)
				if err != nil {
					results <- forked{br: br, err: err}
					return
				}
				peer, body = p, []byte(off)
			}
			interval := b.cfg.SessionExpires
			for try := 0; ; try++ {
				inv := b.invite(o, br, toUser, body, interval)
				sess, err := b.writeInvite(ctx, inv, &br)
				if err == nil {
					err = sess.WaitAnswer(ctx, auth)
				}
				// 422: the party wants a longer session interval; ask
				// once more with its minimum (RFC 4028 §7.4).
				if longer, ok := retryInterval(err, interval); ok && try == 0 {
					sess.Close()
					interval = longer
					continue
				}
				if err != nil && peer != nil {
					peer.Close()
					peer = nil
				}
				results <- forked{sess: sess, br: br, err: err, peer: peer, body: body}
				return
			}
		}()
	}
	var win *forked
	var lastErr error
	left := len(branches)
	for ; left > 0 && win == nil; left-- {
		r := <-results
		switch {
		case r.err == nil:
			win = &r
		default:
			if r.sess != nil {
				r.sess.Close()
			}
			if better(r.err, lastErr) {
				lastErr = r.err
			}
		}
	}
	if left > 0 {
		cancel()       // CANCEL the branches still ringing
		b.rings.Add(1) // this ring is counted still: never from zero
		go func() {
			defer b.rings.Done()
			b.dropLosers(results, left)
		}()
	}
	if win == nil {
		var dr *sipgo.ErrDialogResponse
		switch {
		case b.shutdown.Err() != nil:
			return nil, fail(sip.StatusServiceUnavailable, "Service Unavailable", ReasonShutdown, lastErr)
		case errors.As(lastErr, &dr) && dr.Res.StatusCode >= 400:
			return nil, fail(dr.Res.StatusCode, dr.Res.Reason, ReasonRejected, lastErr)
		case errors.Is(lastErr, context.DeadlineExceeded):
			return nil, fail(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", ReasonUnavailable, lastErr)
		case errors.Is(lastErr, context.Canceled) || isCanceled(lastErr):
			return nil, fail(sip.StatusRequestTerminated, "Request Terminated", ReasonCanceled, lastErr)
		}
		return nil, fail(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", ReasonUnavailable, lastErr)
	}
	l.out, l.dest, l.transport, l.peer = win.sess, win.br.dest, win.br.transport, win.peer
	l.id = l.out.ID
	ackCtx, ackCancel := context.WithTimeout(context.Background(), byeTimeout)
	defer ackCancel()
	ans, err := sdp.Parse(l.out.InviteResponse.Body())
	var n sdp.Negotiated
	switch {
	case err != nil:
	case l.peer != nil:
		err = l.peer.Accept(string(l.out.InviteResponse.Body()))
	default:
		n, err = sdp.ReadAnswer(offer, ans)
	}
	if aerr := l.out.Ack(ackCtx); aerr != nil {
		b.log.Warn("sip ACK failed", "leg", l.id, "err", aerr)
	}
	if err != nil {
		_ = l.out.Bye(ackCtx)
		l.out.Close()
		if l.peer != nil {
			l.peer.Close()
		}
		return nil, fail(sip.StatusNotAcceptableHere, "Not Acceptable Here", ReasonNotAcceptable, err)
	}
	if l.peer != nil {
		l.linkPeer(l.peer)
		b.watchPeer(l, l.peer)
	} else {
		setRemote(l.media, n)
	}
	close(l.answered)
	b.mu.Lock()
	l.quiet = sendsNothing(ans)
	if l.timer = b.uacTimer(l.out.InviteResponse); l.timer != nil {
		l.timer.schedule(b.cfg.Now())
	}
	b.legs[l.id] = l
	b.mu.Unlock()
	ok = true
	return l, nil
}

// largeUDP is the size above which a request meant for UDP goes over TCP
// (RFC 3261 18.1.1: 1,300 bytes when the path MTU is unknown).
const largeUDP = 1300

// writeInvite sends an INVITE of a branch. A large one meant for UDP goes
// over TCP to the same address instead (RFC 3261 18.1.1), and back to
// UDP when the party takes no TCP connection; br then says the transport
// used, for the dialog's later requests.
func (b *B2BUA) writeInvite(ctx context.Context, inv *sip.Request, br *branch) (*sipgo.DialogClientSession, error) {
	udp := br.transport == "" || strings.EqualFold(br.transport, "udp")
	if !udp || len(inv.String()) <= largeUDP {
		return b.uaFor(br.transport).WriteInvite(ctx, inv)
	}
	tcp := inv.Clone()
	tcp.SetTransport("TCP")
	sess, err := b.uaFor("TCP").WriteInvite(ctx, tcp)
	if err == nil {
		br.transport = "TCP"
		return sess, nil
	}
	b.log.Debug("large INVITE not taken over TCP: sent over UDP", "dest", br.dest, "err", err)
	return b.uaFor(br.transport).WriteInvite(ctx, inv)
}

// invite builds the INVITE of one branch of a leg.
func (b *B2BUA) invite(o outgoing, br branch, toUser string, body []byte, interval time.Duration) *sip.Request {
	inv := sip.NewRequest(sip.INVITE, br.target)
	from := &sip.FromHeader{DisplayName: o.from, Address: sip.Uri{Scheme: "sip", User: o.from, Host: b.cfg.Contact.Host, Port: b.cfg.Contact.Port},
		Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	inv.AppendHeader(from)
	to := sip.Uri{Scheme: "sip", User: toUser, Host: b.cfg.Contact.Host, Port: b.cfg.Contact.Port}
	if o.route != nil {
		to = br.target
	}
	inv.AppendHeader(&sip.ToHeader{Address: to})
	if o.autoAnswer {
		inv.AppendHeader(sip.NewHeader("Call-Info", "<sip:"+b.cfg.Contact.Host+">;answer-after=0"))
		inv.AppendHeader(sip.NewHeader("Alert-Info", "<http://localhost>;info=alert-autoanswer;delay=0"))
	}
	for _, h := range b.uacHeaders(interval) {
		inv.AppendHeader(h)
	}
	inv.AppendHeader(sip.NewHeader("Allow", allowed))
	inv.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	inv.SetBody(body)
	inv.SetDestination(br.dest)
	if br.transport != "" {
		inv.SetTransport(br.transport)
	}
	return inv
}

// dropLosers waits for the n branches still out after another answered:
// one that answered all the same is acknowledged and hung up.
func (b *B2BUA) dropLosers(results <-chan forked, n int) {
	for range n {
		r := <-results
		if r.sess == nil {
			continue
		}
		if r.err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
			_ = r.sess.Ack(ctx)
			_ = r.sess.Bye(ctx)
			cancel()
		}
		r.sess.Close()
		if r.peer != nil {
			r.peer.Close()
		}
	}
}

// better reports whether err says more about why a leg failed than old:
// a phone's own final answer (busy, declined) beats no answer.
func better(err, old error) bool {
	if old == nil {
		return true
	}
	var dr, odr *sipgo.ErrDialogResponse
	isResp, wasResp := errors.As(err, &dr), errors.As(old, &odr)
	switch {
	case isResp && !wasResp:
		return true
	case isResp && wasResp:
		return dr.Res.StatusCode == sip.StatusBusyHere || dr.Res.StatusCode >= 600
	}
	return false
}

// setRemote points a leg's media at the party's SDP.
func setRemote(m *relay.Leg, n sdp.Negotiated) {
	m.SetRemote(n.Remote, n.Codec.PT)
	if n.DTMF != nil {
		m.SetEventPayloadType(n.DTMF.PT)
	}
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
