// Package rtcp reads and writes the RTCP packets (RFC 3550) a call leg
// exchanges with its phone: sender and receiver reports, with the loss and
// jitter each side measures, inside compound packets that may also carry
// SDES, BYE and others, which are walked over.
package rtcp

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Packet types.
const (
	TypeSR   = 200
	TypeRR   = 201
	TypeSDES = 202
	TypeBYE  = 203
)

// ReportBlock is what a sender of reports says about one stream it
// receives.
type ReportBlock struct {
	SSRC uint32
	// FractionLost is the share of packets lost since the last report,
	// in 1/256ths; TotalLost the cumulative count (24 bits, signed).
	FractionLost uint8
	TotalLost    int32
	// HighestSeq is the extended highest sequence number received.
	HighestSeq uint32
	// Jitter is the interarrival jitter in RTP timestamp units.
	Jitter uint32
	// LastSR and DelaySinceLastSR let the sender compute round-trip time.
	LastSR, DelaySinceLastSR uint32
}

// SenderInfo is the sender's own counters in a sender report.
type SenderInfo struct {
	NTPTime       uint64
	RTPTime       uint32
	Packets, Octs uint32
}

// Report is a sender or receiver report.
type Report struct {
	SSRC   uint32
	Sender *SenderInfo // nil in a receiver report
	Blocks []ReportBlock
}

// ErrShort is returned for a packet shorter than its headers say.
var ErrShort = errors.New("rtcp: packet too short")

// Parse reads a compound RTCP packet and returns its sender and receiver
// reports; other packet types are skipped. It fails on anything that is
// not well-formed RTCP version 2.
func Parse(b []byte) ([]Report, error) {
	var out []Report
	if len(b) < 4 {
		return nil, ErrShort
	}
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, ErrShort
		}
		if v := b[0] >> 6; v != 2 {
			return nil, fmt.Errorf("rtcp: version %d", v)
		}
		count := int(b[0] & 0x1F)
		pt := b[1]
		n := (int(binary.BigEndian.Uint16(b[2:4])) + 1) * 4
		if n > len(b) {
			return nil, ErrShort
		}
		body := b[4:n]
		if b[0]&0x20 != 0 { // padding: the last byte says how much
			if len(body) == 0 || int(body[len(body)-1]) > len(body) {
				return nil, fmt.Errorf("rtcp: bad padding")
			}
			body = body[:len(body)-int(body[len(body)-1])]
		}
		switch pt {
		case TypeSR, TypeRR:
			r, err := parseReport(pt, count, body)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		b = b[n:]
	}
	return out, nil
}

func parseReport(pt uint8, count int, b []byte) (Report, error) {
	if len(b) < 4 {
		return Report{}, ErrShort
	}
	r := Report{SSRC: binary.BigEndian.Uint32(b)}
	b = b[4:]
	if pt == TypeSR {
		if len(b) < 20 {
			return Report{}, ErrShort
		}
		r.Sender = &SenderInfo{NTPTime: binary.BigEndian.Uint64(b), RTPTime: binary.BigEndian.Uint32(b[8:]),
			Packets: binary.BigEndian.Uint32(b[12:]), Octs: binary.BigEndian.Uint32(b[16:])}
		b = b[20:]
	}
	if len(b) < 24*count {
		return Report{}, ErrShort
	}
	for i := range count {
		p := b[24*i:]
		lost := int32(binary.BigEndian.Uint32(p[4:]) & 0xFFFFFF)
		if lost&0x800000 != 0 {
			lost -= 1 << 24
		}
		r.Blocks = append(r.Blocks, ReportBlock{
			SSRC: binary.BigEndian.Uint32(p), FractionLost: p[4], TotalLost: lost,
			HighestSeq: binary.BigEndian.Uint32(p[8:]), Jitter: binary.BigEndian.Uint32(p[12:]),
			LastSR: binary.BigEndian.Uint32(p[16:]), DelaySinceLastSR: binary.BigEndian.Uint32(p[20:]),
		})
	}
	return r, nil
}

// Append appends r as an SR (when r.Sender is set) or RR packet to b.
// At most 31 blocks fit.
func (r Report) Append(b []byte) ([]byte, error) {
	if len(r.Blocks) > 31 {
		return b, fmt.Errorf("rtcp: %d report blocks, at most 31", len(r.Blocks))
	}
	pt, words := uint8(TypeRR), 1+6*len(r.Blocks)
	if r.Sender != nil {
		pt, words = TypeSR, words+5
	}
	b = append(b, 2<<6|uint8(len(r.Blocks)), pt)
	b = binary.BigEndian.AppendUint16(b, uint16(words))
	b = binary.BigEndian.AppendUint32(b, r.SSRC)
	if s := r.Sender; s != nil {
		b = binary.BigEndian.AppendUint64(b, s.NTPTime)
		b = binary.BigEndian.AppendUint32(b, s.RTPTime)
		b = binary.BigEndian.AppendUint32(b, s.Packets)
		b = binary.BigEndian.AppendUint32(b, s.Octs)
	}
	for _, rb := range r.Blocks {
		b = binary.BigEndian.AppendUint32(b, rb.SSRC)
		b = binary.BigEndian.AppendUint32(b, uint32(rb.FractionLost)<<24|uint32(rb.TotalLost)&0xFFFFFF)
		b = binary.BigEndian.AppendUint32(b, rb.HighestSeq)
		b = binary.BigEndian.AppendUint32(b, rb.Jitter)
		b = binary.BigEndian.AppendUint32(b, rb.LastSR)
		b = binary.BigEndian.AppendUint32(b, rb.DelaySinceLastSR)
	}
	return b, nil
}

// AppendSDES appends an SDES packet with one chunk: ssrc's CNAME.
func AppendSDES(b []byte, ssrc uint32, cname string) []byte {
	if len(cname) > 255 {
		cname = cname[:255]
	}
	item := append([]byte{1, byte(len(cname))}, cname...)
	item = append(item, 0) // end of the item list
	for (4+len(item))%4 != 0 {
		item = append(item, 0)
	}
	words := (4 + len(item)) / 4
	b = append(b, 2<<6|1, TypeSDES)
	b = binary.BigEndian.AppendUint16(b, uint16(words))
	b = binary.BigEndian.AppendUint32(b, ssrc)
	return append(b, item...)
}

// NTP converts Unix nanoseconds to the 64-bit NTP timestamp of a sender
// report.
func NTP(unixNano int64) uint64 {
	const epoch = 2208988800 // seconds from 1900 to 1970
	sec := uint64(unixNano/1e9) + epoch
	frac := uint64(unixNano%1e9) << 32 / 1e9
	return sec<<32 | frac
}
