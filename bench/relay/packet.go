package main

import (
	"encoding/binary"
	"errors"
)

// The generator's packets: a 12-byte RTP header (PCMU) and a 160-byte
// payload, one 20 ms frame. Both relays forward PCMU between PCMU legs
// without touching the payload, so it says what the receiving end needs:
// the phase, the call and direction, the frame's number in the phase and
// when it was sent.
const (
	rtpHeaderSize = 12
	frameBytes    = 160 // 20 ms of G.711 at 8 kHz
	packetSize    = rtpHeaderSize + frameBytes
	frameTicks    = 160 // RTP timestamp units per frame
	slots         = 20  // ms between a stream's frames
	payloadPCMU   = 0
	silence       = 0xFF // PCMU's zero sample
)

// magic opens every generator payload, so that stray datagrams (RTCP
// reports sent to the port above a phone's, say) are told apart.
var magic = [4]byte{'c', 'f', 'r', '1'}

// Directions of a call's audio.
const (
	dirAB = 0 // phone A to phone B: sent to the leg facing A
	dirBA = 1
)

// frame is what a generator payload says.
type frame struct {
	Phase    uint8
	Measured bool // sent while the phase's window was open
	Dir      uint8
	Call     uint32
	Seq      uint32 // 0, 1, 2... within the phase, per call and direction
	Sent     int64  // Unix ns
	// RTPSeq numbers the stream in the RTP header: it goes on from one
	// phase of a relay to its next, as a phone's stream would.
	RTPSeq uint32
}

var errNotOurs = errors.New("not a generator packet")

// appendPacket appends the RTP packet of f to b.
func appendPacket(b []byte, f frame) []byte {
	b = append(b, 0x80, payloadPCMU)
	b = binary.BigEndian.AppendUint16(b, uint16(f.Seq))
	b = binary.BigEndian.AppendUint32(b, f.Seq*frameTicks)
	b = binary.BigEndian.AppendUint32(b, (f.Call<<1|uint32(f.Dir))+1)
	start := len(b)
	b = append(b, magic[:]...)
	var measured byte
	if f.Measured {
		measured = 1
	}
	b = append(b, f.Phase, measured, f.Dir, 0)
	b = binary.BigEndian.AppendUint32(b, f.Call)
	b = binary.BigEndian.AppendUint32(b, f.Seq)
	b = binary.BigEndian.AppendUint64(b, uint64(f.Sent))
	for len(b)-start < frameBytes {
		b = append(b, silence)
	}
	return b
}

// parsePacket reads the frame of an RTP packet, whatever header the relay
// wrote (CSRCs, an extension and padding are skipped).
func parsePacket(b []byte) (frame, error) {
	if len(b) < rtpHeaderSize || b[0]>>6 != 2 {
		return frame{}, errNotOurs
	}
	off := rtpHeaderSize + 4*int(b[0]&0x0F)
	if b[0]&0x10 != 0 {
		if len(b) < off+4 {
			return frame{}, errNotOurs
		}
		off += 4 + 4*int(binary.BigEndian.Uint16(b[off+2:]))
	}
	end := len(b)
	if b[0]&0x20 != 0 {
		end -= int(b[end-1])
	}
	if end < off {
		return frame{}, errNotOurs
	}
	p := b[off:end]
	if len(p) < 24 || [4]byte(p[:4]) != magic || p[6] > dirBA || p[5] > 1 {
		return frame{}, errNotOurs
	}
	return frame{
		Phase:    p[4],
		Measured: p[5] == 1,
		Dir:      p[6],
		Call:     binary.BigEndian.Uint32(p[8:]),
		Seq:      binary.BigEndian.Uint32(p[12:]),
		Sent:     int64(binary.BigEndian.Uint64(p[16:])),
	}, nil
}
