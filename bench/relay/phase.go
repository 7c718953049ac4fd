package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/callfloor/callfloor/bench/internal/streamstats"

	"github.com/callfloor/callfloor/bench/internal/benchserver"
)

// After a phase's last frame the generator still counts what arrives
// until nothing has for quietTime, at most maxDrain; then the server is
// given up to maxSettle to go idle (under idleCPU of a core), so that
// its backlog does not run into the next phase.
const (
	quietTime = time.Second
	maxDrain  = 15 * time.Second
	maxSettle = 30 * time.Second
	idleCPU   = 0.02
)

type bench struct {
	opt                   options
	g                     *generator
	dir                   string              // working directory
	phones                [][2]netip.AddrPort // of each call: phone A, phone B
	relayPorts, rtpePorts portRange
}

// phaseResult is what one phase measured.
type phaseResult struct {
	t              *target
	id             uint8
	wall           time.Duration // measured
	serverCPU      time.Duration // during the measured time
	relayed        uint64        // frames received through the relay then
	sent, received uint64        // measured frames of the relayed calls
	dups           uint64
	lossyCalls     int
	devs, ctrlDevs []int32 // sorted, us
	transits       []int32 // sorted, us
	genCPU         time.Duration
	serverCore     float64 // share of the server's CPU busy, whoever used it
	genCore        float64
	drops          int64         // kernel UDP receive buffer drops
	settled        time.Duration // for the server to go idle after the phase
	setup          time.Duration // to start the server and set the calls up
	about          string        // the server's threads
}

func (r phaseResult) usPerPacket() float64 {
	return float64(r.serverCPU.Microseconds()) / float64(max(r.relayed, 1))
}

func (r phaseResult) loss() float64 { return streamstats.LossPercent(r.sent, r.received) }

// phase has the generator send to t for the warm-up and the measured
// time, and measures. onOpen, if set, is started as the measured time
// opens.
func (b *bench) phase(ctx context.Context, t *target, id uint8, onOpen func()) (phaseResult, error) {
	o, g := b.opt, b.g
	r := phaseResult{t: t, id: id}
	open := time.Now().Add(o.warmup)
	p := newPhase(id, t, open, open.Add(o.window))
	p.onOpen, p.ramp = onOpen, o.warmup/2
	snap := func(g *generator) snapshot {
		s := snapshot{at: time.Now(), selfCPU: benchserver.SelfCPU(), relayed: g.relayed, drops: udpRcvbufErrors()}
		s.serverCPU, s.cpuErr = benchserver.ProcCPU(t.pid)
		s.serverBusy, s.serverTotal = cpuTicks(o.serverCPU)
		s.genBusy, s.genTotal = cpuTicks(o.genCPU)
		return s
	}
	if err := g.run(ctx, p, quietTime, maxDrain, snap); err != nil {
		return r, err
	}
	r.settled = settle(ctx, t.pid)
	s0, s1 := p.snap[0], p.snap[1]
	if err := errors.Join(s0.cpuErr, s1.cpuErr); err != nil {
		return r, fmt.Errorf("%s's process: %w", t.name, err)
	}
	r.wall, r.serverCPU, r.genCPU = s1.at.Sub(s0.at), s1.serverCPU-s0.serverCPU, s1.selfCPU-s0.selfCPU
	r.relayed, r.drops = s1.relayed-s0.relayed, s1.drops-s0.drops
	if s1.serverTotal > s0.serverTotal {
		r.serverCore = float64(s1.serverBusy-s0.serverBusy) / float64(s1.serverTotal-s0.serverTotal)
	}
	if s1.genTotal > s0.genTotal {
		r.genCore = float64(s1.genBusy-s0.genBusy) / float64(s1.genTotal-s0.genTotal)
	}
	for c := range p.calls + controlCalls {
		lossy := false
		for i := 2 * c; i < 2*c+2; i++ {
			s := &p.streams[i]
			if c < p.calls {
				r.sent += s.sent
				r.received += min(s.got.Len(), s.sent)
				r.dups += s.dups
				lossy = lossy || s.got.Len() < s.sent
				r.transits = append(r.transits, s.transits...)
				r.devs = streamstats.Deviations(r.devs, s.transits)
			} else {
				r.ctrlDevs = streamstats.Deviations(r.ctrlDevs, s.transits)
			}
			s.transits = nil
		}
		if lossy {
			r.lossyCalls++
		}
	}
	slices.Sort(r.devs)
	slices.Sort(r.ctrlDevs)
	slices.Sort(r.transits)
	return r, nil
}

// settle waits until process pid uses less than idleCPU of a core, at
// most maxSettle, and returns how long that took.
func settle(ctx context.Context, pid int) time.Duration {
	const every = 250 * time.Millisecond
	start := time.Now()
	last, err := benchserver.ProcCPU(pid)
	for err == nil && time.Since(start) < maxSettle && ctx.Err() == nil {
		time.Sleep(every)
		var now time.Duration
		if now, err = benchserver.ProcCPU(pid); err == nil && float64(now-last) < idleCPU*float64(every) {
			break
		}
		last = now
	}
	return time.Since(start)
}

// print writes the phase's figures as comment lines.
func (r phaseResult) print() {
	wall := r.wall.Seconds()
	fmt.Printf("# phase %d, %s (process %d, %s, up with its calls in %.1f s): relayed %d packets in %.1f s (%.0f/s); server CPU %.2f s (%.2f cores), %.2f us/packet; loss %.4f%% (%d of %d, %d calls lost any, %d duplicates); added jitter p99 %.3f ms (control %.3f ms)\n",
		r.id, r.t.name, r.t.pid, r.about, r.setup.Seconds(), r.relayed, wall, float64(r.relayed)/wall, r.serverCPU.Seconds(), r.serverCPU.Seconds()/wall, r.usPerPacket(),
		r.loss(), r.sent-r.received, r.sent, r.lossyCalls, r.dups, usToMs(streamstats.Percentile(r.devs, 0.99)), usToMs(streamstats.Percentile(r.ctrlDevs, 0.99)))
	q := func(p float64) float64 { return usToMs(streamstats.Percentile(r.transits, p)) }
	fmt.Printf("#   transit p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms\n", q(0.5), q(0.9), q(0.99), q(0.999), q(1))
	fmt.Printf("#   generator: sent %.0f packets/s of %d/s asked for, with %.2f cores; CPU busy, whoever used it: server's %.0f%%, generator's %.0f%%; kernel UDP receive buffer drops %d\n",
		float64(r.sent)/wall, 100*r.t.calls(), r.genCPU.Seconds()/wall, 100*r.serverCore, 100*r.genCore, r.drops)
	if r.serverCore >= 0.95 {
		fmt.Printf("#   the server's CPU was %.0f%% busy: %s was saturated (or crowded out), so its loss and jitter measure a queue, not the relay's own delay\n",
			100*r.serverCore, r.t.name)
	}
	if r.loss() > 1 && r.serverCore < 0.9 {
		fmt.Printf("#   %s fell behind with its CPU %.0f%% busy: it was not short of CPU, it stopped keeping up (its sockets overflowed: see the drops)\n",
			r.t.name, 100*r.serverCore)
	}
	if r.settled > time.Second {
		fmt.Printf("#   %s took %.1f s after the phase to go idle (its backlog)\n", r.t.name, r.settled.Seconds())
	}
}

// report prints the figures of each relay over its phases, and the
// ratio.
func report(o options, relay, rtpe []phaseResult) {
	type sum struct {
		name                 string
		cpu                  time.Duration
		relayed, sent, recvd uint64
		wall                 time.Duration
		devs                 []int32
		genCPU               time.Duration
	}
	add := func(rs []phaseResult) sum {
		var s sum
		for _, r := range rs {
			s.name = r.t.name
			s.cpu += r.serverCPU
			s.relayed += r.relayed
			s.sent += r.sent
			s.recvd += r.received
			s.wall += r.wall
			s.genCPU += r.genCPU
			s.devs = append(s.devs, r.devs...)
		}
		slices.Sort(s.devs)
		return s
	}
	a, b := add(relay), add(rtpe)
	us := func(s sum) float64 { return float64(s.cpu.Nanoseconds()) / 1000 / float64(max(s.relayed, 1)) }
	pps := func(s sum) float64 { return float64(s.relayed) / s.wall.Seconds() }
	asked := 100 * o.calls
	for _, s := range []sum{a, b} {
		if sent := float64(s.sent) / s.wall.Seconds(); sent < 0.99*float64(asked) {
			fmt.Printf("# the generator sent %s %.0f packets/s of the %d/s asked for (with %.2f cores): short, so that relay was measured at a lower rate\n",
				s.name, sent, asked, s.genCPU.Seconds()/s.wall.Seconds())
		}
	}
	if len(relay) > 1 {
		fmt.Printf("# cost ratio round by round:")
		for i := range min(len(relay), len(rtpe)) {
			fmt.Printf(" %.3f", relay[i].usPerPacket()/rtpe[i].usPerPacket())
		}
		fmt.Println()
	}
	fmt.Printf("calls: %d count\n", o.calls)
	fmt.Printf("relay_packets_per_second: %.0f packets/s (asked for: %d)\n", pps(a), asked)
	fmt.Printf("rtpengine_packets_per_second: %.0f packets/s (asked for: %d)\n", pps(b), asked)
	fmt.Printf("relay_us_per_packet: %.3f us\n", us(a))
	fmt.Printf("rtpengine_us_per_packet: %.3f us\n", us(b))
	fmt.Printf("relay_cost_ratio: %.3f (goal: at most %.1f at 1,000 calls)\n", us(a)/us(b), ratioGoal)
	fmt.Printf("relay_packet_loss: %.4f %% (goal: under %.2f)\n", streamstats.LossPercent(a.sent, a.recvd), lossGoal)
	fmt.Printf("rtpengine_packet_loss: %.4f %%\n", streamstats.LossPercent(b.sent, b.recvd))
	fmt.Printf("relay_added_jitter_p99: %.3f ms (goal: under %.0f)\n", usToMs(streamstats.Percentile(a.devs, 0.99)), jitterGoal)
	fmt.Printf("rtpengine_added_jitter_p99: %.3f ms\n", usToMs(streamstats.Percentile(b.devs, 0.99)))
}

func fetchProfile(ctx context.Context, addr string, secs int, file string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs), nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s", res.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
