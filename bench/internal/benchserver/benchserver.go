// Package benchserver runs callfloor serve as its own process for a load
// benchmark: it builds the binary, makes an account with its admin, serves
// on a free loopback port on SQLite, and makes logged-in agents. Its
// client calls the API with tokens, as an integration would.
package benchserver

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
	"strings"
	"syscall"
	"time"
)

// Account and Password are the bench account's name and every user's
// password.
const (
	Account  = "bench"
	Password = "bench-pass-1"
)

// Options shape the server.
type Options struct {
	// Licences is how many agents the account may enable.
	Licences int
	// Args are more arguments for callfloor serve (e.g. --simulate).
	Args []string
}

// Server is callfloor serve, run as its own process.
type Server struct {
	// HTTP is the API's host:port.
	HTTP   string
	cmd    *exec.Cmd
	exited chan struct{}
	hc     *http.Client
}

// Start builds callfloor into dir, makes the account and its admin
// ("admin"), and serves; Stop ends it.
func Start(ctx context.Context, dir string, opts Options) (*Server, error) {
	bin := filepath.Join(dir, "callfloor")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/callfloor/callfloor/cmd/callfloor").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building callfloor: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")
	for _, args := range [][]string{
		{"admin", "create-account", "--data", data, "--name", Account, "--time-zone", "UTC",
			"--licence-kind", "agent_extensions", "--agent-licences", fmt.Sprint(opts.Licences)},
		{"admin", "create-user", "--data", data, "--account", Account, "--username", "admin", "--role", "admin", "--password-stdin"},
	} {
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Stdin = strings.NewReader(Password + "\n")
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
	s := &Server{HTTP: addr, exited: make(chan struct{}),
		hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}, Timeout: 30 * time.Second}}
	args := append([]string{"serve", "--data", data, "--http", addr, "--sip", "127.0.0.1:0", "--log-level", "warn"}, opts.Args...)
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = os.Stderr, os.Stderr
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, err := s.Login(ctx, "admin"); err == nil {
			return s, nil
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("callfloor serve not answering at %s", addr)
		}
	}
}

// Stop ends the server: SIGTERM, then a kill after 10 seconds.
func (s *Server) Stop() {
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

// URL is the server's base URL.
func (s *Server) URL() string { return "http://" + s.HTTP }

// Login returns an API token of the user.
func (s *Server) Login(ctx context.Context, user string) (string, error) {
	var out struct{ Token string }
	err := s.Do(ctx, "", "POST", "/api/v1/auth/login", map[string]string{"account": Account, "username": user, "password": Password}, &out)
	return out.Token, err
}

// Agent is a logged-in agent: its extension and its session token.
type Agent struct {
	ExtensionID int64
	Number      string
	Token       string
}

// Agents makes n agent extensions (numbers from 3000) with a user each,
// logs each in on the floor, and returns them.
func (s *Server) Agents(ctx context.Context, admin string, n int) ([]Agent, error) {
	out := make([]Agent, n)
	for i := range n {
		number := fmt.Sprint(3000 + i)
		var ext struct{ ID int64 }
		if err := s.Do(ctx, admin, "POST", "/api/v1/extensions", map[string]any{"number": number, "name": "Agent " + number}, &ext); err != nil {
			return nil, err
		}
		if err := s.Do(ctx, admin, "PUT", fmt.Sprintf("/api/v1/extensions/%d/agent", ext.ID), map[string]any{"enabled": true, "phone_engine": "external"}, nil); err != nil {
			return nil, err
		}
		user := "a" + number
		if err := s.Do(ctx, admin, "POST", "/api/v1/users", map[string]any{"username": user, "role": "agent", "extension_id": ext.ID, "password": Password}, nil); err != nil {
			return nil, err
		}
		// Logins are limited per address: each agent signs in from its
		// own loopback address (127.0.1.1, 127.0.1.2, ...).
		from := &net.TCPAddr{IP: net.IPv4(127, 0, byte(1+i/250), byte(1+i%250))}
		c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: (&net.Dialer{LocalAddr: from}).DialContext}}
		var tok struct{ Token string }
		if err := s.Call(ctx, c, "", "POST", "/api/v1/auth/login", map[string]string{"account": Account, "username": user, "password": Password}, &tok); err != nil {
			return nil, err
		}
		c.CloseIdleConnections()
		if err := s.Do(ctx, tok.Token, "POST", "/api/v1/floor/me/login", nil, nil); err != nil {
			return nil, err
		}
		out[i] = Agent{ExtensionID: ext.ID, Number: number, Token: tok.Token}
	}
	return out, nil
}

// Do calls the API with a token and decodes the answer into out.
func (s *Server) Do(ctx context.Context, token, method, path string, body, out any) error {
	return s.Call(ctx, s.hc, token, method, path, body, out)
}

// Call is Do through the HTTP client hc.
func (s *Server) Call(ctx context.Context, hc *http.Client, token, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.URL()+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}
