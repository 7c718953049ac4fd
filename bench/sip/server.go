package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is callfloor running as its own process ("callfloor serve"), so
// that its CPU time and memory can be read from /proc.
type server struct {
	bin, data, logPath string
	http, sip          string // listen addresses
	cmd                *exec.Cmd
	exited             chan struct{}
	token              string
}

// extension is a plain extension's SIP credentials.
type extension struct {
	Number   string
	Username string
	Secret   string
}

const (
	benchAccount  = "bench"
	benchAdmin    = "admin"
	benchPassword = "bench-pass-1"
)

// buildServer builds the callfloor binary of the current tree into dir.
func buildServer(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "callfloor")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/callfloor/callfloor/cmd/callfloor")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building callfloor: %v\n%s", err, out)
	}
	return bin, nil
}

// startServer creates the bench account and its admin with the admin
// commands, then serves on free loopback ports with SQLite in dir/data.
func startServer(ctx context.Context, bin, dir string) (*server, error) {
	s := &server{bin: bin, data: filepath.Join(dir, "data"), logPath: filepath.Join(dir, "server.log")}
	for _, args := range [][]string{
		{"admin", "create-account", "--data", s.data, "--name", benchAccount, "--time-zone", "UTC"},
		{"admin", "create-user", "--data", s.data, "--account", benchAccount, "--username", benchAdmin,
			"--role", "admin", "--password-stdin"},
	} {
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Stdin = strings.NewReader(benchPassword + "\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("callfloor %s: %v\n%s", strings.Join(args[:2], " "), err, out)
		}
	}
	httpPort, err := freePort("tcp")
	if err != nil {
		return nil, err
	}
	sipPort, err := freeSIPPort()
	if err != nil {
		return nil, err
	}
	s.http, s.sip = fmt.Sprintf("127.0.0.1:%d", httpPort), fmt.Sprintf("127.0.0.1:%d", sipPort)
	logf, err := os.Create(s.logPath)
	if err != nil {
		return nil, err
	}
	s.cmd = exec.Command(bin, "serve", "--data", s.data, "--http", s.http, "--sip", s.sip, "--log-level", "warn")
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	s.exited = make(chan struct{})
	go func() {
		s.cmd.Wait()
		logf.Close()
		close(s.exited)
	}()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		err = s.login(ctx)
		if err == nil {
			return s, nil
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("callfloor serve exited: %s\n%s", s.cmd.ProcessState, s.logTail(20))
		default:
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("callfloor serve not answering: %v\n%s", err, s.logTail(20))
		}
	}
}

// sipPort is the port SIP listens on.
func (s *server) sipPort() int {
	_, p, _ := net.SplitHostPort(s.sip)
	n, _ := strconv.Atoi(p)
	return n
}

// pid is the server's process id.
func (s *server) pid() int { return s.cmd.Process.Pid }

// alive reports whether the server process still runs.
func (s *server) alive() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// stop asks the server to shut down (SIGTERM) and kills it after 10 s.
func (s *server) stop() {
	if !s.alive() {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
}

// logTail returns the last n lines of the server's log.
func (s *server) logTail(n int) string {
	b, _ := os.ReadFile(s.logPath)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// logLines counts the lines of the server's log.
func (s *server) logLines() int {
	b, _ := os.ReadFile(s.logPath)
	return bytes.Count(b, []byte("\n"))
}

func (s *server) login(ctx context.Context) error {
	var out struct{ Token string }
	err := s.do(ctx, "POST", "/api/v1/auth/login",
		map[string]string{"account": benchAccount, "username": benchAdmin, "password": benchPassword}, &out)
	if err == nil {
		s.token = out.Token
	}
	return err
}

// createExtension creates a plain (non-agent) extension with a SIP secret.
func (s *server) createExtension(ctx context.Context, number string) (extension, error) {
	e := extension{Number: number, Secret: "bench-secret-" + number}
	var out struct {
		SIPUsername string `json:"sip_username"`
	}
	if err := s.do(ctx, "POST", "/api/v1/extensions", map[string]any{"number": number, "sip_secret": e.Secret}, &out); err != nil {
		return e, fmt.Errorf("creating extension %s: %w", number, err)
	}
	e.Username = out.SIPUsername
	return e, nil
}

// do sends a JSON request to the REST API and decodes a 2xx answer.
func (s *server) do(ctx context.Context, method, path string, body, out any) error {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, method, "http://"+s.http+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, data)
	}
	return json.Unmarshal(data, out)
}

// freePort returns a port free on loopback now for network ("tcp" or
// "udp").
func freePort(network string) (int, error) {
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// freeMediaPort returns a port p for sipp's -mp: sipp binds p (audio)
// and p+2 (video) on -i at start, and exits if either is taken.
func freeMediaPort() (int, error) {
	for range 20 {
		a, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		p := a.LocalAddr().(*net.UDPAddr).Port
		v, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", p+2))
		a.Close()
		if err == nil {
			v.Close()
			return p, nil
		}
	}
	return 0, fmt.Errorf("no pair of UDP ports free for sipp's media")
}

// freeSIPPort returns a port free for both UDP and TCP (SIP serves both).
func freeSIPPort() (int, error) {
	for range 20 {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := c.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		c.Close()
		if err == nil {
			l.Close()
			return port, nil
		}
	}
	return 0, fmt.Errorf("no port free for both UDP and TCP")
}
