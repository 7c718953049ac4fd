package rtp

import (
	"encoding/binary"
	"errors"
)

// HeaderSize is the size of the fixed header Append writes.
const HeaderSize = 12

// Errors of Parse.
var (
	ErrShort   = errors.New("rtp: packet too short")
	ErrVersion = errors.New("rtp: not RTP version 2")
)

// Header is the part of an RTP header the media switch reads and rewrites.
type Header struct {
	Marker      bool
	PayloadType uint8 // 7 bits
	Seq         uint16
	Timestamp   uint32
	SSRC        uint32
}

// Parse reads the header of the packet b and returns it with the payload,
// a sub-slice of b without CSRCs, header extension or padding.
func Parse(b []byte) (Header, []byte, error) {
	if len(b) < HeaderSize {
		return Header{}, nil, ErrShort
	}
	if b[0]>>6 != 2 {
		return Header{}, nil, ErrVersion
	}
	h := Header{
		Marker:      b[1]&0x80 != 0,
		PayloadType: b[1] & 0x7F,
		Seq:         binary.BigEndian.Uint16(b[2:]),
		Timestamp:   binary.BigEndian.Uint32(b[4:]),
		SSRC:        binary.BigEndian.Uint32(b[8:]),
	}
	off := HeaderSize + 4*int(b[0]&0x0F)
	if b[0]&0x10 != 0 { // extension: 4-byte header, then length words
		if len(b) < off+4 {
			return Header{}, nil, ErrShort
		}
		off += 4 + 4*int(binary.BigEndian.Uint16(b[off+2:]))
	}
	end := len(b)
	if b[0]&0x20 != 0 { // padding: the last byte counts the padding bytes
		end -= int(b[end-1])
	}
	if end < off {
		return Header{}, nil, ErrShort
	}
	return h, b[off:end], nil
}

// Append appends h to b as a 12-byte version 2 header without padding,
// extension or CSRCs, and returns the extended slice.
func (h Header) Append(b []byte) []byte {
	second := h.PayloadType & 0x7F
	if h.Marker {
		second |= 0x80
	}
	b = append(b, 0x80, second)
	b = binary.BigEndian.AppendUint16(b, h.Seq)
	b = binary.BigEndian.AppendUint32(b, h.Timestamp)
	return binary.BigEndian.AppendUint32(b, h.SSRC)
}
