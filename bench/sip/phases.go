package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/callfloor/callfloor/bench/internal/streamstats"
)

// lossGoal is the packet loss under which calls count as held, percent.
const lossGoal = 0.01

// holdResult is one attempt at holding a number of calls.
type holdResult struct {
	level      int
	minActive  int // fewest calls with audio both ways during the window
	failed     int // calls sipp counted failed
	audio      audioResult
	control    audioResult // the generator to itself
	serverCPU  float64     // cores, during the window
	genCPU     float64
	calleeCPU  float64
	callerCPU  float64
	busyCPU    float64 // the whole machine, cores
	softirqCPU float64
	cores      int
	rss, fds   int64
	udpDrops   int64 // kernel UDP receive-buffer drops during the phase
	sipDrops   int64 // of them, at the server's SIP socket
}

func (r holdResult) held() bool { return r.minActive >= r.level && r.audio.Loss < lossGoal }

// holdPhase holds opt.calls calls, or fewer levels if they do not hold.
func (b *bench) holdPhase(ctx context.Context) error {
	o := b.opt
	fmt.Printf("# hold phase: %d calls set up at %d/s, then held together for %s with PCMU both ways (50 frames/s each way)\n",
		o.calls, o.ramp, o.hold)
	undo, err := pinApart(b.srv.pid())
	if err != nil {
		return err
	}
	defer undo()
	fmt.Println("#   the server runs on CPU 0 and this generator on CPU 1 (taskset) throughout the phase; sipp anywhere; arrivals are stamped by the kernel;")
	fmt.Println("#   transit and jitter count the frames sent while every call is up (the held window), loss every frame")
	level := o.calls
	var best *holdResult
	var first holdResult
	for try := 0; try <= o.stepDown && level > 0; try++ {
		r, err := b.holdCalls(ctx, level)
		if err != nil {
			return err
		}
		if try == 0 {
			first = r
		}
		fmt.Printf("# %d calls: %d up with audio both ways throughout (fewest seen), %d failed; frames sent %d, lost %.4f%% (%d calls lost any), duplicates %d\n",
			level, r.minActive, r.failed, r.audio.Sent, r.audio.Loss, r.audio.LossyCalls, r.audio.Dups)
		fmt.Printf("#   transit p50 %.3f ms, p99 %.3f ms; kernel UDP receive buffer drops %d (%d at the server's SIP socket); server RSS %.1f MiB, %d open files\n",
			ms(r.audio.TransitP50), ms(r.audio.TransitP99), r.udpDrops, r.sipDrops, float64(r.rss)/1024, r.fds)
		fmt.Printf("#   baseline, %d calls from the generator to itself: transit p50 %.3f ms, p99 %.3f ms, delay variation p99 %.3f ms, loss %.4f%%\n",
			controlCalls, ms(r.control.TransitP50), ms(r.control.TransitP99), ms(r.control.JitterP99), r.control.Loss)
		fmt.Printf("#   CPU while held, cores: server %.2f, generator %.2f, sipp caller %.2f + callee %.2f; machine %.2f busy of %d (softirq %.2f), other processes about %.2f\n",
			r.serverCPU, r.genCPU, r.callerCPU, r.calleeCPU, r.busyCPU, r.cores, r.softirqCPU,
			max(0, r.busyCPU-r.softirqCPU-r.serverCPU-r.genCPU-r.callerCPU-r.calleeCPU))
		if r.held() {
			best = &r
			break
		}
		level = level * 3 / 4
		if err := b.checkPeers(); err != nil {
			return err
		}
	}
	res := first
	held := 0
	if best != nil {
		res, held = *best, best.level
	}
	fmt.Printf("bridged_calls_held: %d count\n", held)
	fmt.Printf("packet_loss: %.4f %%\n", res.audio.Loss)
	fmt.Printf("added_jitter_p99: %.3f ms\n", ms(res.audio.JitterP99))
	if res.minActive > 0 {
		fmt.Printf("cpu_cores_per_1000_calls: %.3f cores\n", res.serverCPU/float64(res.minActive)*1000)
	}
	fmt.Printf("server_rss: %.1f MiB\n", float64(res.rss)/1024)
	if res.minActive > 0 {
		fmt.Printf("server_rss_per_call_kib: %.1f KiB (goal: at most 64; RSS while held over the %.1f MiB before the first call)\n",
			float64(res.rss-b.idleRSS)/float64(res.minActive), float64(b.idleRSS)/1024)
	}
	return nil
}

// holdCalls sets level calls up, holds them for opt.hold with audio and
// hangs them up.
func (b *bench) holdCalls(ctx context.Context, level int) (holdResult, error) {
	o := b.opt
	r := holdResult{level: level}
	if err := b.checkPeers(); err != nil {
		return r, err
	}
	ramp := time.Duration(float64(level) / float64(o.ramp) * float64(time.Second))
	const settle = 5 * time.Second // for the last calls to be up before the window
	callLen := ramp + settle + o.hold
	frames := int(callLen/(frameInterval*time.Millisecond)) + 100
	b.gen.reset(level, frames)

	dir := filepath.Join(b.dir, fmt.Sprintf("hold-%d", level))
	tail := tailCalls(filepath.Join(dir, "calls.log"), b.gen.onLog)
	stopSend := make(chan struct{})
	sending := make(chan struct{})
	go func() { b.gen.send(stopSend); close(sending) }()
	defer func() {
		select {
		case <-stopSend:
		default:
			close(stopSend)
		}
		<-sending
	}()
	udp0, sip0 := udpCounters(), udpSocketDrops(b.srv.sipPort())
	uac, err := b.uac(ctx, dir, level, o.ramp, callLen, callLen+time.Minute, true)
	if err != nil {
		tail.Close()
		return r, err
	}

	// The window starts once every call has audio both ways, or when the
	// last should have had it.
	t0 := time.Now()
	for time.Since(t0) < ramp+settle && b.gen.active() < level && ctx.Err() == nil && !uac.exited() {
		time.Sleep(50 * time.Millisecond)
	}
	from := b.gen.now()
	b.gen.window(from, 0)
	defer b.gen.window(0, 0)
	pid, cpid, upid := b.srv.pid(), b.uas.cmd.Process.Pid, uac.cmd.Process.Pid
	cpu0, _ := procCPU(pid)
	ccpu0, _ := procCPU(cpid)
	ucpu0, _ := procCPU(upid)
	busy0, si0, total0 := machineCPU()
	self0 := selfCPU()
	w0 := time.Now()
	r.minActive = b.gen.active()
	for time.Since(w0) < o.hold && ctx.Err() == nil && !uac.exited() {
		time.Sleep(min(250*time.Millisecond, o.hold-time.Since(w0)))
		r.minActive = min(r.minActive, b.gen.active())
	}
	b.gen.window(from, b.gen.now())
	wall := time.Since(w0).Seconds()
	cpu1, _ := procCPU(pid)
	ccpu1, _ := procCPU(cpid)
	ucpu1, _ := procCPU(upid)
	busy1, si1, total1 := machineCPU()
	r.cores = runtime.NumCPU()
	if total1 > total0 {
		r.busyCPU = float64(busy1-busy0) / float64(total1-total0) * float64(r.cores)
		r.softirqCPU = float64(si1-si0) / float64(total1-total0) * float64(r.cores)
	}
	r.callerCPU = (ucpu1 - ucpu0).Seconds() / wall
	r.genCPU = (selfCPU() - self0).Seconds() / wall
	r.serverCPU = (cpu1 - cpu0).Seconds() / wall
	r.calleeCPU = (ccpu1 - ccpu0).Seconds() / wall
	st := procStatus(pid)
	r.rss, r.fds = st["VmRSS"], int64(procFDs(pid))

	code := uac.wait()
	if ctx.Err() != nil {
		tail.Close()
		return r, ctx.Err()
	}
	if code != 0 && code != 1 && code != 97 {
		tail.Close()
		return r, &sippFatal{code: code, screen: uac.screenTail(15)}
	}
	close(stopSend)
	<-sending
	time.Sleep(500 * time.Millisecond) // the last frames
	if err := tail.Close(); err != nil {
		return r, err
	}
	r.audio, r.control = b.gen.result()
	udp1 := udpCounters()
	r.udpDrops = udp1["RcvbufErrors"] - udp0["RcvbufErrors"]
	r.sipDrops = udpSocketDrops(b.srv.sipPort()) - sip0
	stats, err := readSippStats(filepath.Join(dir, "stats.csv"))
	if err != nil {
		return r, fmt.Errorf("hold phase: %v\n%s", err, uac.screenTail(40))
	}
	r.failed = level - stats.int("SuccessfulCall(C)")
	if code != 0 || r.failed > 0 {
		fmt.Printf("# calling sipp exited %d: %d of %d calls succeeded\n", code, stats.int("SuccessfulCall(C)"), level)
	}
	if s := b.gen.stray.Swap(0); s > 0 {
		fmt.Printf("# %d datagrams or log lines matched no call\n", s)
	}
	if s := b.gen.sendErrors.Swap(0); s > 0 {
		fmt.Printf("# %d frames could not be sent\n", s)
	}
	return r, nil
}

// rateStep is one rate of the rate phase.
type rateStep struct {
	rate, calls, ok, failed, retrans int
	answered                         float64 // calls answered a second
	times                            []time.Duration
	tick                             time.Duration
	serverCPU                        float64 // cores
	callerCPU, calleeCPU, busyCPU    float64
	cpuPerCall                       time.Duration
	rss                              int64 // kB, after the step
	udpDrops, sipDrops               int64
}

// passed: every call succeeded and the rate was sustained.
func (s rateStep) passed() bool {
	return s.failed == 0 && s.ok == s.calls && s.answered >= 0.95*float64(s.rate)
}

// ratePhase steps the call rate up until calls fail or the rate is not
// sustained.
func (b *bench) ratePhase(ctx context.Context) error {
	o := b.opt
	fmt.Printf("# rate phase: calls of %s (no audio), each rate offered for %s, from %d/s by %d/s up to %d/s while every call succeeds\n",
		o.cpsHold, o.cpsTime, o.cpsStart, o.cpsStep, o.cpsMax)
	var best *rateStep
	for rate := o.cpsStart; rate <= o.cpsMax; rate += max(o.cpsStep, 1) {
		s, err := b.rateStep(ctx, rate)
		if err != nil {
			return err
		}
		fmt.Printf("# %d/s: %d calls, %d ok, %d failed, %d retransmissions, answered at %.1f/s; invite_to_answer p50 %.0f ms, p99 %.0f ms\n",
			rate, s.calls, s.ok, s.failed, s.retrans, s.answered, ms(streamstats.Percentile(s.times, 0.5)), ms(streamstats.Percentile(s.times, 0.99)))
		fmt.Printf("#   CPU, cores: server %.2f (%.2f ms a call), sipp caller %.2f + callee %.2f, machine %.2f busy; kernel UDP receive buffer drops %d (%d at the server's SIP socket); server RSS after %.1f MiB\n",
			s.serverCPU, ms(s.cpuPerCall), s.callerCPU, s.calleeCPU, s.busyCPU, s.udpDrops, s.sipDrops, float64(s.rss)/1024)
		if !s.passed() {
			break
		}
		best = &s
		if o.cpsStep <= 0 {
			break
		}
		time.Sleep(2 * time.Second) // the callee's sipp forgets the last calls
	}
	if best == nil {
		fmt.Printf("calls_per_second: 0 calls/s\n")
		return nil
	}
	res := fmt.Sprintf("every value a multiple of %s", best.tick)
	if best.tick == 0 {
		res = "every value under its clock's tick"
	}
	fmt.Printf("# invite_to_answer: from the first INVITE (challenged with 401) to the 200 OK, every call of the %d/s step, as sipp times it (%s)\n",
		best.rate, res)
	fmt.Printf("calls_per_second: %d calls/s\n", best.rate)
	fmt.Printf("invite_to_answer_p50: %.0f ms\n", ms(streamstats.Percentile(best.times, 0.5)))
	fmt.Printf("invite_to_answer_p99: %.0f ms\n", ms(streamstats.Percentile(best.times, 0.99)))
	fmt.Printf("server_cpu_per_call: %.2f ms\n", ms(best.cpuPerCall))
	return nil
}

// rateStep offers one rate. sipp failing to start (a port taken between
// our look and its bind, say) is retried once with other ports.
func (b *bench) rateStep(ctx context.Context, rate int) (rateStep, error) {
	s, err := b.tryRate(ctx, rate, 1)
	var fatal *sippFatal
	if errors.As(err, &fatal) {
		fmt.Printf("# %d/s: %v; trying again\n", rate, err)
		s, err = b.tryRate(ctx, rate, 2)
	}
	return s, err
}

// sippFatal is sipp exiting on a fatal error (exit code other than 0, 1
// or 97) rather than on failed calls.
type sippFatal struct {
	code   int
	screen string
}

func (e *sippFatal) Error() string { return fmt.Sprintf("sipp exited %d:\n%s", e.code, e.screen) }

func (b *bench) tryRate(ctx context.Context, rate, try int) (rateStep, error) {
	o := b.opt
	s := rateStep{rate: rate, calls: int(float64(rate) * o.cpsTime.Seconds())}
	if err := b.checkPeers(); err != nil {
		return s, err
	}
	dir := filepath.Join(b.dir, fmt.Sprintf("rate-%d-%d", rate, try))
	pid, cpid := b.srv.pid(), b.uas.cmd.Process.Pid
	cpu0, _ := procCPU(pid)
	ccpu0, _ := procCPU(cpid)
	busy0, _, total0 := machineCPU()
	udp0, sip0 := udpCounters(), udpSocketDrops(b.srv.sipPort())
	t0 := time.Now()
	uac, err := b.uac(ctx, dir, s.calls, rate, o.cpsHold, o.cpsTime+o.cpsHold+time.Minute, false)
	if err != nil {
		return s, err
	}
	code := uac.wait()
	if ctx.Err() != nil {
		return s, ctx.Err()
	}
	if code != 0 && code != 1 && code != 97 {
		return s, &sippFatal{code: code, screen: uac.screenTail(15)}
	}
	wall := time.Since(t0).Seconds()
	cpu1, _ := procCPU(pid)
	ccpu1, _ := procCPU(cpid)
	busy1, _, total1 := machineCPU()
	if total1 > total0 {
		s.busyCPU = float64(busy1-busy0) / float64(total1-total0) * float64(runtime.NumCPU())
	}
	s.serverCPU = (cpu1 - cpu0).Seconds() / wall
	s.calleeCPU = (ccpu1 - ccpu0).Seconds() / wall
	ps := uac.cmd.ProcessState
	s.callerCPU = (ps.UserTime() + ps.SystemTime()).Seconds() / wall
	s.rss = procStatus(pid)["VmRSS"]
	s.udpDrops = udpCounters()["RcvbufErrors"] - udp0["RcvbufErrors"]
	s.sipDrops = udpSocketDrops(b.srv.sipPort()) - sip0
	s.cpuPerCall = (cpu1 - cpu0) / time.Duration(max(s.calls, 1))
	stats, err := readSippStats(filepath.Join(dir, "stats.csv"))
	if err != nil {
		return s, fmt.Errorf("rate phase: %v\n%s", err, uac.screenTail(40))
	}
	s.ok, s.retrans = stats.int("SuccessfulCall(C)"), stats.int("Retransmissions(C)")
	s.failed = s.calls - s.ok
	rt, err := readResponseTimes(dir)
	if err != nil && s.ok > 0 {
		return s, fmt.Errorf("rate phase: %v\n%s", err, uac.screenTail(40))
	}
	s.times, s.answered, s.tick = rt.sorted(), rt.rate(), rt.tick()
	return s, nil
}

// sippVersion is sipp's version line.
func sippVersion() string {
	out, _ := exec.Command("sipp", "-v").CombinedOutput()
	for _, l := range splitLines(string(out)) {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "SIPp" {
			return strings.TrimSuffix(f[1], ".")
		}
	}
	return "?"
}

func splitLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
