package main

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"time"
)

// serverPhase starts a server of kind ("callfloor" or "rtpengine") with
// the calls, runs a phase through it and stops it. With a profile file,
// the phase is callfloor's with Go's CPU profiler on in its process, and
// its figures are printed as not counted.
func (b *bench) serverPhase(ctx context.Context, kind string, id uint8, profile string) (phaseResult, error) {
	o := b.opt
	t0 := time.Now()
	var (
		t      *target
		about  string
		stop   func()
		onOpen func()
		errc   = make(chan error, 1)
	)
	switch kind {
	case "callfloor":
		rs, err := startRelay(o.serverCPU, b.relayPorts, b.phones, profile != "")
		if err != nil {
			return phaseResult{}, err
		}
		t, stop = newTarget(kind, rs.pid(), rs.reply.Legs), rs.stop
		about = fmt.Sprintf("GOMAXPROCS %d", rs.reply.GOMAXPROCS)
		if profile != "" {
			secs := max(1, int(o.window.Seconds()))
			onOpen = func() { errc <- fetchProfile(ctx, rs.reply.Pprof, secs, profile) }
		}
	case "rtpengine":
		re, err := startRTPEngine(ctx, filepath.Join(b.dir, fmt.Sprintf("rtpengine-%d.log", id)), o.serverCPU, b.rtpePorts, o.rtpeThreads)
		if err != nil {
			return phaseResult{}, err
		}
		legs := make([][2]netip.AddrPort, len(b.phones))
		for i, ph := range b.phones {
			if legs[i][0], legs[i][1], err = re.ng.call(ctx, callID(i), ph[0], ph[1]); err != nil {
				re.stop()
				return phaseResult{}, fmt.Errorf("setting call %d up in rtpengine: %w\n%s", i, err, re.logTail(20))
			}
		}
		t = newTarget(kind, re.pid(), legs)
		about = procThreads(re.pid()) + " threads"
		stop = func() {
			for i := range b.phones {
				if err := re.ng.hangUp(ctx, callID(i)); err != nil {
					fmt.Printf("# deleting call %d in rtpengine: %v\n", i, err)
					break
				}
			}
			re.stop()
		}
	default:
		return phaseResult{}, fmt.Errorf("no server %q", kind)
	}
	setup := time.Since(t0)
	r, err := b.phase(ctx, t, id, onOpen)
	stop()
	r.setup, r.about = setup, about
	if err != nil {
		return r, err
	}
	if profile != "" {
		if err := <-errc; err != nil {
			return r, fmt.Errorf("profiling the relay: %w", err)
		}
		fmt.Printf("# profile phase (not counted: the profiler costs CPU), %s: %.2f us/packet; CPU profile of the relay process in %s (go tool pprof -top %s)\n",
			t.name, r.usPerPacket(), profile, profile)
	}
	return r, nil
}
