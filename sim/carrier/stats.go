package carrier

import "maps"

// Stats counts what the carrier did since it started.
type Stats struct {
	// Outbound counts callfloor's calls by the outcome of their number.
	Outbound map[Outcome]int
	// OutboundAnswered counts the outbound calls answered (by a person
	// or a machine); OutboundCanceled those callfloor canceled while
	// they rang; OutboundHungUp those callfloor hung up (BYE) before the
	// carrier did.
	OutboundAnswered, OutboundCanceled, OutboundHungUp int
	// InboundPlaced counts the calls the carrier placed into callfloor;
	// InboundAnswered those callfloor answered, InboundBusy those it
	// answered 486 or 600, InboundAbandoned those the caller gave up on
	// after Inbound.Patience, InboundFailed the others.
	InboundPlaced, InboundAnswered, InboundBusy, InboundAbandoned, InboundFailed int
	// InboundFailures counts the failed calls by final status (0: no
	// final status, as when callfloor did not answer at all).
	InboundFailures map[int]int
	// InboundSkipped counts the arrivals not placed: at Inbound.MaxCalls,
	// or with neither Config.PBX nor a registration to send them to.
	InboundSkipped int
	// Active is the number of calls connected now, both ways.
	Active int
	// Digits counts the DTMF digits received (RFC 4733); LastDigits
	// holds the last 32 of them.
	Digits     int
	LastDigits string
	// RTPSent and RTPReceived count RTP packets; RTCPReceived the RTCP
	// packets that arrived (and were discarded).
	RTPSent, RTPReceived, RTCPReceived int64
}

func (s *Stats) init() {
	s.Outbound = map[Outcome]int{}
	s.InboundFailures = map[int]int{}
}

// Stats returns the counts so far.
func (c *Carrier) Stats() Stats {
	c.mu.Lock()
	s := c.stats
	s.Outbound = maps.Clone(c.stats.Outbound)
	s.InboundFailures = maps.Clone(c.stats.InboundFailures)
	s.Active = len(c.calls)
	c.mu.Unlock()
	s.RTPSent, s.RTPReceived, s.RTCPReceived = c.media.sent.Load(), c.media.received.Load(), c.media.rtcp.Load()
	return s
}

// count changes the stats under the lock.
func (c *Carrier) count(f func(s *Stats)) {
	c.mu.Lock()
	f(&c.stats)
	c.mu.Unlock()
}

// digit counts a DTMF digit received on a call.
func (c *Carrier) digit(callID string, key byte) {
	c.log.Info("carrier: DTMF received", "call", callID, "digit", string(key))
	c.count(func(s *Stats) {
		s.Digits++
		s.LastDigits += string(key)
		if n := len(s.LastDigits); n > 32 {
			s.LastDigits = s.LastDigits[n-32:]
		}
	})
}
