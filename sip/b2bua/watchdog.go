package b2bua

import (
	"time"

	"github.com/callfloor/callfloor/sip/sdp"
)

// DefaultMediaTimeout is how long a party may send no RTP and no RTCP
// before its calls end (Config.MediaTimeout).
const DefaultMediaTimeout = 30 * time.Second

// lastHeard is the media watchdog's memory of one leg: the leg's count of
// packets received when it last changed, and when that was.
type lastHeard struct {
	count uint64
	since time.Time
}

// watchInterval is how often the watchdog looks: a fifth of the timeout,
// so a silent party is caught at most a fifth late, within 50 ms to 5 s.
func watchInterval(timeout time.Duration) time.Duration {
	return min(max(timeout/5, 50*time.Millisecond), 5*time.Second)
}

// background runs the B2BUA's timers until Close: the media watchdog
// and the session timers.
//
// The media watchdog: a party that is in a call but has sent nothing (no
// RTP, no RTCP) for Config.MediaTimeout has gone without a BYE (a
// process killed, a network lost), and every call it is in ends with
// ReasonMediaTimeout. A leg is watched only while it is answered and is
// expected to send: not while its party or its call holds, nor when its
// SDP says it sends nothing.
func (b *B2BUA) background() {
	defer b.wg.Done()
	every := min(max(b.cfg.MinSE/8, 50*time.Millisecond), time.Second)
	if b.cfg.MediaTimeout > 0 {
		every = min(every, watchInterval(b.cfg.MediaTimeout))
	}
	t := time.NewTicker(every)
	defer t.Stop()
	seen := map[*leg]lastHeard{}
	for {
		select {
		case <-b.quit:
			return
		case <-t.C:
		}
		now := b.cfg.Now()
		var silent []*leg
		if b.cfg.MediaTimeout > 0 {
			silent = b.silentLegs(now, seen)
		}
		refresh, expired := b.dueTimers(now)
		for _, l := range b.expiredAway(now) {
			b.spawn(func() { b.pageLost(l) })
		}
		for _, l := range silent {
			b.spawn(func() { b.mediaTimeout(l) })
		}
		for _, l := range refresh {
			b.spawn(func() { b.refresh(l) })
		}
		for _, l := range expired {
			b.spawn(func() {
				b.log.Info("call ended: the session was not refreshed", "leg", l.id, "number", l.number)
				b.endLeg(l, ReasonSessionExpired)
			})
		}
	}
}

// spawn runs f in a goroutine Close waits for. Only the background
// goroutine calls it, so the wait group is never at zero meanwhile.
func (b *B2BUA) spawn(f func()) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		f()
	}()
}

// silentLegs updates seen with what each watched leg has received and
// returns the legs silent for the timeout. Legs no longer watched are
// forgotten, so a leg watched again (taken off hold) starts afresh.
func (b *B2BUA) silentLegs(now time.Time, seen map[*leg]lastHeard) []*leg {
	b.mu.Lock()
	defer b.mu.Unlock()
	var silent []*leg
	for l := range seen {
		if !l.watched() {
			delete(seen, l)
		}
	}
	for _, l := range b.legs {
		if !l.watched() {
			continue
		}
		n := l.media.Heard()
		h, ok := seen[l]
		if !ok || h.count != n {
			h = lastHeard{count: n, since: now}
			seen[l] = h
		}
		if now.Sub(h.since) >= b.cfg.MediaTimeout {
			silent = append(silent, l)
			delete(seen, l)
		}
	}
	return silent
}

// watched reports whether the leg's party is expected to send media now:
// the leg is answered and in a call, its SDP does not say it sends
// nothing, and no call it is in is on hold by its side (a phone that
// holds may legitimately go quiet). B2BUA.mu is held.
func (l *leg) watched() bool {
	if !l.up || l.gone || l.quiet || l.away || l.media == nil || len(l.calls) == 0 {
		return false
	}
	for _, c := range l.calls {
		if i := c.side(l); i >= 0 && c.held[i] {
			return false
		}
	}
	return true
}

// mediaTimeout ends every call of a leg whose party went silent. The
// silent leg ends the calls as a hang-up would, so they end now rather
// than after a BYE to a party that may never answer it; it is sent one
// all the same, as a party that lost only its media may still be there.
func (b *B2BUA) mediaTimeout(l *leg) {
	b.log.Warn("call ended: no media from a party", "leg", l.id, "number", l.number,
		"timeout", b.cfg.MediaTimeout)
	b.endLeg(l, ReasonMediaTimeout)
}

// sendsNothing reports whether a party's SDP says it sends no audio.
func sendsNothing(s *sdp.Session) bool {
	m := s.Audio()
	return m != nil && (m.Direction == sdp.RecvOnly || m.Direction == sdp.Inactive)
}
