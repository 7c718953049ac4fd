package registrar

import "github.com/emiago/sipgo/sip"

// maxUDP is the largest SIP message sent over UDP: a datagram's payload.
const maxUDP = 65507

// RFC 3261 18.1.1 sends a request that is large (over 1,300 bytes) over
// a congestion-controlled transport instead of UDP, but a response goes
// back over UDP whatever its size (18.2.2). The SIP stack refuses every
// UDP message over 1,300 bytes, so a large answer (a 200 OK listing ten
// registrations, a challenge offering two algorithms) would never leave.
// The limit is lifted for the whole process; the B2BUA moves its own
// large requests to TCP where it can.
func init() { sip.UDPMTUSize = maxUDP + 200 }
