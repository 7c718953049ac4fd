// Package relay is the per-call RTP media switch of the PBX. A Leg is one
// call leg's RTP endpoint: a UDP port of its own, the remote address and
// payload types from the peer's SDP, and symmetric RTP (it latches onto the
// address the first packet comes from, as NAT'd phones need). A Bridge
// joins two legs: each 20 ms packet from one leg goes to the other, its
// payload untouched when both legs use the same G.711 law and transcoded
// between PCMU and PCMA otherwise, its SSRC, sequence number and timestamp
// rewritten into the numbering of the outgoing stream so the far end sees
// one continuous stream whatever feeds it. RFC 4733 telephone-events are
// relayed with each leg's payload type and reported once per key press.
// Beyond a bridge, legs are routed one by one (route.go): Connect, Play a
// tone.Generator (music on hold, beeps), Silence, mute, send RFC 4733 digits,
// or mix three or more in a Conference. A held leg hears a generator
// encoded on a 20 ms ticker instead of the other leg, until unheld. Each
// leg also has an RTCP socket on the port above its RTP one: it sends
// sender or receiver reports (its counters, the loss and interarrival
// jitter it measures) every 5 s and keeps what the phone reports back.
//
// No leg has a goroutine of its own. A few pollers (one for each CPU Go
// uses, at most 8) each wait on the sockets of many legs with one epoll
// instance, itself parked in Go's network poller, and handle every
// socket ready at a wake-up with one receive and one send system call a
// packet (poll_linux.go); reports go out on timers. Elsewhere than Linux
// each socket has a reader goroutine instead (poll_other.go).
package relay
