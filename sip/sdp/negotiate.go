package sdp

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// ErrNotAcceptable means the other side offers nothing callfloor can take
// (no G.711 over plain RTP): SIP answers it with 488 Not Acceptable Here.
var ErrNotAcceptable = errors.New("sdp: no acceptable audio (callfloor takes G.711 PCMU or PCMA over RTP/AVP)")

// DTMFPayloadType is the payload type callfloor offers for telephone-event.
const DTMFPayloadType = 101

// Local is callfloor's side of one call leg.
type Local struct {
	Addr netip.Addr
	Port int
	// SessionID and Version go into the o= line; Version grows with each
	// new offer in the dialog (a re-INVITE for hold, say).
	SessionID, Version uint64
	Direction          Direction
}

func (l Local) origin() string {
	return fmt.Sprintf("callfloor %d %d IN %s %s", l.SessionID, l.Version, ipVersion(l.Addr), l.Addr)
}

// Negotiated is what the two sides agreed on for a leg.
type Negotiated struct {
	Codec Format
	// DTMF is the telephone-event format, nil when the peer has none (then
	// DTMF can only travel in-band).
	DTMF *Format
	// Remote is where to send RTP.
	Remote netip.AddrPort
	// Direction is the stream's direction seen from callfloor's side.
	Direction Direction
}

// Offer is callfloor's offer: PCMU, PCMA and telephone-event, 20 ms.
func Offer(l Local) *Session {
	dir := l.Direction
	if dir == "" {
		dir = SendRecv
	}
	return &Session{Version: 0, Origin: l.origin(), Conn: l.Addr, Media: []Media{{
		Type: "audio", Port: l.Port, Proto: "RTP/AVP", Direction: dir, Ptime: 20,
		Formats: []Format{
			{PT: 0, Name: "PCMU", Rate: 8000},
			{PT: 8, Name: "PCMA", Rate: 8000},
			{PT: DTMFPayloadType, Name: "telephone-event", Rate: 8000, Fmtp: "0-16"},
		},
	}}}
}

// Answer answers a peer's offer: the first G.711 codec in the offerer's
// order of preference, its telephone-event if it has one, and the reverse
// of its direction (a peer putting us on hold with sendonly gets recvonly).
func Answer(offer *Session, l Local) (*Session, Negotiated, error) {
	m := offer.Audio()
	if m == nil || m.Port == 0 || m.Proto != "RTP/AVP" {
		return nil, Negotiated{}, ErrNotAcceptable
	}
	n := Negotiated{Remote: netip.AddrPortFrom(m.Conn, uint16(m.Port))}
	codec, dtmf := choose(m.Formats)
	if codec == nil {
		return nil, Negotiated{}, ErrNotAcceptable
	}
	n.Codec, n.DTMF = *codec, dtmf
	n.Direction = m.Direction.Reverse()
	if l.Direction == Inactive || (l.Direction == SendOnly && n.Direction == RecvOnly) {
		n.Direction = Inactive
	} else if l.Direction == SendOnly {
		n.Direction = SendOnly
	}
	formats := []Format{n.Codec}
	if n.DTMF != nil {
		formats = append(formats, *n.DTMF)
	}
	ans := &Session{Version: 0, Origin: l.origin(), Conn: l.Addr, Media: []Media{{
		Type: "audio", Port: l.Port, Proto: "RTP/AVP", Direction: n.Direction, Ptime: 20, Formats: formats,
	}}}
	return ans, n, nil
}

// ReadAnswer reads the peer's answer to callfloor's offer: it must have
// chosen one of the offered G.711 codecs.
func ReadAnswer(offer, answer *Session) (Negotiated, error) {
	om, am := offer.Audio(), answer.Audio()
	if om == nil || am == nil || am.Port == 0 {
		return Negotiated{}, ErrNotAcceptable
	}
	codec, dtmf := choose(am.Formats)
	if codec == nil || om.format(codec.PT) == nil {
		return Negotiated{}, ErrNotAcceptable
	}
	n := Negotiated{Codec: *codec, DTMF: dtmf, Remote: netip.AddrPortFrom(am.Conn, uint16(am.Port)),
		Direction: am.Direction.Reverse()}
	return n, nil
}

// choose returns the first G.711 format and the first 8 kHz
// telephone-event of formats.
func choose(formats []Format) (codec, dtmf *Format) {
	for i := range formats {
		f := formats[i]
		switch {
		case codec == nil && f.Rate == 8000 && (strings.EqualFold(f.Name, "PCMU") || strings.EqualFold(f.Name, "PCMA")):
			f.Name = strings.ToUpper(f.Name)
			codec = &f
		case dtmf == nil && f.Rate == 8000 && strings.EqualFold(f.Name, "telephone-event"):
			dtmf = &f
		}
	}
	return codec, dtmf
}
