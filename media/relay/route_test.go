package relay

import (
	"testing"
	"time"

	"github.com/callfloor/callfloor/media/dtmf"
	"github.com/callfloor/callfloor/media/jitter"
	"github.com/callfloor/callfloor/media/mixer"
	"github.com/callfloor/callfloor/media/tone"
)

// attached is a fake phone and the leg it talks to.
type attached struct {
	p *phone
	l *Leg
}

func attach(t *testing.T, pt uint8, freq float64, tick manualTicker) attached {
	t.Helper()
	l, err := Listen(Options{NewTicker: tick.new})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	p := newPhone(t, pt, tone.NewSine(freq, -12))
	l.SetRemote(p.addr(), pt)
	return attached{p: p, l: l}
}

func (a attached) say(n int) { a.p.frames(a.l.LocalAddr(), n) }

func TestConnectMovesAParty(t *testing.T) {
	// A talks to B, then A is connected to C (a transfer): A hears C and
	// C hears A, and B hears nothing more.
	tick := make(manualTicker)
	a, b, c := attach(t, pcmu, 440, tick), attach(t, pcma, 1000, tick), attach(t, pcmu, 1700, tick)
	Connect(a.l, b.l)
	a.say(5)
	hears3(t, decode(t, b.p.recv(5), pcma), 440)
	Connect(a.l, c.l)
	a.say(5)
	hears3(t, decode(t, c.p.recv(5), pcmu), 440)
	c.say(5)
	hears3(t, decode(t, a.p.recv(5), pcmu), 1700)
	b.say(5) // B's peer is still A, but A no longer listens to B
	waitFor(t, "B's frames", func() bool { return b.l.Stats().PacketsIn == 5 })
	a.p.quiet(30 * time.Millisecond)
	b.p.quiet(0)
}

func TestMuteSilencesOneWay(t *testing.T) {
	tick := make(manualTicker)
	a, b := attach(t, pcmu, 440, tick), attach(t, pcmu, 1000, tick)
	Connect(a.l, b.l)
	a.l.SetMuted(true)
	if !a.l.Muted() {
		t.Fatal("Muted() false after SetMuted(true)")
	}
	a.say(5)
	waitFor(t, "A's frames", func() bool { return a.l.Stats().PacketsIn == 5 })
	b.p.quiet(30 * time.Millisecond)
	b.say(3) // the muted side still hears
	a.p.recv(3)
	a.l.SetMuted(false)
	a.say(3)
	b.p.recv(3)
}

func TestSilenceAndListen(t *testing.T) {
	tick := make(manualTicker)
	a, b := attach(t, pcmu, 440, tick), attach(t, pcmu, 1000, tick)
	Connect(a.l, b.l)
	b.l.Play(tone.NewMusic())
	a.l.Silence()
	b.say(5)
	waitFor(t, "B's frames", func() bool { return b.l.Stats().PacketsIn == 5 })
	a.p.quiet(30 * time.Millisecond)
	tick <- time.Time{}
	if n := len(b.p.recv(1)); n != 1 {
		t.Fatal("no music")
	}
	a.l.Listen(b.l)
	b.l.Listen(a.l)
	b.say(3)
	hears3(t, decode(t, a.p.recv(3), pcmu), 1000)
}

func TestSendDigits(t *testing.T) {
	tick := make(manualTicker)
	a := attach(t, pcmu, 440, tick)
	a.l.SetEventPayloadType(96)
	done := make(chan error, 1)
	go func() { done <- a.l.SendDigits("1#", 40*time.Millisecond) }()
	var det dtmf.Detector
	var got []dtmf.Press
	for len(got) < 2 {
		select {
		case tick <- time.Time{}:
		case pk := <-a.p.got:
			if pk.h.PayloadType != 96 {
				t.Fatalf("payload type %d, want 96", pk.h.PayloadType)
			}
			got, _ = det.Feed(got, pk.h.Timestamp, pk.h.Marker, pk.payload)
		case <-time.After(2 * time.Second):
			t.Fatalf("presses so far %+v", got)
		}
	}
	for range 10 {
		select {
		case tick <- time.Time{}:
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			if got[0].Key != '1' || got[1].Key != '#' || !got[0].Ended || !got[1].Ended {
				t.Fatalf("presses %+v, want 1 then #", got)
			}
			if err := a.l.SendDigits("x", time.Millisecond); err == nil {
				t.Fatal("an unknown key was accepted")
			}
			return
		}
	}
	t.Fatal("SendDigits did not return")
}

func TestConferenceEachHearsTheOthers(t *testing.T) {
	tick := make(manualTicker)
	freqs3 := []float64{440, 1000, 1700}
	legs := []attached{attach(t, pcmu, freqs3[0], tick), attach(t, pcma, freqs3[1], tick), attach(t, pcmu, freqs3[2], tick)}
	conf := NewConference(tick.new)
	defer conf.Close()
	for _, a := range legs {
		if err := conf.Add(a.l); err != nil {
			t.Fatal(err)
		}
	}
	const n = 10
	heard := make([][]int16, len(legs))
	for k := range n {
		for _, a := range legs {
			a.say(1)
		}
		waitFor(t, "frames in", func() bool {
			for _, a := range legs {
				if a.l.Stats().PacketsIn < uint64(k+1) {
					return false
				}
			}
			return true
		})
		tick <- time.Time{}
		for i, a := range legs {
			heard[i] = append(heard[i], decode(t, a.p.recv(1), a.p.pt)...)
		}
	}
	for i := range legs {
		pcm := heard[i]
		for j, f := range freqs3 {
			l := tone.Level(pcm, f)
			if j == i && l > 200 || j != i && l < 1000 {
				t.Errorf("party %d: level of %v Hz is %.0f", i, f, l)
			}
		}
	}
	conf.Remove(legs[2].l)
	legs[0].say(1)
	waitFor(t, "frame in", func() bool { return legs[0].l.Stats().PacketsIn == n+1 })
	tick <- time.Time{}
	legs[1].p.recv(1)
	legs[2].p.quiet(30 * time.Millisecond)
}

// hears3 checks the dominant frequency of pcm among a few.
func hears3(t *testing.T, pcm []int16, freq float64) {
	t.Helper()
	if got := tone.Dominant(pcm, []float64{440, 1000, 1700}); got != freq {
		t.Fatalf("dominant %v Hz, want %v", got, freq)
	}
}

func TestConferencePartyReordersWithItsJitterBuffer(t *testing.T) {
	p := &party{jb: jitter.New(jitterDepth)}
	low, high := make([]byte, 160), make([]byte, 160)
	for i := range low {
		low[i], high[i] = 0xFF, 0x80 // PCMU silence, and a loud sample
	}
	p.push(11, pcmu, high)
	p.push(10, pcmu, low)
	var f mixer.Frame
	if !p.pop(&f) || f[0] != 0 {
		t.Fatalf("first frame %d, want the quiet seq 10", f[0])
	}
	if !p.pop(&f) || f[0] == 0 {
		t.Fatal("second frame silent, want the loud seq 11")
	}
	if p.pop(&f) {
		t.Fatal("a frame from an empty buffer")
	}
}
