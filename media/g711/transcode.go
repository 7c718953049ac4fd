package g711

// The transcoding tables map each code to the code of the other law whose
// level is nearest (decode, then encode). The two laws quantise differently,
// so a round trip may move a code to a neighbouring level (16 codes of each
// law do), never further.
var (
	ulawToALaw = nearestTable(DecodeULaw, EncodeALaw)
	alawToULaw = nearestTable(DecodeALaw, EncodeULaw)
)

func nearestTable(decode func(byte) int16, encode func(int16) byte) (t [256]byte) {
	for i := range t {
		t[i] = encode(decode(byte(i)))
	}
	return t
}

// ULawToALaw returns the A-law code for the mu-law code u.
func ULawToALaw(u byte) byte { return ulawToALaw[u] }

// ALawToULaw returns the mu-law code for the A-law code a.
func ALawToULaw(a byte) byte { return alawToULaw[a] }

// PCMUToPCMA transcodes the mu-law payload src into dst as A-law and
// returns the number of bytes written, the smaller of the two lengths.
// dst and src may be the same slice.
func PCMUToPCMA(dst, src []byte) int {
	n := min(len(dst), len(src))
	for i, u := range src[:n] {
		dst[i] = ulawToALaw[u]
	}
	return n
}

// PCMAToPCMU transcodes the A-law payload src into dst as mu-law and
// returns the number of bytes written, the smaller of the two lengths.
// dst and src may be the same slice.
func PCMAToPCMU(dst, src []byte) int {
	n := min(len(dst), len(src))
	for i, a := range src[:n] {
		dst[i] = alawToULaw[a]
	}
	return n
}
