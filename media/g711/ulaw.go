package g711

// mu-law works on 14-bit magnitudes with a bias of 33 (0x84 in 16-bit
// units), eight segments of sixteen steps each.
const (
	ulawBias = 0x84
	ulawClip = 8159 // largest 14-bit magnitude before the bias
)

var (
	ulawDecode = decodeTable(ulawToLinear)
	// ulawEncode is indexed by the top 14 bits of the sample.
	ulawEncode = func() (t [1 << 14]byte) {
		for i := range t {
			t[i] = linearToULaw(int16(i << 2))
		}
		return t
	}()
)

// EncodeULaw returns the mu-law code of the linear sample s.
func EncodeULaw(s int16) byte { return ulawEncode[uint16(s)>>2] }

// DecodeULaw returns the linear sample of the mu-law code u.
func DecodeULaw(u byte) int16 { return ulawDecode[u] }

// EncodePCMU encodes src into dst as mu-law and returns the number of
// samples encoded, the smaller of the two lengths.
func EncodePCMU(dst []byte, src []int16) int {
	n := min(len(dst), len(src))
	for i, s := range src[:n] {
		dst[i] = ulawEncode[uint16(s)>>2]
	}
	return n
}

// DecodePCMU decodes the mu-law payload src into dst and returns the number
// of samples decoded, the smaller of the two lengths.
func DecodePCMU(dst []int16, src []byte) int {
	n := min(len(dst), len(src))
	for i, u := range src[:n] {
		dst[i] = ulawDecode[u]
	}
	return n
}

// linearToULaw is the G.711 mu-law rule; the tables are built from it.
func linearToULaw(s int16) byte {
	pcm := int(s) >> 2
	mask := byte(0xFF)
	if pcm < 0 {
		pcm = -pcm
		mask = 0x7F
	}
	pcm = min(pcm, ulawClip) + ulawBias>>2
	seg := 0
	for end := 0x3F; seg < 8 && pcm > end; end = end<<1 | 1 {
		seg++
	}
	if seg >= 8 {
		return 0x7F ^ mask
	}
	return (byte(seg<<4) | byte(pcm>>(seg+1))&0x0F) ^ mask
}

func ulawToLinear(u byte) int16 {
	u = ^u
	t := (int(u&0x0F)<<3 + ulawBias) << ((u & 0x70) >> 4)
	if u&0x80 != 0 {
		return int16(ulawBias - t)
	}
	return int16(t - ulawBias)
}
