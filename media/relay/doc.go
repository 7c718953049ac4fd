// Package relay is the per-call RTP media switch of the PBX. A Leg is one
// call leg's RTP endpoint: a UDP socket of its own, the remote address and
// payload types from the peer's SDP, and symmetric RTP (it latches onto the
// address the first packet comes from, as NAT'd phones need). A Bridge
// joins two legs: each 20 ms packet from one leg goes to the other, its
// payload untouched when both legs use the same G.711 law and transcoded
// between PCMU and PCMA otherwise, its SSRC, sequence number and timestamp
// rewritten into the numbering of the outgoing stream so the far end sees
// one continuous stream whatever feeds it. RFC 4733 telephone-events are
// relayed with each leg's payload type and reported once per key press.
// A leg can be held: it then hears a tone.Generator (music on hold)
// encoded on a 20 ms ticker instead of the other leg, until unheld.
package relay
