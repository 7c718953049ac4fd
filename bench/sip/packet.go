package main

import (
	"encoding/binary"
	"errors"
)

// The generator's RTP packets: a plain 12-byte RTP header (PCMU) and a
// 160-byte payload, one 20 ms frame. callfloor forwards PCMU to a PCMU leg
// without transcoding, rewriting only the header, so the payload carries
// what the receiving end needs: which call and direction the frame
// belongs to, its number in that stream and when it was sent.
const (
	rtpHeaderSize = 12
	frameBytes    = 160 // 20 ms of G.711 at 8 kHz
	packetSize    = rtpHeaderSize + frameBytes
	frameTicks    = 160
	frameInterval = 20 // ms
	payloadPCMU   = 0
	// silence is PCMU's encoding of a zero sample: the filler of a frame.
	silence = 0xFF
)

// magic opens every generator payload, so that stray datagrams are told
// apart.
var magic = [4]byte{'c', 'f', 'b', '1'}

// Directions of a call's audio.
const (
	dirAB = 0 // caller to callee: sent to the caller's relay leg
	dirBA = 1 // callee to caller: sent to the callee's relay leg
)

// frame is what a generator payload says.
type frame struct {
	Call uint32 // sipp's call number
	Dir  uint8  // dirAB or dirBA
	Seq  uint32 // 0, 1, 2... within the call's direction
	Sent int64  // nanoseconds since the generator's epoch
}

var errNotOurs = errors.New("not a generator packet")

// appendPacket appends the RTP packet of f to b.
func appendPacket(b []byte, f frame) []byte {
	b = append(b, 0x80, payloadPCMU)
	b = binary.BigEndian.AppendUint16(b, uint16(f.Seq))
	b = binary.BigEndian.AppendUint32(b, f.Seq*frameTicks)
	b = binary.BigEndian.AppendUint32(b, f.Call<<1|uint32(f.Dir))
	start := len(b)
	b = append(b, magic[:]...)
	b = binary.BigEndian.AppendUint32(b, f.Call)
	b = append(b, f.Dir)
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
	if len(p) < 21 || [4]byte(p[:4]) != magic || p[8] > dirBA {
		return frame{}, errNotOurs
	}
	return frame{
		Call: binary.BigEndian.Uint32(p[4:]),
		Dir:  p[8],
		Seq:  binary.BigEndian.Uint32(p[9:]),
		Sent: int64(binary.BigEndian.Uint64(p[13:])),
	}, nil
}
