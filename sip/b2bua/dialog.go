package b2bua

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/sip/sdp"
	"github.com/emiago/sipgo/sip"
)

// onAck confirms a dialog the party called us on (the ACK of our 200 OK
// to its INVITE or re-INVITE).
func (b *B2BUA) onAck(req *sip.Request, _ sip.ServerTransaction) {
	l := b.findLeg(req)
	if l == nil || l.in == nil {
		return
	}
	if err := l.in.ReadAck(req, nil); err != nil {
		b.log.Debug("sip ACK not matched", "leg", l.id, "err", err)
	}
}

// onBye ends the party's part: every call its leg is in ends, unless the
// leg was already transferred away.
func (b *B2BUA) onBye(req *sip.Request, tx sip.ServerTransaction) {
	l := b.findLeg(req)
	if l == nil {
		respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	var err error
	if l.in != nil {
		err = l.in.ReadBye(req, tx)
	} else {
		err = l.out.ReadBye(req, tx)
	}
	if err != nil {
		b.log.Debug("sip BYE", "leg", l.id, "err", err)
		respond(tx, req, sip.StatusOK, "OK")
	}
	b.mu.Lock()
	l.gone = true
	calls := append([]*call(nil), l.calls...)
	b.mu.Unlock()
	if len(calls) == 0 {
		l.release()
		return
	}
	for _, c := range calls {
		reason := ReasonCalleeHangup
		b.mu.Lock()
		if c.side(l) == 0 {
			reason = ReasonCallerHangup
		}
		b.mu.Unlock()
		c.end(l, reason)
	}
}

// onCancel gets the CANCELs the transaction layer matched to no INVITE
// (those it matched it has answered itself, and the INVITE got 487).
func (b *B2BUA) onCancel(req *sip.Request, tx sip.ServerTransaction) {
	respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
}

// onUpdate answers an UPDATE (RFC 3311) as a re-INVITE: a session
// refresh when it has no body, else a new offer.
func (b *B2BUA) onUpdate(req *sip.Request, tx sip.ServerTransaction) { b.onReinvite(req, tx) }

// onReinvite answers a re-INVITE (or UPDATE): new media, or the phone
// putting its call on hold (sendonly or inactive) and taking it off
// (sendrecv). Either refreshes the dialog's session timer.
func (b *B2BUA) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	l := b.findLeg(req)
	if l == nil {
		respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	if l.in != nil {
		if err := l.in.ReadRequest(req, tx); err != nil {
			respond(tx, req, sip.StatusInternalServerError, "Server Internal Error")
			return
		}
	} else if err := l.out.ReadRequest(req, tx); err != nil {
		respond(tx, req, sip.StatusInternalServerError, "Server Internal Error")
		return
	}
	contact := b.uaFor(req.Transport()).ContactHDR
	if req.Method == sip.UPDATE && len(req.Body()) == 0 {
		// A session refresh (RFC 4028), or an UPDATE that changes
		// nothing.
		b.mu.Lock()
		hs := b.partyRefreshed(l, req)
		b.mu.Unlock()
		res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
		for _, h := range hs {
			res.AppendHeader(h)
		}
		res.AppendHeader(&contact)
		if err := tx.Respond(res); err != nil {
			b.log.Debug("sip UPDATE answer failed", "leg", l.id, "err", err)
		}
		return
	}
	offer, err := sdp.Parse(req.Body())
	if err != nil {
		respond(tx, req, sip.StatusNotAcceptableHere, "Not Acceptable Here")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	ans, err := l.answerOffer(ctx, req.Body(), offer)
	cancel()
	if err != nil {
		respond(tx, req, sip.StatusNotAcceptableHere, "Not Acceptable Here")
		return
	}
	b.mu.Lock()
	hs := b.partyRefreshed(l, req)
	b.mu.Unlock()
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", ans)
	res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	for _, h := range hs {
		res.AppendHeader(h)
	}
	res.AppendHeader(&contact)
	if err := tx.Respond(res); err != nil {
		b.log.Debug("sip re-INVITE answer failed", "leg", l.id, "err", err)
		return
	}
	dir := sdp.SendRecv
	if m := offer.Audio(); m != nil {
		dir = m.Direction
	}
	held := dir == sdp.SendOnly || dir == sdp.Inactive
	b.mu.Lock()
	l.quiet = dir == sdp.RecvOnly || dir == sdp.Inactive
	c := l.active
	if c == nil && len(l.calls) > 0 {
		c = l.calls[len(l.calls)-1]
	}
	var evs []Event
	if c != nil {
		evs = b.holdLocked(c, c.side(l), held)
	}
	b.mu.Unlock()
	for _, e := range evs {
		b.emit(e)
	}
}

// onRefer transfers the call of the leg's party: blind to the Refer-To
// number, or, when Refer-To carries Replaces, to the party of the
// phone's other dialog (an attended transfer done on the phone).
func (b *B2BUA) onRefer(req *sip.Request, tx sip.ServerTransaction) {
	l := b.findLeg(req)
	if l == nil {
		respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	h := req.GetHeader("Refer-To")
	if h == nil {
		respond(tx, req, sip.StatusBadRequest, "Bad Request (no Refer-To)")
		return
	}
	target, replaces, err := parseReferTo(h.Value())
	if err != nil {
		respond(tx, req, sip.StatusBadRequest, "Bad Request (Refer-To)")
		return
	}
	b.mu.Lock()
	c := l.active
	if c == nil && len(l.calls) > 0 {
		c = l.calls[0]
	}
	var other *leg
	if replaces != "" {
		other = b.legByCallID(l.ext, replaces, l)
	}
	b.mu.Unlock()
	if c == nil || (replaces != "" && other == nil) {
		respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	respond(tx, req, sip.StatusAccepted, "Accepted")
	go func() {
		b.notifyRefer(l, "SIP/2.0 100 Trying", false)
		var err error
		if replaces != "" {
			err = b.completeAttended(l, c, other)
		} else {
			err = b.transfer(c, l, target.User)
		}
		final := "SIP/2.0 200 OK"
		if err != nil {
			b.log.Info("transfer failed", "call", c.id, "err", err)
			final = "SIP/2.0 603 Declined"
		}
		b.notifyRefer(l, final, true)
	}()
}

// notifyRefer tells the transferring phone how its REFER went.
func (b *B2BUA) notifyRefer(l *leg, frag string, final bool) {
	state := "active;expires=60"
	if final {
		state = "terminated;reason=noresource"
	}
	ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
	defer cancel()
	_, err := l.request(ctx, sip.NOTIFY, []byte(frag+"\r\n"),
		sip.NewHeader("Event", "refer"),
		sip.NewHeader("Subscription-State", state),
		sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
	if err != nil {
		b.log.Debug("sip NOTIFY failed", "leg", l.id, "err", err)
	}
}

// legByCallID finds another dialog of the same phone by its Call-ID.
// B2BUA.mu is held.
func (b *B2BUA) legByCallID(ext *callfloor.Extension, callID string, not *leg) *leg {
	for _, m := range b.legs {
		if m != not && ext != nil && m.extID() == ext.ID && m.sipCallID() == callID {
			return m
		}
	}
	return nil
}

// parseReferTo reads a Refer-To value: the target's URI and, for an
// attended transfer, the Call-ID its Replaces parameter names.
func parseReferTo(v string) (target sip.Uri, replacesCallID string, err error) {
	raw := strings.TrimSpace(v)
	if i := strings.IndexByte(raw, '<'); i >= 0 {
		raw = raw[i+1:]
		j := strings.IndexByte(raw, '>')
		if j < 0 {
			return target, "", errors.New("b2bua: Refer-To without a closing >")
		}
		raw = raw[:j]
	}
	uri := raw
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		uri = raw[:i]
		q, err := url.ParseQuery(raw[i+1:])
		if err != nil {
			return target, "", err
		}
		replacesCallID = strings.TrimSpace(strings.SplitN(q.Get("Replaces"), ";", 2)[0])
	}
	if err := sip.ParseUri(uri, &target); err != nil {
		return target, "", err
	}
	if target.User == "" && replacesCallID == "" {
		return target, "", errors.New("b2bua: Refer-To names nobody")
	}
	return target, replacesCallID, nil
}
