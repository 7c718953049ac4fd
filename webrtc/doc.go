// Package webrtc terminates the media of browser phones: ICE on one UDP
// port shared by every call, DTLS-SRTP, and PCMU, PCMA and
// telephone-event only (pion/webrtc). Each browser leg is a Peer, which
// hands the browser's audio to the media relay as plain RTP on loopback
// and sends the browser what the relay sends back, so a browser's leg
// plugs into the relay like any softphone's.
package webrtc
