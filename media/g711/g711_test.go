package g711

import (
	"math"
	"testing"
)

func TestReferenceValues(t *testing.T) {
	tests := []struct {
		law  string
		code byte
		want int16
	}{
		{"mu", 0xFF, 0},
		{"mu", 0x7F, 0},
		{"mu", 0xFE, 8},
		{"mu", 0x7E, -8},
		{"mu", 0x80, 32124},
		{"mu", 0x00, -32124},
		{"A", 0xD5, 8},
		{"A", 0x55, -8},
		{"A", 0xD4, 24},
		{"A", 0xAA, 32256},
		{"A", 0x2A, -32256},
	}
	for _, tc := range tests {
		got := DecodeALaw(tc.code)
		if tc.law == "mu" {
			got = DecodeULaw(tc.code)
		}
		if got != tc.want {
			t.Errorf("%s-law %#02x decodes to %d, want %d", tc.law, tc.code, got, tc.want)
		}
	}
}

func TestEncodeReference(t *testing.T) {
	tests := []struct {
		s          int16
		pcmu, pcma byte
	}{
		{0, 0xFF, 0xD5},
		{-1, 0x7E, 0x55}, // -1 >> 2 is -1: both laws put it in the first negative step
		{8, 0xFE, 0xD5},
		{-8, 0x7E, 0x55},
		{32767, 0x80, 0xAA},
		{-32768, 0x00, 0x2A},
	}
	for _, tc := range tests {
		if got := EncodeULaw(tc.s); got != tc.pcmu {
			t.Errorf("EncodeULaw(%d) = %#02x, want %#02x", tc.s, got, tc.pcmu)
		}
		if got := EncodeALaw(tc.s); got != tc.pcma {
			t.Errorf("EncodeALaw(%d) = %#02x, want %#02x", tc.s, got, tc.pcma)
		}
	}
}

func TestEveryCodeRoundTrips(t *testing.T) {
	for i := range 256 {
		c := byte(i)
		if got := EncodeALaw(DecodeALaw(c)); got != c {
			t.Errorf("A-law %#02x: encode(decode) = %#02x", c, got)
		}
		want := c
		if c == 0x7F { // mu-law's negative zero decodes to 0, which encodes as 0xFF
			want = 0xFF
		}
		if got := EncodeULaw(DecodeULaw(c)); got != want {
			t.Errorf("mu-law %#02x: encode(decode) = %#02x, want %#02x", c, got, want)
		}
	}
}

// TestEncodeIsNearest checks every 16-bit sample encodes to a code whose
// level is within one quantisation step, and that decoding is monotonic.
func TestEncodeIsNearest(t *testing.T) {
	for s := math.MinInt16; s <= math.MaxInt16; s++ {
		for _, law := range []struct {
			name   string
			enc    func(int16) byte
			dec    func(byte) int16
			maxErr int
		}{
			{"mu", EncodeULaw, DecodeULaw, 1024},
			{"A", EncodeALaw, DecodeALaw, 1024},
		} {
			got := int(law.dec(law.enc(int16(s))))
			if d := abs(got - s); d > law.maxErr || (abs(s) < 32000 && d > abs(s)/16+16) {
				t.Fatalf("%s-law: %d comes back as %d", law.name, s, got)
			}
		}
	}
}

func TestTranscodeRoundTrip(t *testing.T) {
	moved := 0
	for i := range 256 {
		for _, tc := range []struct {
			name       string
			there      func(byte) byte
			back       func(byte) byte
			dec, other func(byte) int16
		}{
			{"A", ALawToULaw, ULawToALaw, DecodeALaw, DecodeULaw},
			{"mu", ULawToALaw, ALawToULaw, DecodeULaw, DecodeALaw},
		} {
			c := byte(i)
			mid := tc.there(c)
			back := tc.back(mid)
			orig, trip := int(tc.dec(c)), int(tc.dec(back))
			// The level in the other law is within a step of the original.
			if d := abs(int(tc.other(mid)) - orig); d > abs(orig)/8+8 {
				t.Errorf("%s %#02x (%d) transcodes to level %d", tc.name, c, orig, tc.other(mid))
			}
			if back == c || (tc.name == "mu" && orig == 0 && trip == 0) {
				continue
			}
			moved++
			if d := abs(trip - orig); d > abs(orig)/16+8 {
				t.Errorf("%s %#02x (%d) round trips to %#02x (%d)", tc.name, c, orig, back, trip)
			}
		}
	}
	if moved > 32 {
		t.Errorf("%d codes moved in a round trip, want at most 32", moved)
	}
}

func TestFrameFunctions(t *testing.T) {
	var pcm [FrameSamples]int16
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/SampleRate))
	}
	var u, a, ua, au [FrameSamples]byte
	if n := EncodePCMU(u[:], pcm[:]); n != FrameSamples {
		t.Fatalf("EncodePCMU wrote %d", n)
	}
	EncodePCMA(a[:], pcm[:])
	PCMUToPCMA(ua[:], u[:])
	PCMAToPCMU(au[:], a[:])
	var du, da [FrameSamples]int16
	DecodePCMU(du[:], u[:])
	DecodePCMA(da[:], a[:])
	for i := range pcm {
		if u[i] != EncodeULaw(pcm[i]) || a[i] != EncodeALaw(pcm[i]) {
			t.Fatalf("sample %d: frame and sample encoders differ", i)
		}
		if du[i] != DecodeULaw(u[i]) || da[i] != DecodeALaw(a[i]) {
			t.Fatalf("sample %d: frame and sample decoders differ", i)
		}
		if ua[i] != ULawToALaw(u[i]) || au[i] != ALawToULaw(a[i]) {
			t.Fatalf("sample %d: frame and sample transcoders differ", i)
		}
	}
	// In place, and shorter destinations.
	in := u
	PCMUToPCMA(in[:], in[:])
	if in != ua {
		t.Error("in-place PCMUToPCMA differs")
	}
	if n := PCMAToPCMU(make([]byte, 10), a[:]); n != 10 {
		t.Errorf("short dst: n = %d", n)
	}
	if n := DecodePCMA(make([]int16, 200), a[:]); n != FrameSamples {
		t.Errorf("long dst: n = %d", n)
	}
}

func TestNoAllocs(t *testing.T) {
	var pcm [FrameSamples]int16
	var b, c [FrameSamples]byte
	allocs := testing.AllocsPerRun(100, func() {
		EncodePCMU(b[:], pcm[:])
		PCMUToPCMA(c[:], b[:])
		PCMAToPCMU(b[:], c[:])
		DecodePCMA(pcm[:], c[:])
	})
	if allocs != 0 {
		t.Errorf("%v allocations per frame", allocs)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func BenchmarkPCMUToPCMA(b *testing.B) {
	var src, dst [FrameSamples]byte
	for i := range src {
		src[i] = byte(i)
	}
	b.SetBytes(FrameSamples)
	for b.Loop() {
		PCMUToPCMA(dst[:], src[:])
	}
}

func BenchmarkEncodePCMU(b *testing.B) {
	var src [FrameSamples]int16
	var dst [FrameSamples]byte
	for i := range src {
		src[i] = int16(i * 200)
	}
	b.SetBytes(FrameSamples)
	for b.Loop() {
		EncodePCMU(dst[:], src[:])
	}
}

func BenchmarkDecodePCMA(b *testing.B) {
	var src [FrameSamples]byte
	var dst [FrameSamples]int16
	for i := range src {
		src[i] = byte(i)
	}
	b.SetBytes(FrameSamples)
	for b.Loop() {
		DecodePCMA(dst[:], src[:])
	}
}
