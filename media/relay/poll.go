package relay

// slot is a socket a poller reads and the leg it belongs to.
type slot struct {
	s    *sock
	leg  *Leg
	rtcp bool // the leg's RTCP socket, else its RTP one
}

// handle gives the leg a datagram its socket received from from. Work
// that must not run while the poller holds its lock (reports to code
// outside the package) is appended to after.
func (sl slot) handle(b []byte, from *sockaddr, after *[]func()) {
	if sl.rtcp {
		sl.leg.receiveRTCP(b, from.addrPort())
		return
	}
	sl.leg.receiveRTP(b, from, after)
}
