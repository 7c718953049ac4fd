package b2bua

import (
	"context"
	"time"

	"github.com/callfloor/callfloor/media/g711"
	"github.com/callfloor/callfloor/media/rtp"
	"github.com/callfloor/callfloor/media/tone"
)

// Audio checks for the call tests: phones speak a sine tone each, in real
// time, and the tests check which tones each phone hears.

// tones are the phones' frequencies, by extension number.
var tones = map[string]float64{"100": 440, "200": 1000, "300": 1700, "carrier": 2300}

func decodeAudio(pt uint8, payload []byte) []int16 {
	pcm := make([]int16, len(payload))
	switch pt {
	case g711.PayloadTypePCMU:
		g711.DecodePCMU(pcm, payload)
	case g711.PayloadTypePCMA:
		g711.DecodePCMA(pcm, payload)
	default:
		return nil
	}
	return pcm
}

// speak sends the phone's tone to its RTP peer every 20 ms until the test
// ends, or until the function it returns is called (the phone goes
// silent, as a phone whose process died).
func (p *phone) speak() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	stop = func() { cancel(); <-done }
	p.t.Cleanup(stop)
	gen := tone.NewSine(tones[p.ext.Number], -12)
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		frame := make([]int16, tone.FrameSamples)
		h := rtp.Header{SSRC: 0xABC0 + uint32(len(p.ext.Number))}
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			to, pt := p.remoteAddr(), p.payloadType()
			if !to.IsValid() {
				continue
			}
			gen.Fill(frame)
			b := make([]byte, len(frame))
			if pt == g711.PayloadTypePCMA {
				g711.EncodePCMA(b, frame)
			} else {
				g711.EncodePCMU(b, frame)
			}
			h.PayloadType = pt
			_, _ = p.rtp.WriteToUDPAddrPort(append(h.Append(nil), b...), to)
			h.Seq++
			h.Timestamp += 160
		}
	}()
	return stop
}

// listen drops what the phone heard so far, then returns what it hears
// in the next d.
func (p *phone) listen(d time.Duration) []int16 {
	for drained := false; !drained; {
		select {
		case <-p.audio:
		default:
			drained = true
		}
	}
	var pcm []int16
	end := time.After(d)
	for {
		select {
		case f := <-p.audio:
			pcm = append(pcm, f...)
		case <-end:
			return pcm
		}
	}
}

// hears checks that the phone hears exactly the tones of the numbers
// given (none: silence or music, but none of the phones' tones).
func (p *phone) hears(numbers ...string) {
	p.t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		pcm := p.listen(300 * time.Millisecond)
		bad := ""
		for n, f := range tones {
			want := false
			for _, m := range numbers {
				want = want || m == n
			}
			l := tone.Level(pcm, f)
			if want && l < 1000 {
				bad = n + " missing"
			}
			if !want && l > 300 {
				bad = n + " heard"
			}
		}
		if bad == "" && (len(numbers) == 0 || len(pcm) > 0) {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: %s (heard %d samples)", p.ext.Number, bad, len(pcm))
		}
	}
}

// hearsMusic checks that the phone hears sound that is none of the
// phones' tones (music on hold).
func (p *phone) hearsMusic() {
	p.t.Helper()
	p.hears()
	pcm := p.listen(400 * time.Millisecond)
	var energy float64
	for _, s := range pcm {
		energy += float64(s) * float64(s)
	}
	if len(pcm) == 0 || energy/float64(len(pcm)) < 100*100 {
		p.t.Fatalf("%s hears no music (%d samples)", p.ext.Number, len(pcm))
	}
}

// hearsNothing checks that no audio reaches the phone.
func (p *phone) hearsNothing() {
	p.t.Helper()
	time.Sleep(100 * time.Millisecond)
	if pcm := p.listen(300 * time.Millisecond); len(pcm) > 0 {
		var energy float64
		for _, s := range pcm {
			energy += float64(s) * float64(s)
		}
		if energy/float64(len(pcm)) > 10*10 {
			p.t.Fatalf("%s hears sound, want silence", p.ext.Number)
		}
	}
}
