package b2bua

import (
	"context"
	"strings"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/sip/sdp"
	"github.com/callfloor/callfloor/webrtc"
)

// Browser legs. A party whose SDP uses DTLS-SRTP (UDP/TLS/RTP/SAVPF), or
// a registration from a browser, gets its media through the WebRTC
// endpoint (Config.WebRTC): the leg's relay endpoint then talks plain
// RTP to the leg's webrtc.Peer on loopback, and everything else (routing,
// music, conference, the watchdog) is as for any phone.

// isWebRTC reports whether an SDP is a browser's (DTLS-SRTP).
func isWebRTC(s *sdp.Session) bool {
	m := s.Audio()
	return m != nil && strings.Contains(m.Proto, "SAVP")
}

// webrtcCodec is the payload type a browser's offer will get: PCMU or
// PCMA, whichever it lists first; -1 when it lists neither.
func webrtcCodec(s *sdp.Session) int {
	m := s.Audio()
	if m == nil {
		return -1
	}
	for _, f := range m.Formats {
		switch strings.ToUpper(f.Name) {
		case "PCMU":
			return 0
		case "PCMA":
			return 8
		}
		if f.Name == "" && (f.PT == 0 || f.PT == 8) {
			return int(f.PT)
		}
	}
	return -1
}

// answerOffer answers a party's offer (its INVITE's, a re-INVITE's or an
// UPDATE's) and points the leg's media at the party: through the leg's
// WebRTC peer for a browser, directly otherwise. raw is the offer as
// received. B2BUA.mu is not held.
func (l *leg) answerOffer(ctx context.Context, raw []byte, offer *sdp.Session) ([]byte, error) {
	b := l.b
	if !isWebRTC(offer) {
		b.mu.Lock()
		ans, n, err := l.answerSDP(offer)
		b.mu.Unlock()
		if err != nil {
			return nil, err
		}
		setRemote(l.media, n)
		return ans.Marshal(), nil
	}
	if b.cfg.WebRTC == nil {
		return nil, sdp.ErrNotAcceptable
	}
	b.mu.Lock()
	p := l.peer
	b.mu.Unlock()
	var ans string
	var err error
	if p == nil {
		if p, ans, err = b.cfg.WebRTC.Answer(ctx, string(raw)); err == nil {
			b.mu.Lock()
			l.peer = p
			b.mu.Unlock()
			b.watchPeer(l, p)
		}
	} else {
		ans, err = p.Renegotiate(ctx, string(raw))
	}
	if err != nil {
		return nil, err
	}
	l.linkPeer(p)
	return []byte(ans), nil
}

// linkPeer joins the leg's relay endpoint and its WebRTC peer p.
func (l *leg) linkPeer(p *webrtc.Peer) {
	audio, event := p.PayloadTypes()
	l.media.SetRemote(p.RTPAddr(), audio)
	if event >= 0 {
		l.media.SetEventPayloadType(uint8(event))
	}
	p.Connect(l.media.LocalAddr())
}

// engineRings reports whether an agent's call rings a registration: the
// Agent tab's phone engine decides, WebRTC ringing only the page (a
// browser's registration) and External Client only softphones. An
// extension that is no agent rings all its registrations.
func engineRings(ext *callfloor.Extension, browser bool) bool {
	if ext == nil || !ext.Agent.Enabled {
		return true
	}
	switch ext.Agent.PhoneEngine {
	case callfloor.PhoneWebRTC:
		return browser
	case callfloor.PhoneExternal:
		return !browser
	}
	return true
}

// probeCodec checks a caller's offer before anyone rings, and returns
// the payload type the caller's leg will use, to offer first to the
// callee (same codec both sides: no transcoding).
func (b *B2BUA) probeCodec(offer *sdp.Session) (uint8, error) {
	if isWebRTC(offer) {
		pt := webrtcCodec(offer)
		if b.cfg.WebRTC == nil || pt < 0 {
			return 0, sdp.ErrNotAcceptable
		}
		return uint8(pt), nil
	}
	_, n, err := sdp.Answer(offer, sdp.Local{Addr: b.cfg.MediaIP, Port: 9})
	return n.Codec.PT, err
}
