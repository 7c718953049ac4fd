// Package b2bua is the back-to-back user agent of callfloor's PBX: it
// takes a call from one registered extension (the A leg), authenticated by
// the registrar's digest auth, and places a call of its own to the
// callee's registered contact (the B leg), with the media of both legs
// anchored on a relay bridge.
//
// A call to sip:<number>@... is routed to the extension with that number
// in the caller's account. The caller hears 100 Trying at once, 180
// Ringing when the callee rings, and 200 OK with the relay's SDP when the
// callee answers. A BYE from either side ends both; a CANCEL before the
// answer cancels the B leg (the caller gets 487). An unknown number is
// answered 404, a callee with no registered contact 480, an offer with no
// G.711 codec 488; other failures of the B leg are passed back to A.
//
// The B2BUA receives its requests on the registrar's SIP server
// (Registrar.Handle) and sends from its transports, so phones see one SIP
// address. Call progress is reported through Config.OnEvent.
package b2bua
