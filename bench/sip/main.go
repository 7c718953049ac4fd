// Command sip is the telephony plane's load benchmark (make bench-sip). It
// builds callfloor, serves it as its own process on loopback with SQLite,
// and drives it as real phones would: sipp (Debian's sip-tester) places
// and answers digest-authenticated calls between two plain extensions,
// and a Go generator plays 20 ms PCMU frames both ways through every
// call's relay. It holds many calls at once, measuring packet loss, the
// delay variation the relay adds and the server's CPU, then steps up the
// call rate until a call fails. It prints the settings as "# ..." lines
// and one figure a line as "name: value unit".
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

type options struct {
	calls     int           // calls held together
	hold      time.Duration // how long they are all up
	ramp      int           // calls a second setting them up
	stepDown  int           // lower levels tried when calls do not hold
	cpsStart  int
	cpsStep   int
	cpsMax    int
	cpsTime   time.Duration // per step
	cpsHold   time.Duration // call length in the rate phase
	sockets   int           // generator sockets per side
	sourceIPs int           // calling addresses
	linger    time.Duration // idle time before the final look at the server
	bin       string
	keep      bool
}

func main() {
	var o options
	flag.IntVar(&o.calls, "calls", 1000, "concurrent bridged calls to hold (0 skips the hold phase)")
	flag.DurationVar(&o.hold, "hold", time.Minute, "how long all the calls are held together")
	flag.IntVar(&o.ramp, "ramp", 100, "calls per second placed to set the held calls up")
	flag.IntVar(&o.stepDown, "step-down", 2, "when the calls do not hold, try this many lower levels (3/4 each time)")
	flag.IntVar(&o.cpsStart, "cps-start", 100, "first call rate of the rate phase, calls/s (0 skips the phase)")
	flag.IntVar(&o.cpsStep, "cps-step", 100, "call rate increment between steps")
	flag.IntVar(&o.cpsMax, "cps-max", 1000, "highest call rate tried")
	flag.DurationVar(&o.cpsTime, "cps-time", 10*time.Second, "how long each rate is offered")
	flag.DurationVar(&o.cpsHold, "cps-hold", time.Second, "how long each call of the rate phase lasts")
	flag.IntVar(&o.sockets, "rtp-sockets", 2, "generator UDP sockets per side")
	flag.IntVar(&o.sourceIPs, "source-ips", 500, "loopback addresses the calls come from (the registrar limits each)")
	// 70 s: the SIP stack keeps a finished transaction for its RFC 3261
	// timers (32 s over UDP), and the server hands free memory back every
	// 30 s (internal/memtrim).
	flag.DurationVar(&o.linger, "linger", 70*time.Second, "idle time after the last calls before reading the server's memory and open files")
	flag.StringVar(&o.bin, "bin", "", "callfloor binary to run (default: build the current tree)")
	flag.BoolVar(&o.keep, "keep", false, "keep the working directory (server log, sipp files)")
	quick := flag.Bool("quick", false, "smoke test: 20 calls held 5s, then 20 calls/s for 3s")
	flag.Parse()
	if *quick {
		o.calls, o.hold, o.ramp, o.stepDown = 20, 5*time.Second, 20, 0
		o.cpsStart, o.cpsMax, o.cpsTime = 20, 20, 3*time.Second
	}
	switch {
	case o.calls < 0 || o.ramp < 1 || o.hold <= 0 || o.stepDown < 0:
		log.Fatal("-calls must be 0 or more, -ramp 1 or more, -hold positive, -step-down 0 or more")
	case o.cpsStart < 0 || o.cpsTime <= 0 || o.cpsHold < 0:
		log.Fatal("-cps-start must be 0 or more, -cps-time positive, -cps-hold 0 or more")
	case o.sockets < 1 || o.sourceIPs < 1 || o.sourceIPs > 250*254:
		log.Fatal("-rtp-sockets must be 1 or more, -source-ips from 1 to 63500")
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		log.Fatal("bench-sip reads /proc: it runs on Linux")
	}
	if _, err := exec.LookPath("sipp"); err != nil {
		log.Fatal("sipp is not installed (Debian package sip-tester); scripts/setup test installs it")
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	b, err := setup(ctx, o)
	if err != nil {
		log.Fatal(err)
	}
	err = b.run(ctx)
	b.close()
	if err != nil {
		log.Fatal(err)
	}
}

type bench struct {
	opt            options
	dir            string
	srv            *server
	caller, callee extension
	gen            *generator
	uas            *sippCmd
	callers        string // the calling sipp's injection file
	idleRSS        int64  // kB, the server's before the first call
}

// setup starts the server, its extensions, the generator and the callee's
// phone, and prints the settings.
func setup(ctx context.Context, o options) (b *bench, err error) {
	soft, hard, rerr := raiseNoFile()
	dir, err := os.MkdirTemp("", "callfloor-bench-sip-")
	if err != nil {
		return nil, err
	}
	b = &bench{opt: o, dir: dir}
	defer func() {
		if err != nil {
			b.close()
		}
	}()
	if o.bin == "" {
		if o.bin, err = buildServer(ctx, dir); err != nil {
			return b, err
		}
	} else if _, err := os.Stat(o.bin); err != nil {
		return b, fmt.Errorf("-bin: %w", err)
	}
	if b.srv, err = startServer(ctx, o.bin, dir); err != nil {
		return b, err
	}
	if b.caller, err = b.srv.createExtension(ctx, "9001"); err != nil {
		return b, err
	}
	if b.callee, err = b.srv.createExtension(ctx, "9002"); err != nil {
		return b, err
	}
	if err := writeScenarios(dir); err != nil {
		return b, err
	}
	b.callers = filepath.Join(dir, "callers.csv")
	if err := writeCallers(b.callers, b.caller.Username, o.sourceIPs); err != nil {
		return b, err
	}
	if b.gen, err = newGenerator(o.sockets); err != nil {
		return b, err
	}
	if err := b.startCallee(ctx); err != nil {
		return b, err
	}

	fmt.Printf("# callfloor serve (pid %d) on %s, SQLite in %s; sipp %s\n", b.srv.pid(), b.srv.sip, b.srv.data, sippVersion())
	if rerr != nil {
		fmt.Printf("# open files: raising this tool's limit failed: %v\n", rerr)
	}
	fmt.Printf("# open files limit (soft/hard): this tool %d/%d, server %s\n", soft, hard, procNoFile(b.srv.pid()))
	fmt.Printf("# extensions 9001 (caller) and 9002 (callee), plain; calls from %d addresses 127.0.X.Y, PCMU both ways, %d generator sockets a side\n",
		o.sourceIPs, o.sockets)
	return b, nil
}

// startCallee registers 9002 from a port and has sipp answer calls there.
func (b *bench) startCallee(ctx context.Context) error {
	port, err := freePort("udp")
	if err != nil {
		return err
	}
	inf := filepath.Join(b.dir, "callee.csv")
	if err := os.WriteFile(inf, []byte("SEQUENTIAL\n"+b.callee.Username+";\n"), 0o600); err != nil {
		return err
	}
	common := []string{"-i", "127.0.0.1", "-p", fmt.Sprint(port), "-t", "u1", "-max_socket", "4096", "-buff_size", sippBuffer, "-nostdin"}
	mp, err := freeMediaPort()
	if err != nil {
		return err
	}
	reg, err := startSipp(ctx, filepath.Join(b.dir, "register"), append([]string{
		"-sf", filepath.Join(b.dir, "register.xml"), "-inf", inf, "-au", b.callee.Username, "-ap", b.callee.Secret,
		"-m", "1", "-mp", fmt.Sprint(mp), "-timeout", "10s", "-timeout_error", b.srv.sip}, common...)...)
	if err != nil {
		return err
	}
	if code := reg.wait(); code != 0 {
		return fmt.Errorf("registering 9002 failed (sipp exit %d):\n%s", code, reg.screenTail(30))
	}
	if mp, err = freeMediaPort(); err != nil {
		return err
	}
	b.uas, err = startSipp(ctx, filepath.Join(b.dir, "callee"), append([]string{
		"-sf", filepath.Join(b.dir, "uas.xml"), "-mp", fmt.Sprint(mp),
		"-key", "rtp_port", fmt.Sprint(firstPort(b.gen.callee)),
		"-trace_stat", "-stf", "stats.csv", "-fd", "5", "-trace_err", "-error_file", "errors.log", b.srv.sip}, common...)...)
	if err != nil {
		return err
	}
	time.Sleep(300 * time.Millisecond) // let it bind
	if b.uas.exited() {
		return fmt.Errorf("the callee's sipp exited:\n%s", b.uas.screenTail(30))
	}
	return nil
}

// sippBuffer is the socket buffer size sipp asks for (its default,
// 64 KiB, drops messages when it stalls for a few milliseconds at
// hundreds of calls a second).
const sippBuffer = "4194304"

// uac starts the calling sipp: calls calls at rate a second, each held
// for hold; with logs, their media ports go to calls.log.
func (b *bench) uac(ctx context.Context, dir string, calls, rate int, hold, timeout time.Duration, logs bool) (*sippCmd, error) {
	p, err := freePort("udp")
	if err != nil {
		return nil, err
	}
	mp, err := freeMediaPort()
	if err != nil {
		return nil, err
	}
	args := []string{"-sf", filepath.Join(b.dir, "uac.xml"), "-inf", b.callers, "-t", "ui", "-ip_field", "1",
		"-max_socket", "4096", "-buff_size", sippBuffer, "-au", b.caller.Username, "-ap", b.caller.Secret, "-s", b.callee.Number,
		"-i", "127.0.0.1", "-p", fmt.Sprint(p), "-mp", fmt.Sprint(mp),
		"-key", "rtp_port", fmt.Sprint(firstPort(b.gen.caller)),
		"-d", fmt.Sprint(hold.Milliseconds()), "-r", fmt.Sprint(rate), "-m", fmt.Sprint(calls),
		"-trace_stat", "-stf", "stats.csv", "-fd", "1", "-trace_rtt", "-rtt_freq", "1",
		"-trace_err", "-error_file", "errors.log", "-timeout", fmt.Sprintf("%ds", int(timeout.Seconds())), "-timeout_error", "-nostdin"}
	if logs {
		args = append(args, "-trace_logs", "-log_file", "calls.log")
	}
	return startSipp(ctx, dir, append(args, b.srv.sip)...)
}

func (b *bench) run(ctx context.Context) error {
	b.idleRSS = procStatus(b.srv.pid())["VmRSS"]
	fmt.Printf("# server RSS before the first call: %.1f MiB\n", float64(b.idleRSS)/1024)
	if b.opt.calls > 0 {
		if err := b.holdPhase(ctx); err != nil {
			return err
		}
	}
	if b.opt.cpsStart > 0 {
		if err := b.ratePhase(ctx); err != nil {
			return err
		}
	}
	time.Sleep(b.opt.linger)
	if err := b.checkPeers(); err != nil {
		return err
	}
	pid := b.srv.pid()
	st := procStatus(pid)
	fmt.Printf("# %s after the last call: server RSS %.1f MiB, %d threads, %d open files\n",
		b.opt.linger, float64(st["VmRSS"])/1024, st["Threads"], procFDs(pid))
	fmt.Printf("server_rss_peak: %.1f MiB\n", float64(st["VmHWM"])/1024)
	fmt.Printf("server_rss_after_mib: %.1f MiB (goal: within 20%% of the %.1f MiB before the first call)\n",
		float64(st["VmRSS"])/1024, float64(b.idleRSS)/1024)
	if n := b.srv.logLines(); n > 0 {
		fmt.Printf("# server logged %d warnings or errors; the last:\n", n)
		for _, l := range splitLines(b.srv.logTail(3)) {
			fmt.Printf("#   %s\n", l)
		}
	}
	return nil
}

// close stops every process the benchmark started and removes its
// directory (unless -keep).
func (b *bench) close() {
	if b.uas != nil {
		b.uas.stop(5 * time.Second)
	}
	if b.srv != nil {
		b.srv.stop()
	}
	if b.gen != nil {
		b.gen.Close()
	}
	if b.opt.keep {
		fmt.Printf("# working directory kept: %s\n", b.dir)
	} else if b.dir != "" {
		os.RemoveAll(b.dir)
	}
}

// checkPeers fails when the server or the callee's sipp has died.
func (b *bench) checkPeers() error {
	if !b.srv.alive() {
		return fmt.Errorf("callfloor exited: %s\n%s", b.srv.cmd.ProcessState, b.srv.logTail(20))
	}
	if b.uas.exited() {
		return fmt.Errorf("the callee's sipp exited:\n%s", b.uas.screenTail(30))
	}
	return nil
}
