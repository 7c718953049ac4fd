package b2bua

import (
	"context"
	"sync"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/media/relay"
	"github.com/callfloor/callfloor/sip/sdp"
	"github.com/callfloor/callfloor/webrtc"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// byeTimeout bounds the BYE (or NOTIFY) sent to a party.
const byeTimeout = 5 * time.Second

// leg is one SIP dialog of the B2BUA and its RTP endpoint. A leg is in
// one call, except an agent's phone leg, which is in every line the
// agent added from the workspace while on it (consultations, new lines):
// its media follows one of them, the active one. The graph of calls and
// legs is guarded by B2BUA.mu.
type leg struct {
	b *B2BUA
	// id is the dialog ID, as sipgo computes it for our side.
	id string
	// ext is the extension whose phone this is; nil for an outside party.
	ext    *callfloor.Extension
	number string
	media  *relay.Leg
	local  sdp.Local // our SDP side; Version goes up with each answer

	// Exactly one is set: in when the party called us, out when we
	// called it.
	in  *sipgo.DialogServerSession
	out *sipgo.DialogClientSession
	// dest and transport reach the party of an out leg (its
	// registration's source), and of any leg over a WebSocket (the
	// page's connection), for in-dialog requests. A page that reconnects
	// its WebSocket moves dest (retarget); destMu guards it.
	destMu          sync.Mutex
	dest, transport string
	// sendMu is held while an in-dialog request is built and sent:
	// sipgo addresses it from the dialog's INVITE (or its answer), whose
	// source retarget changes under sendMu.
	sendMu sync.Mutex
	// answered is closed once the dialog is confirmed (our 200 OK ACKed,
	// or the party's 200 OK to us received): no BYE may overtake it.
	answered chan struct{}

	calls  []*call // the calls the leg is in
	active *call   // the call its media follows
	up     bool    // answered
	// quiet: the party's SDP says it sends no audio (recvonly or
	// inactive), so the media watchdog leaves it alone.
	quiet bool
	// timer is the dialog's session timer (RFC 4028), nil for none.
	timer *sessionTimer
	// peer carries the media of a browser party (nil for others): the
	// relay endpoint talks plain RTP to it.
	peer *webrtc.Peer
	// away: the browser's media was lost (a reload, a network blip);
	// the call waits since awaySince for the page to come back, and
	// rejoining is set while it is being called back (rejoin.go).
	away, rejoining bool
	awaySince       time.Time
	gone            bool // BYE sent or received
	// moved: the page reconnected its WebSocket during the call
	// (followBrowsers); if its media fails later, the page registered
	// now is called back at once.
	moved bool
}

// extID is the leg's extension ID, 0 for an outside party.
func (l *leg) extID() int64 {
	if l == nil || l.ext == nil {
		return 0
	}
	return l.ext.ID
}

// in reports whether the leg is in call c.
func (l *leg) inCall(c *call) bool {
	for _, m := range l.calls {
		if m == c {
			return true
		}
	}
	return false
}

// drop takes c off the leg's calls; the leg is idle when none is left.
func (l *leg) drop(c *call) {
	for i, m := range l.calls {
		if m == c {
			l.calls = append(l.calls[:i], l.calls[i+1:]...)
			break
		}
	}
	if l.active == c {
		l.active = nil
	}
}

// hangup sends BYE (or CANCEL, for an out leg still ringing, through its
// context) and releases the leg. Call it without B2BUA.mu held; it
// blocks for up to byeTimeout.
func (l *leg) hangup() {
	ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
	defer cancel()
	l.sendMu.Lock()
	defer l.sendMu.Unlock()
	switch {
	case l.in != nil:
		select {
		case <-l.answered:
		case <-ctx.Done():
		}
		if err := l.in.Bye(ctx); err != nil {
			l.b.log.Debug("sip BYE failed", "leg", l.id, "err", err)
		}
		l.in.Close()
	case l.out != nil:
		if err := l.out.Bye(ctx); err != nil {
			l.b.log.Debug("sip BYE failed", "leg", l.id, "err", err)
		}
		l.out.Close()
	}
	l.release()
}

// release closes the leg's media and forgets it.
func (l *leg) release() {
	b := l.b
	b.mu.Lock()
	delete(b.legs, l.id)
	peer := l.peer
	b.mu.Unlock()
	if l.media != nil {
		if err := l.media.Close(); err != nil {
			b.log.Debug("relay close failed", "leg", l.id, "err", err)
		}
	}
	if peer != nil {
		if err := peer.Close(); err != nil {
			b.log.Debug("webrtc peer close failed", "leg", l.id, "err", err)
		}
	}
}

// request sends an in-dialog request (NOTIFY, UPDATE, re-INVITE) to the
// leg's party and waits for the final answer.
func (l *leg) request(ctx context.Context, method sip.RequestMethod, body []byte, hs ...sip.Header) (*sip.Response, error) {
	req := l.newRequest(method)
	for _, h := range hs {
		req.AppendHeader(h)
	}
	req.SetBody(body)
	l.sendMu.Lock()
	defer l.sendMu.Unlock()
	if l.in != nil {
		return l.in.Do(ctx, req)
	}
	return l.out.Do(ctx, req)
}

// newRequest is a request to the leg's party, addressed as its dialog
// says; the dialog session fills in the rest when it sends it.
func (l *leg) newRequest(method sip.RequestMethod) *sip.Request {
	var req *sip.Request
	switch {
	case l.in != nil:
		inv := l.in.InviteRequest
		req = sip.NewRequest(method, inv.Contact().Address)
		req.SetTransport(inv.Transport())
	default:
		target := l.out.InviteRequest.Recipient
		if c := l.out.InviteResponse.Contact(); c != nil {
			target = c.Address
		}
		req = sip.NewRequest(method, target)
		req.SetDestination(l.target())
		if l.transport != "" {
			req.SetTransport(l.transport)
		}
	}
	return req
}

// target is where the leg's in-dialog requests go ("" for an in leg
// answered where its requests come from).
func (l *leg) target() string {
	l.destMu.Lock()
	defer l.destMu.Unlock()
	return l.dest
}

// retarget sends the leg's in-dialog requests to dest from now on:
// target says so at once, and the dialog is readdressed once a request
// being sent has gone (a goroutine of the B2BUA's, as it may wait).
func (l *leg) retarget(dest string) {
	l.destMu.Lock()
	l.dest = dest
	l.destMu.Unlock()
	l.b.spawn(func() { l.readdress(dest) })
}

// readdress points the dialog's own record of the party's address, which
// sipgo sends in-dialog requests to, at dest.
func (l *leg) readdress(dest string) {
	l.sendMu.Lock()
	defer l.sendMu.Unlock()
	if l.in != nil {
		l.in.InviteRequest.SetSource(dest)
	} else if l.out.InviteResponse != nil {
		l.out.InviteResponse.SetSource(dest)
	}
}

// answerSDP is our SDP answer to offer, for the leg's media, with our
// session version raised (a re-INVITE's answer must change it when the
// session changed; raising it always is allowed).
func (l *leg) answerSDP(offer *sdp.Session) (*sdp.Session, sdp.Negotiated, error) {
	l.local.Version++
	return sdp.Answer(offer, l.local)
}

// sipCallID is the Call-ID of the leg's dialog.
func (l *leg) sipCallID() string {
	var req *sip.Request
	if l.in != nil {
		req = l.in.InviteRequest
	} else {
		req = l.out.InviteRequest
	}
	if h := req.CallID(); h != nil {
		return h.Value()
	}
	return ""
}
