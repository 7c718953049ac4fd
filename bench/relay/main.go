// Command relay is the RTP relay's benchmark against its peer (make
// bench-relay): callfloor's relay (media/relay) and Sipwise's rtpengine
// (Debian's rtpengine-daemon, in userspace mode) each relay the same
// calls from the same generator, in alternating phases, each server
// pinned to one core and the generator to another (taskset). Every call
// has two legs and a 20 ms PCMU frame each way. For each relay it
// measures the server process's CPU time (user and system, every
// thread) per packet relayed, the packets lost and the delay variation
// the relay adds, and prints the relay's cost as a ratio of rtpengine's.
// It prints the settings as "# ..." lines and one figure a line as
// "name: value unit".
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pinnedEnv marks a process already started on its core.
const pinnedEnv = "CALLFLOOR_BENCH_RELAY_PINNED"

// The goals of issue 16 at 1,000 calls.
const (
	ratioGoal  = 0.5  // callfloor's CPU per packet over rtpengine's, at most
	lossGoal   = 0.01 // percent, under
	jitterGoal = 2.0  // ms, added delay variation p99, under
)

// portRange is a range of UDP ports, both ends included.
type portRange struct{ Min, Max int }

func (r *portRange) String() string { return fmt.Sprintf("%d-%d", r.Min, r.Max) }

func (r *portRange) Set(s string) error {
	lo, hi, ok := strings.Cut(s, "-")
	a, err1 := strconv.Atoi(lo)
	b, err2 := strconv.Atoi(hi)
	if !ok || err1 != nil || err2 != nil || a < 1024 || b > 65535 || a > b {
		return fmt.Errorf("want MIN-MAX between 1024 and 65535")
	}
	r.Min, r.Max = a, b
	return nil
}

type options struct {
	calls     int
	window    time.Duration // measured, per phase
	warmup    time.Duration // before each phase's window
	rounds    int           // a callfloor phase and an rtpengine phase each
	sockets   int           // generator sockets per side
	serverCPU int
	genCPU    int
	ports     portRange // split between the two relays
	profile   string
	keep      bool
	// rtpengine's worker threads (--num-threads); 0 leaves its default
	rtpeThreads int
}

func main() {
	o := options{ports: portRange{20000, 32767}}
	serve := flag.Bool("serve-relay", false, "be the relay process (the benchmark starts itself so)")
	flag.IntVar(&o.calls, "calls", 1000, "calls relayed at once, two legs each")
	flag.DurationVar(&o.window, "duration", 20*time.Second, "measured time of each phase")
	flag.DurationVar(&o.warmup, "warmup", 5*time.Second, "traffic before each phase's measured time")
	flag.IntVar(&o.rounds, "rounds", 2, "rounds of a callfloor phase then an rtpengine phase")
	flag.IntVar(&o.sockets, "sockets", 8, "generator UDP sockets per side of the calls")
	flag.IntVar(&o.serverCPU, "server-cpu", 0, "CPU the relays run on")
	flag.IntVar(&o.genCPU, "generator-cpu", 1, "CPU the generator runs on")
	flag.Var(&o.ports, "ports", "UDP ports for the relays' legs: the lower half callfloor's, the upper rtpengine's")
	flag.StringVar(&o.profile, "profile", "", "after the measured phases, profile callfloor's relay process for one more phase into this file")
	flag.IntVar(&o.rtpeThreads, "rtpengine-threads", 0, "rtpengine's --num-threads (0: its default)")
	flag.BoolVar(&o.keep, "keep", false, "keep the working directory (rtpengine's log)")
	quick := flag.Bool("quick", false, "a short run: 200 calls, 3 s warm-up and 10 s measured, one round (unless given)")
	flag.Parse()
	if *serve {
		if err := serveRelay(); err != nil {
			log.Fatal(err)
		}
		return
	}
	if *quick { // for the flags not given
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for name, v := range map[string]string{"calls": "200", "warmup": "3s", "duration": "10s", "rounds": "1"} {
			if !set[name] {
				flag.Set(name, v)
			}
		}
	}
	half := (o.ports.Max - o.ports.Min + 1) / 2
	switch {
	case o.calls < 1 || o.rounds < 1 || o.sockets < 1:
		log.Fatal("-calls, -rounds and -sockets must be 1 or more")
	case o.window < time.Second || o.warmup < 0:
		log.Fatal("-duration must be 1s or more, -warmup 0 or more")
	case o.serverCPU == o.genCPU || o.serverCPU < 0 || o.genCPU < 0:
		log.Fatal("-server-cpu and -generator-cpu must be two different CPUs")
	case half < 4*o.calls+100:
		log.Fatalf("-ports %s: each relay needs 4 ports a call (RTP and RTCP, two legs) and some spare: %d calls need a range of %d",
			&o.ports, o.calls, 2*(4*o.calls+100))
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		log.Fatal("bench-relay reads /proc: it runs on Linux")
	}
	if os.Getenv(pinnedEnv) == "" {
		log.Fatal(pinSelf(o.genCPU)) // returns only on failure
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if err := run(ctx, o); err != nil {
		log.Fatal(err)
	}
}

// pinSelf runs this program again, in this process, under taskset on
// cpu, so that every thread the Go runtime starts stays there and
// GOMAXPROCS is 1.
func pinSelf(cpu int) error {
	ts, err := exec.LookPath("taskset")
	if err != nil {
		return fmt.Errorf("taskset is missing (Debian package util-linux)")
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	args := append([]string{"taskset", "-c", strconv.Itoa(cpu), self}, os.Args[1:]...)
	return syscall.Exec(ts, args, append(os.Environ(), pinnedEnv+"=1"))
}

// raiseNoFile lifts this process's soft limit of open files to the hard
// limit; children started afterwards (the relay's two sockets a leg)
// inherit it.
func raiseNoFile() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}

func run(ctx context.Context, o options) error {
	raiseNoFile()
	dir, err := os.MkdirTemp("", "callfloor-bench-relay-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Printf("# working directory %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	loadStart := loadavg()
	g, err := newGenerator(o.sockets)
	if err != nil {
		return err
	}
	defer g.Close()
	b := &bench{opt: o, g: g, dir: dir, phones: make([][2]netip.AddrPort, o.calls)}
	for i := range b.phones {
		b.phones[i] = g.phones(i)
	}
	mid := o.ports.Min + (o.ports.Max-o.ports.Min+1)/2
	b.relayPorts, b.rtpePorts = portRange{o.ports.Min, mid - 1}, portRange{mid, o.ports.Max}

	fmt.Printf("# bench-relay: callfloor's relay (media/relay, in a process of its own) against rtpengine %s (userspace only: --table=-1), the same generator, alternating phases\n",
		rtpengineVersion())
	fmt.Printf("# %d calls, two legs each, PCMU 20 ms frames both ways: %d packets/s to each relay while it is measured, as many relayed back; %d generator sockets a side\n",
		o.calls, 100*o.calls, o.sockets)
	fmt.Printf("# each phase starts its server afresh and sets the calls up (callfloor: through the relay package's API, Listen, SetRemote and Connect, as the B2BUA does; rtpengine: ng offer and answer), sends %s of traffic (the calls starting one after another over the first %s), measures %s, reads until nothing more comes, then stops the server; %d rounds of callfloor then rtpengine\n",
		o.warmup, o.warmup/2, o.window, o.rounds)
	fmt.Printf("# servers pinned to CPU %d, the generator to CPU %d (taskset, GOMAXPROCS %d); %d CPUs online; other processes may run on them too (each phase says how busy each CPU was)\n",
		o.serverCPU, o.genCPU, runtime.GOMAXPROCS(0), onlineCPUs())
	fmt.Printf("# us_per_packet: the server process's CPU time (utime+stime of all its threads, /proc/PID/stat) during the measured time over the packets it relayed then (received by the far phone)\n")
	fmt.Printf("# added jitter: per packet, |transit - the median transit of its stream in the phase|, sent and arrival (kernel SO_TIMESTAMPNS) stamped on one clock; p99 over every measured packet; control calls from the generator to itself are the baseline\n")
	fmt.Printf("# load at start: %s\n", loadStart)

	var res [2][]phaseResult
	id := uint8(0)
	for range o.rounds {
		for k, kind := range []string{"callfloor", "rtpengine"} {
			id++
			r, err := b.serverPhase(ctx, kind, id, "")
			if err != nil {
				return err
			}
			r.print()
			res[k] = append(res[k], r)
		}
	}
	if o.profile != "" {
		id++
		if _, err := b.serverPhase(ctx, "callfloor", id, o.profile); err != nil {
			return err
		}
	}
	if g.stray > 0 {
		fmt.Printf("# %d datagrams were no frame of the phase they arrived in (late ones of the phase before, or RTCP)\n", g.stray)
	}
	if g.unstamped > 0 {
		fmt.Printf("# %d frames came without the kernel's arrival time and were stamped when read\n", g.unstamped)
	}
	if g.sendErrors > 0 {
		fmt.Printf("# %d frames could not be sent\n", g.sendErrors)
	}
	report(o, res[0], res[1])
	fmt.Printf("# load at end: %s\n", loadavg())
	return nil
}

// procThreads is the Threads line of /proc/PID/status.
func procThreads(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

func callID(i int) string { return "bench-relay-" + strconv.Itoa(i) }

// onlineCPUs counts the CPUs of the machine, whatever this process's
// affinity.
func onlineCPUs() int {
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return 0
	}
	n := 0
	for _, r := range strings.Split(strings.TrimSpace(string(b)), ",") {
		lo, hi, ok := strings.Cut(r, "-")
		a, _ := strconv.Atoi(lo)
		z := a
		if ok {
			z, _ = strconv.Atoi(hi)
		}
		n += z - a + 1
	}
	return n
}
