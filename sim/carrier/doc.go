// Package carrier is a simulated carrier for demonstrations: a SIP trunk
// peer that runs in the same process as callfloor and talks real SIP
// (UDP) and RTP (G.711, RFC 4733 telephone-event) with it over loopback.
//
// Calls callfloor places through the carrier are answered according to
// the dialled number's last digit (the Request-URI user; see OutcomeFor),
// so that every outcome can be shown:
//
//	last digit  outcome      what callfloor gets
//	0-4, 9      Answered     180, 200 (X-Answered-By: human) after
//	                         Outbound.Ring (1-4 s); a voice
//	                         talks; BYE after Outbound.Talk (15-60 s)
//	5           Busy         486 Busy Here at once
//	6           NoAnswer     180, then 480 Temporarily Unavailable after
//	                         Outbound.NoAnswer (60 s) unless canceled
//	7           Unreachable  503 Service Unavailable at once
//	8           Machine      180, 200 (X-Answered-By: machine) after
//	                         Outbound.Ring; a greeting
//	                         (Outbound.Greeting, 4 s), a 1 kHz beep of
//	                         0.5 s, silence; BYE after Outbound.Machine (20 s)
//	no digit    NotFound     404 Not Found at once
//
// Answered calls stay up until their time is over or callfloor sends
// BYE; a CANCEL while ringing gets 487. The carrier answers re-INVITEs
// (hold and resume), OPTIONS and INFO, and counts the DTMF digits it
// receives as RFC 4733 events.
//
// The carrier also places calls into callfloor: at Inbound.PerMinute, a
// Poisson process, it INVITEs sip:<DID>@<PBX> from its own SIP socket,
// with no credentials, from a caller number in Ofcom's drama range
// (+44 1632 960xxx), offering PCMU, PCMA and telephone-event; once
// answered it speaks for Inbound.Duration, then hangs up. If callfloor
// registered with the carrier (a registration trunk), the calls go to
// the registered Contact instead, which names the trunk.
//
// Every call has its own RTP socket (and RTCP on the port above): the
// carrier sends a 20 ms packet of its sound every 20 ms from the socket
// it receives on, and counts and discards what arrives. The sound is
// synthesised (Speech, an answering machine's greeting and beep); there
// are no audio files. Timing decisions (rings, talk, arrivals) run on
// Config.Clock and every random choice on Config.Rand, so tests drive
// both.
package carrier
