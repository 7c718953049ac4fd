package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	_ "net/http/pprof" // the relay process's profiles, for -profile
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"

	"github.com/callfloor/callfloor/media/g711"
	"github.com/callfloor/callfloor/media/relay"
)

// callfloor's relay runs in a process of its own, this program started
// again with -serve-relay, so that it can be pinned to a core and its CPU
// time read apart from the generator's. It reads one relayRequest on
// stdin, sets the calls up through the relay package as the B2BUA does
// (a leg per phone, each told its phone's address and PCMU, the two
// connected), answers with a relayReply on stdout, and relays until
// stdin closes.

// relayRequest is the calls to set up: each its two phones' addresses.
type relayRequest struct {
	Calls [][2]netip.AddrPort
	Ports portRange
	Pprof bool // serve Go's profiles on a loopback port
}

// relayReply is, for each call, where each phone is to send: the
// address of the leg facing it.
type relayReply struct {
	Legs       [][2]netip.AddrPort
	Pprof      string // host:port of /debug/pprof/, if asked for
	GOMAXPROCS int
	Error      string
}

// serveRelay is the -serve-relay mode.
func serveRelay() error {
	var req relayRequest
	in := bufio.NewReader(os.Stdin)
	if err := json.NewDecoder(in).Decode(&req); err != nil {
		return err
	}
	out := json.NewEncoder(os.Stdout)
	var legs []*relay.Leg
	defer func() {
		for _, l := range legs {
			l.Close()
		}
	}()
	reply := relayReply{GOMAXPROCS: runtime.GOMAXPROCS(0)}
	for _, c := range req.Calls {
		var pair [2]*relay.Leg
		for i, phone := range c {
			l, err := relay.Listen(relay.Options{IP: netip.AddrFrom4([4]byte{127, 0, 0, 1}),
				Ports: relay.Ports{Min: req.Ports.Min, Max: req.Ports.Max}})
			if err != nil {
				return out.Encode(relayReply{Error: err.Error()})
			}
			legs = append(legs, l)
			l.SetRemote(phone, g711.PayloadTypePCMU)
			pair[i] = l
		}
		relay.Connect(pair[0], pair[1])
		reply.Legs = append(reply.Legs, [2]netip.AddrPort{pair[0].LocalAddr(), pair[1].LocalAddr()})
	}
	if req.Pprof {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return out.Encode(relayReply{Error: err.Error()})
		}
		defer ln.Close()
		go http.Serve(ln, nil)
		reply.Pprof = ln.Addr().String()
	}
	if err := out.Encode(reply); err != nil {
		return err
	}
	_, err := io.Copy(io.Discard, in) // until the generator closes stdin
	return err
}

// relayServer is the -serve-relay process, seen from the generator.
type relayServer struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	exited chan struct{}
	reply  relayReply
}

// startRelay starts this program with -serve-relay pinned to cpu and has
// it set up calls.
func startRelay(cpu int, ports portRange, calls [][2]netip.AddrPort, pprof bool) (*relayServer, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	s := &relayServer{exited: make(chan struct{})}
	s.cmd = exec.Command("taskset", "-c", fmt.Sprint(cpu), self, "-serve-relay")
	s.cmd.Stderr = os.Stderr
	s.cmd.SysProcAttr = childAttr()
	// The process must not pin itself to the generator's core.
	s.cmd.Env = append(os.Environ(), pinnedEnv+"=1")
	if s.stdin, err = s.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	if err := json.NewEncoder(s.stdin).Encode(relayRequest{Calls: calls, Ports: ports, Pprof: pprof}); err != nil {
		s.stop()
		return nil, err
	}
	if err := json.NewDecoder(stdout).Decode(&s.reply); err != nil {
		s.stop()
		return nil, fmt.Errorf("the relay process: %w", err)
	}
	if s.reply.Error != "" {
		s.stop()
		return nil, errors.New("the relay process: " + s.reply.Error)
	}
	if len(s.reply.Legs) != len(calls) {
		s.stop()
		return nil, fmt.Errorf("the relay process set up %d calls of %d", len(s.reply.Legs), len(calls))
	}
	return s, nil
}

func (s *relayServer) pid() int { return s.cmd.Process.Pid }

// stop closes the process's stdin, which ends it, or signals it by its
// pid after 10 s.
func (s *relayServer) stop() {
	s.stdin.Close()
	select {
	case <-s.exited:
		return
	case <-time.After(10 * time.Second):
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
}
