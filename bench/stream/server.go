package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// server is callfloor serve, run as its own process.
type server struct {
	cmd    *exec.Cmd
	http   string
	pprof  string // the metrics listener's address, serving /debug/pprof/
	exited chan struct{}
	hc     *http.Client
}

// start builds callfloor, makes the bench account (with licences for
// the agents) and its admin, and serves on a free port.
func start(ctx context.Context, dir string, agents int, pprof bool) (*server, error) {
	bin := filepath.Join(dir, "callfloor")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/callfloor/callfloor/cmd/callfloor").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building callfloor: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")
	for _, args := range [][]string{
		{"admin", "create-account", "--data", data, "--name", account, "--time-zone", "UTC",
			"--licence-kind", "agent_extensions", "--agent-licences", fmt.Sprint(agents)},
		{"admin", "create-user", "--data", data, "--account", account, "--username", "admin", "--role", "admin", "--password-stdin"},
	} {
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Stdin = strings.NewReader(password + "\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("callfloor %s: %v\n%s", args[1], err, out)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	s := &server{http: addr, exited: make(chan struct{}),
		hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: max(128, agents)}, Timeout: 30 * time.Second}}
	args := []string{"serve", "--data", data, "--http", addr, "--sip", "127.0.0.1:0", "--log-level", "warn"}
	if pprof {
		if s.pprof, err = freeAddr(); err != nil {
			return nil, err
		}
		args = append(args, "--metrics-listen", s.pprof)
	}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = os.Stderr, os.Stderr
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, err := s.login(ctx, "admin"); err == nil {
			return s, nil
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("callfloor serve not answering at %s", addr)
		}
	}
}

// freeAddr is a loopback address with a port free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// profile profiles the server (from its metrics listener, for the
// duration of the load, into file) and this process (into file.client,
// until stop is called). done is done when the server's profile is
// written.
func (s *server) profile(ctx context.Context, file string, d time.Duration, done *sync.WaitGroup) (stop func(), err error) {
	f, err := os.Create(file + ".client")
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	done.Add(1)
	go func() {
		defer done.Done()
		url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", s.pprof, max(1, int(d.Seconds())))
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		res, err := (&http.Client{}).Do(req)
		if err != nil {
			log.Printf("server profile: %v", err)
			return
		}
		defer res.Body.Close()
		out, err := os.Create(file)
		if err == nil {
			_, err = io.Copy(out, res.Body)
			out.Close()
		}
		if err != nil {
			log.Printf("server profile: %v", err)
		}
	}()
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func (s *server) stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
}

// login returns an API token of the user.
func (s *server) login(ctx context.Context, user string) (string, error) {
	var out struct{ Token string }
	err := s.do(ctx, "", "POST", "/api/v1/auth/login", map[string]string{"account": account, "username": user, "password": password}, &out)
	return out.Token, err
}

// agents makes n agent extensions with a user each, logs each in on the
// floor, and returns their tokens.
func (s *server) agents(ctx context.Context, admin string, n int) ([]string, error) {
	tokens := make([]string, n)
	for i := range n {
		number := fmt.Sprint(3000 + i)
		var ext struct{ ID int64 }
		if err := s.do(ctx, admin, "POST", "/api/v1/extensions", map[string]any{"number": number, "name": "Agent " + number}, &ext); err != nil {
			return nil, err
		}
		if err := s.do(ctx, admin, "PUT", fmt.Sprintf("/api/v1/extensions/%d/agent", ext.ID), map[string]any{"enabled": true, "phone_engine": "external"}, nil); err != nil {
			return nil, err
		}
		user := "a" + number
		if err := s.do(ctx, admin, "POST", "/api/v1/users", map[string]any{"username": user, "role": "agent", "extension_id": ext.ID, "password": password}, nil); err != nil {
			return nil, err
		}
		// Logins are limited per address: each agent signs in from its
		// own loopback address (127.0.1.1, 127.0.1.2, ...).
		from := &net.TCPAddr{IP: net.IPv4(127, 0, byte(1+i/250), byte(1+i%250))}
		c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: (&net.Dialer{LocalAddr: from}).DialContext}}
		var out struct{ Token string }
		if _, err := s.call(ctx, c, "", "POST", "/api/v1/auth/login", map[string]string{"account": account, "username": user, "password": password}, &out); err != nil {
			return nil, err
		}
		c.CloseIdleConnections()
		tok := out.Token
		if err := s.do(ctx, tok, "POST", "/api/v1/floor/me/login", nil, nil); err != nil {
			return nil, err
		}
		tokens[i] = tok
	}
	return tokens, nil
}

// do calls the API with a token and decodes the answer into out.
func (s *server) do(ctx context.Context, token, method, path string, body, out any) error {
	_, err := s.call(ctx, s.hc, token, method, path, body, out)
	return err
}

// command runs an agent's floor command, returning the sequence number
// of its last event.
func (s *server) command(ctx context.Context, token, path string, body any) (int64, error) {
	return s.call(ctx, s.hc, token, "POST", path, body, nil)
}

// call is do through the HTTP client hc, returning the sequence number
// of the last event the request made (X-Callfloor-Seq), if any.
func (s *server) call(ctx context.Context, hc *http.Client, token, method, path string, body, out any) (int64, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+s.http+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, err
	}
	if res.StatusCode >= 300 {
		return 0, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	seq, _ := strconv.ParseInt(res.Header.Get("X-Callfloor-Seq"), 10, 64)
	if out != nil {
		return seq, json.Unmarshal(b, out)
	}
	return seq, nil
}
