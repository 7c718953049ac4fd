package b2bua

import (
	"context"
	"strings"
	"time"

	"github.com/callfloor/callfloor/sip/registrar"
	"github.com/callfloor/callfloor/webrtc"
	"github.com/emiago/sipgo/sip"
)

// A page phone that reloads, or whose network blips, loses its media
// (the peer connection fails) and its WebSocket, but not its call: the
// other party hears music while the browser leg is away, and when the
// agent's page registers again the B2BUA calls it back (auto answer) and
// puts the new leg in the old one's place, in every call the old one
// was in. The floor sees nothing: the call, its timers, notes and lines
// go on. A leg away for longer than Config.BrowserGrace ends its calls
// with ReasonPhoneLost.

// DefaultBrowserGrace is how long a call waits for its page phone to
// come back (Config.BrowserGrace).
const DefaultBrowserGrace = time.Minute

// watchPeer marks l away when its peer connection fails. It returns when
// the peer is closed (the leg released) or fails.
func (b *B2BUA) watchPeer(l *leg, p *webrtc.Peer) {
	go func() {
		<-p.Failed()
		b.browserLost(l, p)
	}()
}

// browserLost marks a browser leg away: the other parties hear music
// until it comes back. If the agent's page has registered again already,
// it is called back at once.
func (b *B2BUA) browserLost(l *leg, p *webrtc.Peer) {
	b.mu.Lock()
	if l.gone || l.peer != p || len(l.calls) == 0 || l.away {
		b.mu.Unlock()
		return
	}
	l.away, l.awaySince = true, b.cfg.Now()
	for _, c := range l.calls {
		c.remedia()
	}
	b.mu.Unlock()
	b.log.Info("page phone lost: its calls wait for it", "leg", l.id, "number", l.number, "grace", b.cfg.BrowserGrace)
	if b.newerBrowser(l) || l.moved {
		b.rejoin(l)
	}
}

// newerBrowser reports whether the leg's extension has a browser
// registration other than the one the leg was made with.
func (b *B2BUA) newerBrowser(l *leg) bool {
	if l.ext == nil {
		return false
	}
	for _, bind := range b.cfg.Registrar.Contacts(l.ext.AccountID, l.ext.ID) {
		if bind.Browser && bind.Source != l.browserSrc() {
			return true
		}
	}
	return false
}

// browserSrc is the address of the browser's connection the leg's
// dialog runs over.
func (l *leg) browserSrc() string {
	if d := l.target(); d != "" {
		return d
	}
	return l.in.InviteRequest.Source()
}

// partyHost is the host of the party's contact: for a page, the random
// *.invalid name its SIP stack keeps for as long as the page is open.
func (l *leg) partyHost() string {
	if l.in != nil {
		if c := l.in.InviteRequest.Contact(); c != nil {
			return strings.ToLower(c.Address.Host)
		}
		return ""
	}
	if c := l.out.InviteResponse.Contact(); c != nil {
		return strings.ToLower(c.Address.Host)
	}
	return ""
}

// followBrowsers moves the in-dialog requests of an extension's live page
// legs to the page's new connection, when the page's SIP stack (the same
// contact) registered again over a new WebSocket while its media went
// on: a WebSocket that dropped alone. A leg it moves is marked moved, so
// that a peer connection failing later still calls the page back.
func (b *B2BUA) followBrowsers(account, ext int64) {
	binds := b.cfg.Registrar.Contacts(account, ext)
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, l := range b.legs {
		if l.peer == nil || l.gone || l.away || l.ext == nil || l.ext.AccountID != account || l.ext.ID != ext {
			continue
		}
		host := l.partyHost()
		for _, bind := range binds {
			if !bind.Browser || bind.Source == l.browserSrc() || contactHost(bind.Contact) != host {
				continue
			}
			b.log.Info("page phone reconnected: its calls follow it", "leg", l.id, "from", l.browserSrc(), "to", bind.Source)
			l.moved = true
			l.retarget(bind.Source)
		}
	}
}

// contactHost is the host of a registered contact URI, lower case.
func contactHost(contact string) string {
	var u sip.Uri
	if err := sip.ParseUri(strings.Trim(contact, "<>"), &u); err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}

// watchRegistrations calls back the away page phones of an extension
// whose registrations changed (a page that reloaded registers again).
func (b *B2BUA) watchRegistrations(changes <-chan registrar.Change) {
	defer b.wg.Done()
	for {
		select {
		case <-b.quit:
			return
		case ch, ok := <-changes:
			if !ok {
				return
			}
			if !ch.Registered {
				continue
			}
			b.followBrowsers(ch.AccountID, ch.ExtensionID)
			for _, l := range b.awayLegs(ch.AccountID, ch.ExtensionID) {
				if b.newerBrowser(l) {
					b.spawn(func() { b.rejoin(l) })
				}
			}
		}
	}
}

// awayLegs are the away browser legs of an extension.
func (b *B2BUA) awayLegs(account, ext int64) []*leg {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []*leg
	for _, l := range b.legs {
		if l.away && !l.rejoining && l.ext != nil && l.ext.AccountID == account && l.ext.ID == ext {
			out = append(out, l)
		}
	}
	return out
}

// rejoin calls the agent's page back and puts the new leg in place of
// the away one, in each of its calls.
func (b *B2BUA) rejoin(l *leg) {
	b.mu.Lock()
	if !l.away || l.rejoining || l.gone || len(l.calls) == 0 {
		b.mu.Unlock()
		return
	}
	l.rejoining = true
	c := l.active
	if c == nil {
		c = l.calls[0]
	}
	from, codec := "", uint8(0)
	if i := c.side(l); i >= 0 {
		if o := c.legs[1-i]; o != nil {
			from, codec = o.number, payloadType(o)
		}
	}
	ext := l.ext
	b.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	nl, f := b.dialOut(ctx, outgoing{callID: c.id, accountID: ext.AccountID, ext: ext, from: from, codec: codec, autoAnswer: true}, func() {})
	b.mu.Lock()
	l.rejoining = false
	if f != nil {
		b.mu.Unlock()
		b.log.Info("page phone not called back; still waiting for it", "leg", l.id, "reason", f.reason)
		return
	}
	if l.gone || len(l.calls) == 0 {
		b.mu.Unlock()
		nl.hangup() // the call ended meanwhile
		return
	}
	for _, cc := range l.calls {
		if i := cc.side(l); i >= 0 {
			cc.legs[i] = nl
		}
		nl.calls = append(nl.calls, cc)
	}
	nl.active, nl.up = l.active, true
	if nl.active == nil {
		nl.active = c
	}
	l.calls, l.active, l.gone, l.away = nil, nil, true, false
	for _, cc := range nl.calls {
		if cf := cc.conf; cf != nil && cf.hub == l {
			if err := cf.rehub(nl); err != nil {
				b.log.Warn("page phone back, but not in its conference", "leg", nl.id, "err", err)
			}
		}
		cc.remedia()
	}
	b.mu.Unlock()
	b.log.Info("page phone back in its calls", "old", l.id, "new", nl.id, "number", nl.number)
	// The old dialog is gone with the page: forget it without a BYE.
	if l.in != nil {
		l.in.Close()
	} else if l.out != nil {
		l.out.Close()
	}
	l.release()
}

// expiredAway are the legs away for longer than the grace. B2BUA.mu is
// not held.
func (b *B2BUA) expiredAway(now time.Time) []*leg {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []*leg
	for _, l := range b.legs {
		if l.away && !l.rejoining && !l.gone && now.Sub(l.awaySince) >= b.cfg.BrowserGrace {
			l.away = false // reported once
			out = append(out, l)
		}
	}
	return out
}

// pageLost gives up on a page phone away for longer than the grace: a
// customer who came through a queue goes back to it (the agent leaves
// with ReasonPhoneLost and the ACD offers the call again, as the queue's
// rules say); every other call of the leg ends with ReasonPhoneLost.
func (b *B2BUA) pageLost(l *leg) {
	b.mu.Lock()
	var back []*call
	for _, c := range l.calls {
		if c.queue != 0 && c.conf == nil && c.answered {
			back = append(back, c)
		}
	}
	b.mu.Unlock()
	for _, c := range back {
		if err := b.handToQueue(c, l, c.queue, c.base.Number, true, ReasonPhoneLost); err != nil {
			b.log.Info("page phone lost: the caller could not go back to the queue", "call", c.id, "err", err)
			continue
		}
		b.log.Info("page phone lost: the caller goes back to the queue", "call", c.id, "queue", c.queue)
	}
	b.log.Info("page phone did not come back", "leg", l.id, "number", l.number)
	b.endLeg(l, ReasonPhoneLost)
}
