// Command stream is the realtime stream's fan-out benchmark (make
// bench-stream). It runs callfloor serve as its own process on SQLite,
// logs in -agents agents, opens -clients supervisor WebSocket streams
// (/api/v1/stream, one API token), and has the agents pause and unpause
// at -rate commands a second for -duration through the API. Each pause
// or unpause is one journaled event; every client times each event from
// its journal timestamp to its arrival on the client's socket. For each
// event the slowest client counts (the last socket it reached), and the
// benchmark prints the settings as "# ..." lines and one figure a line as
// "name: value unit".
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

const (
	account  = "bench"
	password = "bench-pass-1"
)

func main() {
	agents := flag.Int("agents", 200, "logged-in agents whose pauses make the events")
	clients := flag.Int("clients", 500, "supervisor WebSocket streams")
	rate := flag.Int("rate", 5000, "agent commands (events) a second")
	duration := flag.Duration("duration", 20*time.Second, "how long the events are driven")
	cpuprofile := flag.String("cpuprofile", "", "write CPU profiles of the load to this file (the server's) and to it with .client appended (the benchmark's own)")
	flag.Parse()
	if *agents < 1 || *clients < 1 || *rate < 1 {
		log.Fatal("-agents, -clients and -rate must be positive")
	}
	if err := run(*agents, *clients, *rate, *duration, *cpuprofile); err != nil {
		log.Fatal(err)
	}
}

func run(nAgents, nClients, rate int, duration time.Duration, cpuprofile string) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "bench-stream-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv, err := start(ctx, dir, nAgents, cpuprofile != "")
	if err != nil {
		return err
	}
	defer srv.stop()
	fmt.Printf("# callfloor serve on SQLite, %d agents, %d supervisor streams, %d events/s for %s\n", nAgents, nClients, rate, duration)

	admin, err := srv.login(ctx, "admin")
	if err != nil {
		return err
	}
	var reason struct{ ID int64 }
	if err := srv.do(ctx, admin, "POST", "/api/v1/pause-reasons", map[string]any{"name": "Bench", "code": 9}, &reason); err != nil {
		return err
	}
	tokens, err := srv.agents(ctx, admin, nAgents)
	if err != nil {
		return err
	}
	var sup struct{ Token string }
	if err := srv.do(ctx, admin, "POST", "/api/v1/tokens", map[string]any{"name": "bench supervisors"}, &sup); err != nil {
		return err
	}

	// The streams: each waits for its snapshot before the load starts.
	cl := make([]*client, nClients)
	var ready sync.WaitGroup
	for i := range cl {
		cl[i] = &client{}
		ready.Add(1)
		go cl[i].run(ctx, "ws://"+srv.http+"/api/v1/stream", sup.Token, &ready)
	}
	ready.Wait()
	for _, c := range cl {
		if c.err != nil {
			return fmt.Errorf("a stream did not start: %w", c.err)
		}
	}

	// The load: the agents pause and unpause in turn, at rate.
	paused := make([]atomic.Bool, nAgents)
	var sent, failed atomic.Int64
	jobs := make(chan int, rate)
	var workers sync.WaitGroup
	for range 64 {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for i := range jobs {
				path, body := "/api/v1/floor/me/pause", any(map[string]any{"reason_id": reason.ID})
				if paused[i].Load() {
					path, body = "/api/v1/floor/me/unpause", nil
				}
				if err := srv.do(ctx, tokens[i], "POST", path, body, nil); err != nil {
					failed.Add(1)
					continue
				}
				paused[i].Store(!paused[i].Load())
				sent.Add(1)
			}
		}()
	}
	var profiled sync.WaitGroup
	if cpuprofile != "" {
		stop, err := srv.profile(ctx, cpuprofile, duration, &profiled)
		if err != nil {
			return err
		}
		defer stop()
	}
	start := time.Now()
	tick := time.NewTicker(time.Second / 100)
	n := 0
	for time.Since(start) < duration {
		<-tick.C
		due := int(time.Since(start).Seconds() * float64(rate))
		for ; n < due; n++ {
			select {
			case jobs <- n % nAgents:
			default: // the server is behind: the offered rate is not reached
			}
		}
	}
	tick.Stop()
	close(jobs)
	workers.Wait()
	took := time.Since(start)
	time.Sleep(2 * time.Second) // the last events reach the clients
	profiled.Wait()
	for _, c := range cl {
		c.stop()
	}

	// Per event, the slowest client's latency.
	slowest := map[int64]time.Duration{}
	received := 0
	for _, c := range cl {
		c.mu.Lock()
		for _, s := range c.seen {
			received++
			if s.lat > slowest[s.seq] {
				slowest[s.seq] = s.lat
			}
		}
		c.mu.Unlock()
	}
	lat := make([]time.Duration, 0, len(slowest))
	for _, d := range slowest {
		lat = append(lat, d)
	}
	slices.Sort(lat)
	q := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
	}
	fmt.Printf("# %d commands applied in %s (%.0f/s), %d refused or failed; %d events reached the streams, %d deliveries (%.0f per event)\n",
		sent.Load(), took.Round(time.Millisecond), float64(sent.Load())/took.Seconds(), failed.Load(), len(slowest), received,
		float64(received)/float64(max(1, len(slowest))))
	fmt.Printf("# fan-out to the last client: p50 %.1f ms, p90 %.1f ms, max %.1f ms\n", q(0.5), q(0.9), q(1))
	fmt.Printf("stream_fanout_p99: %.1f ms\n", q(0.99))
	return nil
}

// client is one supervisor's stream: it keeps each event's sequence
// number and how long after its journal timestamp it arrived.
type client struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error
	mu     sync.Mutex
	seen   []arrival
}

type arrival struct {
	seq int64
	lat time.Duration
}

func (c *client) run(ctx context.Context, url, token string, ready *sync.WaitGroup) {
	ctx, c.cancel = context.WithCancel(ctx)
	c.done = make(chan struct{})
	defer close(c.done)
	once := sync.OnceFunc(ready.Done)
	defer once()
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + token}}})
	if err != nil {
		c.err = err
		return
	}
	defer conn.CloseNow()
	conn.SetReadLimit(64 << 20)
	var msg struct {
		Type  string
		Seq   int64
		Event *struct{ At time.Time }
	}
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			return
		}
		now := time.Now()
		msg.Event = nil
		if err := json.Unmarshal(data, &msg); err != nil {
			c.err = err
			return
		}
		switch {
		case msg.Type == "snapshot":
			once()
		case msg.Type == "event" && msg.Event != nil:
			c.mu.Lock()
			c.seen = append(c.seen, arrival{msg.Seq, now.Sub(msg.Event.At)})
			c.mu.Unlock()
		}
	}
}

func (c *client) stop() {
	c.cancel()
	<-c.done
}

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
		hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}, Timeout: 30 * time.Second}}
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
		if err := s.call(ctx, c, "", "POST", "/api/v1/auth/login", map[string]string{"account": account, "username": user, "password": password}, &out); err != nil {
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
	return s.call(ctx, s.hc, token, method, path, body, out)
}

// call is do through the HTTP client hc.
func (s *server) call(ctx context.Context, hc *http.Client, token, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+s.http+path, rd)
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
