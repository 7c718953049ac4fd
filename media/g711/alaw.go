package g711

// A-law works on 13-bit magnitudes, eight segments of sixteen steps each,
// with the even bits inverted on the line (the 0x55 mask).

var (
	alawDecode = decodeTable(alawToLinear)
	// alawEncode is indexed by the top 13 bits of the sample.
	alawEncode = func() (t [1 << 13]byte) {
		for i := range t {
			t[i] = linearToALaw(int16(i << 3))
		}
		return t
	}()
)

// decodeTable tabulates the decoding rule of a law.
func decodeTable(decode func(byte) int16) (t [256]int16) {
	for i := range t {
		t[i] = decode(byte(i))
	}
	return t
}

// EncodeALaw returns the A-law code of the linear sample s.
func EncodeALaw(s int16) byte { return alawEncode[uint16(s)>>3] }

// DecodeALaw returns the linear sample of the A-law code a.
func DecodeALaw(a byte) int16 { return alawDecode[a] }

// EncodePCMA encodes src into dst as A-law and returns the number of
// samples encoded, the smaller of the two lengths.
func EncodePCMA(dst []byte, src []int16) int {
	n := min(len(dst), len(src))
	for i, s := range src[:n] {
		dst[i] = alawEncode[uint16(s)>>3]
	}
	return n
}

// DecodePCMA decodes the A-law payload src into dst and returns the number
// of samples decoded, the smaller of the two lengths.
func DecodePCMA(dst []int16, src []byte) int {
	n := min(len(dst), len(src))
	for i, a := range src[:n] {
		dst[i] = alawDecode[a]
	}
	return n
}

// linearToALaw is the G.711 A-law rule; the tables are built from it.
func linearToALaw(s int16) byte {
	pcm := int(s) >> 3
	mask := byte(0xD5)
	if pcm < 0 {
		mask = 0x55
		pcm = -pcm - 1
	}
	seg := 0
	for end := 0x1F; seg < 8 && pcm > end; end = end<<1 | 1 {
		seg++
	}
	if seg >= 8 {
		return 0x7F ^ mask
	}
	a := byte(seg << 4)
	if seg < 2 {
		a |= byte(pcm>>1) & 0x0F
	} else {
		a |= byte(pcm>>seg) & 0x0F
	}
	return a ^ mask
}

func alawToLinear(a byte) int16 {
	a ^= 0x55
	t := int(a&0x0F) << 4
	switch seg := int(a&0x70) >> 4; seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t = (t + 0x108) << (seg - 1)
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}
