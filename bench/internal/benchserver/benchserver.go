// Package benchserver runs callfloor serve as its own process for a load
// benchmark: it builds the binary, makes an account with its admin, serves
// on a free loopback port on SQLite, makes logged-in agents and has them
// pause and unpause at a steady rate (Pauses). Its client calls the API
// with tokens, as an integration would.
package benchserver

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
	// Pprof serves the server's metrics listener, with Go's profiles,
	// at PprofAddr (see Profile).
	Pprof bool
}

// Server is callfloor serve, run as its own process.
type Server struct {
	// HTTP is the API's host:port; PprofAddr the metrics listener's,
	// which serves /debug/pprof/ (Options.Pprof). DB is the SQLite
	// database file, for a benchmark that reads what the server left
	// once it has stopped.
	HTTP      string
	PprofAddr string
	DB        string
	cmd       *exec.Cmd
	exited    chan struct{}
	hc        *http.Client
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
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	s := &Server{HTTP: addr, DB: filepath.Join(data, "callfloor.db"), exited: make(chan struct{}),
		hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: max(128, opts.Licences)}, Timeout: 30 * time.Second}}
	args := append([]string{"serve", "--data", data, "--http", addr, "--sip", "127.0.0.1:0", "--log-level", "warn"}, opts.Args...)
	if opts.Pprof {
		if s.PprofAddr, err = freeAddr(); err != nil {
			return nil, err
		}
		args = append(args, "--metrics-listen", s.PprofAddr)
	}
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

// freeAddr is a loopback address with a port free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Profile profiles the server (from its metrics listener, for d, into
// file) and this process (into file.client, until stop is called). done
// is done when the server's profile is written.
func (s *Server) Profile(ctx context.Context, file string, d time.Duration, done *sync.WaitGroup) (stop func(), err error) {
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
		url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", s.PprofAddr, max(1, int(d.Seconds())))
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
		if _, err := s.Call(ctx, c, "", "POST", "/api/v1/auth/login", map[string]string{"account": Account, "username": user, "password": Password}, &tok); err != nil {
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
	_, err := s.Call(ctx, s.hc, token, method, path, body, out)
	return err
}

// Command runs an agent's floor command, returning the sequence number
// of its last event.
func (s *Server) Command(ctx context.Context, token, path string, body any) (int64, error) {
	return s.Call(ctx, s.hc, token, "POST", path, body, nil)
}

// Call is Do through the HTTP client hc, returning the sequence number
// of the last event the request made (X-Callfloor-Seq), if any.
func (s *Server) Call(ctx context.Context, hc *http.Client, token, method, path string, body, out any) (int64, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.URL()+path, rd)
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
