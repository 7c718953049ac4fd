package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// rtpengine is Sipwise's rtpengine (Debian's rtpengine-daemon) run in the
// foreground as our own process, pinned to a core, relaying in userspace
// only (no kernel forwarding table), on loopback, with its ng control
// socket on a free port and no config file; its log goes to a file.
type rtpengine struct {
	cmd    *exec.Cmd
	exited chan struct{}
	ng     *ngClient
	log    string
}

// startRTPEngine starts rtpengine on cpu with RTP ports from ports
// (and threads worker threads, 0 for its default), logging to the file
// log, and waits until it answers a ping.
func startRTPEngine(ctx context.Context, log string, cpu int, ports portRange, threads int) (*rtpengine, error) {
	bin, err := exec.LookPath("rtpengine")
	if err != nil {
		return nil, fmt.Errorf("rtpengine is not installed (Debian package rtpengine-daemon; make bench-relay installs it)")
	}
	ngAddr, err := freeUDPAddr()
	if err != nil {
		return nil, err
	}
	r := &rtpengine{exited: make(chan struct{}), log: log}
	logf, err := os.Create(r.log)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	args := []string{"-c", fmt.Sprint(cpu), bin, "--config-file=none", "--foreground", "--log-stderr", "--log-level=4",
		"--table=-1", "--interface=127.0.0.1", "--listen-ng=" + ngAddr.String(),
		fmt.Sprintf("--port-min=%d", ports.Min), fmt.Sprintf("--port-max=%d", ports.Max),
		// Calls idle while callfloor's phases run must not time out.
		"--timeout=3600", "--silent-timeout=3600"}
	if threads > 0 {
		args = append(args, fmt.Sprintf("--num-threads=%d", threads))
	}
	r.cmd = exec.Command("taskset", args...)
	r.cmd.Stdout, r.cmd.Stderr = logf, logf
	r.cmd.SysProcAttr = childAttr()
	if err := r.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { r.cmd.Wait(); close(r.exited) }()
	if r.ng, err = dialNG(ngAddr); err != nil {
		r.stop()
		return nil, err
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := r.ng.ping(pctx)
		cancel()
		if err == nil {
			return r, nil
		}
		select {
		case <-r.exited:
			return nil, fmt.Errorf("rtpengine exited: %s\n%s", r.cmd.ProcessState, r.logTail(20))
		default:
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			r.stop()
			return nil, fmt.Errorf("rtpengine not answering on %s: %v\n%s", ngAddr, err, r.logTail(20))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (r *rtpengine) pid() int { return r.cmd.Process.Pid }

// version is what rtpengine says it is.
func rtpengineVersion() string {
	out, _ := exec.Command("rtpengine", "--version").CombinedOutput()
	v := strings.TrimSpace(string(out))
	if i := strings.LastIndex(v, "Version: "); i >= 0 {
		v = v[i+len("Version: "):]
	}
	return v
}

// stop ends rtpengine by its pid: SIGTERM, then a kill after 10 s.
func (r *rtpengine) stop() {
	if r.ng != nil {
		r.ng.Close()
	}
	select {
	case <-r.exited:
		return
	default:
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.exited:
	case <-time.After(10 * time.Second):
		r.cmd.Process.Kill()
		<-r.exited
	}
}

func (r *rtpengine) logTail(n int) string {
	b, _ := os.ReadFile(r.log)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// freeUDPAddr is a loopback UDP address with a port free a moment ago.
func freeUDPAddr() (netip.AddrPort, error) {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return netip.AddrPort{}, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).AddrPort(), nil
}
