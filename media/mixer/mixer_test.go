package mixer

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/callfloor/callfloor/media/tone"
)

// stepper runs a conference stepped by hand.
type stepper struct {
	t    *testing.T
	conf *Conference
	tick chan time.Time
}

func start(t *testing.T) *stepper {
	tick := make(chan time.Time)
	c := New(tick)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return &stepper{t: t, conf: c, tick: tick}
}

func (s *stepper) join() *Party {
	p, err := s.conf.Join()
	if err != nil {
		s.t.Fatal(err)
	}
	return p
}

// step ticks once and returns when the tick is mixed and delivered: the
// leave of a party that never joined is a no-op that Run takes only after.
func (s *stepper) step() {
	s.tick <- time.Time{}
	(&Party{conf: s.conf}).Leave()
}

func TestEachHearsTheOthers(t *testing.T) {
	s := start(t)
	freqs := []float64{500, 1100, 1700}
	var parties []*Party
	var gens []*tone.Tone
	for _, f := range freqs {
		parties = append(parties, s.join())
		gens = append(gens, tone.NewSine(f, -12))
	}
	silent := s.join() // sends nothing
	heard := make([][]int16, len(parties)+1)
	frame := make([]int16, FrameSamples)
	for range 10 {
		for i, p := range parties {
			gens[i].Fill(frame)
			p.Write(frame)
		}
		s.step()
		for i, p := range append(parties, silent) {
			f := <-p.C()
			heard[i] = append(heard[i], f[:]...)
		}
	}
	amp := 32767 * math.Pow(10, -12.0/20)
	for i := range heard {
		for j, f := range freqs {
			l := tone.Level(heard[i], f)
			if i == j && l > amp/100 {
				t.Errorf("party %d hears its own %v Hz at %.0f", i, f, l)
			}
			if i != j && math.Abs(l-amp) > amp/20 {
				t.Errorf("party %d hears %v Hz at %.0f, want %.0f", i, f, l, amp)
			}
		}
	}
}

func TestMixSaturates(t *testing.T) {
	tests := []struct {
		in   []int16 // one sample per party
		want []int16
	}{
		{[]int16{30000, 30000, 30000}, []int16{32767, 32767, 32767}},
		{[]int16{-30000, -30000, -30000}, []int16{-32768, -32768, -32768}},
		{[]int16{32767, -32768, 100}, []int16{-32668, 32767, -1}},
		{[]int16{1000, 2000}, []int16{2000, 1000}},
		{[]int16{5}, []int16{0}},
	}
	for _, tc := range tests {
		in := make([]Frame, len(tc.in))
		out := make([]Frame, len(tc.in))
		for i, v := range tc.in {
			for j := range in[i] {
				in[i][j] = v
			}
		}
		Mix(out, in)
		for i, w := range tc.want {
			if out[i][0] != w || out[i][FrameSamples-1] != w {
				t.Errorf("%v: party %d hears %d, want %d", tc.in, i, out[i][0], w)
			}
		}
	}
}

func TestLoudConferenceSaturates(t *testing.T) {
	s := start(t)
	a, b, c := s.join(), s.join(), s.join()
	loud := make([]int16, FrameSamples)
	for i := range loud {
		loud[i] = 30000
	}
	a.Write(loud)
	b.Write(loud)
	s.step()
	if f := <-c.C(); f[0] != 32767 {
		t.Errorf("c hears %d, want 32767", f[0])
	}
	if f := <-a.C(); f[0] != 30000 {
		t.Errorf("a hears %d, want 30000", f[0])
	}
	<-b.C()
}

func TestJoinLeave(t *testing.T) {
	s := start(t)
	a, b := s.join(), s.join()
	one := []int16{1}
	a.Write(one)
	s.step()
	if f := <-b.C(); f[0] != 1 {
		t.Errorf("b hears %d", f[0])
	}
	<-a.C()

	// A frame is used once: the next tick without a write is silence.
	s.step()
	if f := <-b.C(); f[0] != 0 {
		t.Errorf("b hears a stale frame: %d", f[0])
	}
	<-a.C()

	c := s.join()
	a.Write(one)
	c.Write([]int16{2})
	s.step()
	if f := <-b.C(); f[0] != 3 {
		t.Errorf("b hears %d, want 3", f[0])
	}
	<-a.C()
	<-c.C()

	a.Leave()
	if _, ok := <-a.C(); ok {
		t.Error("a's channel still open after Leave")
	}
	a.Leave() // twice is harmless
	a.Write(one)
	c.Write([]int16{2})
	s.step()
	if f := <-b.C(); f[0] != 2 {
		t.Errorf("b hears %d after a left, want 2", f[0])
	}
	<-c.C()
}

func TestSlowPartyGetsLatest(t *testing.T) {
	s := start(t)
	a, b := s.join(), s.join()
	for i := range 3 {
		a.Write([]int16{int16(i + 1)})
		s.step()
	}
	if f := <-b.C(); f[0] != 3 {
		t.Errorf("b hears %d, want the latest, 3", f[0])
	}
	select {
	case f := <-b.C():
		t.Errorf("b has another frame queued: %d", f[0])
	default:
	}
}

func TestStop(t *testing.T) {
	tick := make(chan time.Time)
	c := New(tick)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	p, err := c.Join()
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	if _, ok := <-p.C(); ok {
		t.Error("channel open after stop")
	}
	if _, err := c.Join(); err != ErrClosed {
		t.Errorf("Join after stop: %v", err)
	}
	p.Leave() // does not block
}

func benchmarkMix(b *testing.B, n int) {
	in, out := make([]Frame, n), make([]Frame, n)
	for i := range in {
		for j := range in[i] {
			in[i][j] = int16(i*j - 5000)
		}
	}
	for b.Loop() {
		Mix(out, in)
	}
}

func BenchmarkMix3(b *testing.B)  { benchmarkMix(b, 3) }
func BenchmarkMix10(b *testing.B) { benchmarkMix(b, 10) }

// BenchmarkTick10 is one tick of a running conference of 10 parties,
// writes and reads included.
func BenchmarkTick10(b *testing.B) {
	tick := make(chan time.Time)
	c := New(tick)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Run(ctx)
	var parties []*Party
	for range 10 {
		p, _ := c.Join()
		parties = append(parties, p)
	}
	frame := make([]int16, FrameSamples)
	for b.Loop() {
		for _, p := range parties {
			p.Write(frame)
		}
		tick <- time.Time{}
		for _, p := range parties {
			<-p.C()
		}
	}
}

func TestSourceIsPulledEachTick(t *testing.T) {
	s := start(t)
	a, b := s.join(), s.join()
	pulls := 0
	a.SetSource(func(f *Frame) bool {
		pulls++
		if pulls%2 == 0 {
			return false // nothing this tick: silence
		}
		for i := range f {
			f[i] = 1000
		}
		return true
	})
	a.Write(make([]int16, FrameSamples)) // ignored: the source wins
	for i := range 4 {
		s.step()
		got := <-b.C()
		want := int16(1000)
		if i%2 == 1 {
			want = 0
		}
		if got[0] != want || got[FrameSamples-1] != want {
			t.Fatalf("tick %d: b hears %d, want %d", i, got[0], want)
		}
		<-a.C()
	}
	if pulls != 4 {
		t.Fatalf("source pulled %d times in 4 ticks", pulls)
	}
}
