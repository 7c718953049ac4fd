package relay

import "github.com/callfloor/callfloor/media/g711"

// transcode appends the audio payload src of payload type from to *b in
// payload type to: copied as it is when the types match, converted
// between PCMU and PCMA otherwise. It reports false, appending nothing,
// for any other pair or a payload that does not fit.
func transcode(b *[]byte, to, from uint8, src []byte) bool {
	n := len(*b)
	if n+len(src) > cap(*b) {
		return false
	}
	dst := (*b)[n : n+len(src)]
	switch {
	case to == from:
		copy(dst, src)
	case from == g711.PayloadTypePCMU && to == g711.PayloadTypePCMA:
		g711.PCMUToPCMA(dst, src)
	case from == g711.PayloadTypePCMA && to == g711.PayloadTypePCMU:
		g711.PCMAToPCMU(dst, src)
	default:
		return false
	}
	*b = (*b)[:n+len(src)]
	return true
}

// encode appends the linear samples pcm to *b encoded in payload type pt,
// PCMU or PCMA, and reports false, appending nothing, for any other type.
func encode(b *[]byte, pt uint8, pcm []int16) bool {
	n := len(*b)
	if n+len(pcm) > cap(*b) {
		return false
	}
	dst := (*b)[n : n+len(pcm)]
	switch pt {
	case g711.PayloadTypePCMU:
		g711.EncodePCMU(dst, pcm)
	case g711.PayloadTypePCMA:
		g711.EncodePCMA(dst, pcm)
	default:
		return false
	}
	*b = (*b)[:n+len(pcm)]
	return true
}
