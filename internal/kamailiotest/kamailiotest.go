// Package kamailiotest runs Debian's kamailio with the repository's SIP
// front door (deploy/kamailio/kamailio.cfg) in front of given SIP nodes,
// for tests: in the foreground, logging to a buffer, on a free UDP port
// of 127.0.0.1, with a dispatcher list written into a temporary
// directory, and, with Options.OwnerDB, the owner look-up reading
// callfloor's PostgreSQL. It is stopped by its process id when the test
// ends.
package kamailiotest

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/callfloor/callfloor/internal/syncbuf"
)

// Options are the config's defines a test may change.
type Options struct {
	// PingInterval is how often kamailio probes each node with OPTIONS
	// (DS_PING_INTERVAL); 1s when zero.
	PingInterval time.Duration
	// FRTimer is how long a request (a probe too) waits for a node's
	// first reply before it counts as unanswered (FR_TIMER); 1s when zero.
	FRTimer time.Duration

	// OwnerDB, when set, turns on the owner look-up: callfloor's
	// PostgreSQL as a URL (postgres://user:password@host:port/database;
	// a query string is dropped, and a search_path in it becomes the
	// libpq option that selects the schema).
	OwnerDB string
	// OwnerCache is how long a look-up's answer is kept (OWNER_CACHE,
	// whole seconds); 1s when zero.
	OwnerCache time.Duration
	// NodeAlive is how recent a node's seen_at must be for it to own its
	// accounts (NODE_ALIVE, whole seconds); the config's default (15s)
	// when zero.
	NodeAlive time.Duration

	// WebSocket, when set, turns on the WebSocket listener (WS_LISTEN)
	// on a free TCP port of 127.0.0.1, given in Proxy.WSAddr.
	WebSocket bool
}

// Proxy is a running kamailio.
type Proxy struct {
	// Addr is its SIP address, 127.0.0.1:port over UDP.
	Addr string
	// WSAddr is its WebSocket SIP address, 127.0.0.1:port (ws://), when
	// Options.WebSocket was set.
	WSAddr string
	// Log is what it printed to stderr.
	Log *syncbuf.Buffer

	cmd    *exec.Cmd
	exited chan struct{}
}

// Path finds kamailio, on PATH or in /usr/sbin (where Debian puts it, off
// an ordinary user's PATH). When it is missing the test fails under CI
// (where scripts/setup installs it) and is skipped elsewhere.
func Path(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("kamailio")
	if err != nil {
		p, err = exec.LookPath("/usr/sbin/kamailio")
	}
	if err != nil {
		msg := "kamailio is not installed (Debian package kamailio); run scripts/setup"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

// needPostgresModule fails the test under CI, and skips it elsewhere,
// when kamailio's db_postgres module (Debian package
// kamailio-postgres-modules) is not installed.
func needPostgresModule(t testing.TB) {
	t.Helper()
	if m, _ := filepath.Glob("/usr/lib/*/kamailio/modules/db_postgres.so"); len(m) > 0 {
		return
	}
	msg := "kamailio's db_postgres is not installed (Debian package kamailio-postgres-modules); run scripts/setup"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// needWebSocketModule fails the test under CI, and skips it elsewhere,
// when kamailio's websocket module (Debian package
// kamailio-websocket-modules) is not installed.
func needWebSocketModule(t testing.TB) {
	t.Helper()
	if m, _ := filepath.Glob("/usr/lib/*/kamailio/modules/websocket.so"); len(m) > 0 {
		return
	}
	msg := "kamailio's websocket module is not installed (Debian package kamailio-websocket-modules); run scripts/setup"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Config is the path of the repository's kamailio.cfg.
func Config(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("kamailiotest: cannot locate its own source")
	}
	cfg := filepath.Join(filepath.Dir(file), "..", "..", "deploy", "kamailio", "kamailio.cfg")
	if _, err := os.Stat(cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Start runs kamailio in front of nodes (host:port, UDP), all in
// dispatcher set 1 in the given order, and returns once it answers
// OPTIONS.
func Start(t testing.TB, nodes []string, o Options) *Proxy {
	t.Helper()
	bin := Path(t)
	cfg := Config(t)
	if o.PingInterval == 0 {
		o.PingInterval = time.Second
	}
	if o.FRTimer == 0 {
		o.FRTimer = time.Second
	}
	dir := t.TempDir()
	var list strings.Builder
	for _, n := range nodes {
		fmt.Fprintf(&list, "1 sip:%s 0 0\n", n)
	}
	dsList := filepath.Join(dir, "dispatcher.list")
	if err := os.WriteFile(dsList, []byte(list.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	p := &Proxy{Addr: fmt.Sprintf("127.0.0.1:%d", port), Log: &syncbuf.Buffer{}, exited: make(chan struct{})}
	// -DD: do not daemonize (the process we start stays the main one);
	// -E: log to stderr; -S: no SCTP; -Y, -w: runtime and working
	// directory in the temp dir, not /run/kamailio.
	p.cmd = exec.Command(bin, "-DD", "-E", "-S",
		"-f", cfg, "-Y", dir, "-w", dir,
		"-A", "LISTEN=udp:"+p.Addr,
		"-A", fmt.Sprintf("DISPATCHER_LIST=%q", dsList),
		"-A", fmt.Sprintf("DS_PING_INTERVAL=%d", max(1, int(o.PingInterval/time.Second))),
		"-A", fmt.Sprintf("FR_TIMER=%d", o.FRTimer.Milliseconds()),
		"-A", "LOG_LEVEL=2")
	if o.OwnerDB != "" {
		needPostgresModule(t)
		db, params := OwnerDB(t, o.OwnerDB)
		p.cmd.Args = append(p.cmd.Args, "-A", fmt.Sprintf("OWNER_DB=%q", db),
			"-A", fmt.Sprintf("OWNER_CACHE=%d", max(1, int(o.OwnerCache/time.Second))))
		if params != "" {
			p.cmd.Args = append(p.cmd.Args, "-A", fmt.Sprintf("OWNER_DB_PARAMS=%q", params))
		}
		if o.NodeAlive != 0 {
			p.cmd.Args = append(p.cmd.Args, "-A", fmt.Sprintf("NODE_ALIVE=%d", max(1, int(o.NodeAlive/time.Second))))
		}
	}
	if o.WebSocket {
		needWebSocketModule(t)
		p.WSAddr = fmt.Sprintf("127.0.0.1:%d", freeTCP(t))
		p.cmd.Args = append(p.cmd.Args, "-A", "WS_LISTEN=tcp:"+p.WSAddr)
	}
	p.cmd.Stdout = p.Log
	p.cmd.Stderr = p.Log
	// Its own process group, so its children can be ended with it if the
	// main process does not end them itself.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("kamailio's log:\n%s", p.Log.String())
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := ping(p.Addr)
		if err == nil {
			return p
		}
		select {
		case <-p.exited:
			t.Fatalf("kamailio exited before it answered OPTIONS:\n%s", p.Log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("kamailio did not answer OPTIONS on %s: %v", p.Addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// OwnerDB turns a PostgreSQL URL into the config's OWNER_DB (sqlops'
// connection "cf=>postgres://...", as db_postgres parses it: user,
// password, host, port and database, nothing else) and OWNER_DB_PARAMS
// (db_postgres' con_param: the search_path of the URL as a libpq option,
// or "").
func OwnerDB(t testing.TB, pgURL string) (db, params string) {
	t.Helper()
	u, err := url.Parse(pgURL)
	if err != nil {
		t.Fatal(err)
	}
	if sp := u.Query().Get("search_path"); sp != "" {
		if strings.ContainsAny(sp, " ;='\"\\") {
			t.Fatalf("kamailiotest: search_path %q cannot go into con_param", sp)
		}
		params = "options=-csearch_path=" + sp
	}
	u.RawQuery = ""
	u.Fragment = ""
	return "cf=>" + u.String(), params
}

// stop ends kamailio by its process id: SIGTERM, which makes the main
// process end its children, then SIGKILL to its process group if it is
// still there after five seconds.
func (p *Proxy) stop() {
	pid := p.cmd.Process.Pid
	_ = syscall.Kill(pid, syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-p.exited
	}
}

// ping sends one OPTIONS to the proxy itself and waits for a 200.
func ping(addr string) error {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	local := c.LocalAddr().String()
	msg := "OPTIONS sip:" + addr + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + local + ";branch=z9hG4bK-kamailiotest-" + fmt.Sprint(time.Now().UnixNano()) + "\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: <sip:kamailiotest@127.0.0.1>;tag=kt\r\n" +
		"To: <sip:" + addr + ">\r\n" +
		"Call-ID: kamailiotest-" + fmt.Sprint(time.Now().UnixNano()) + "\r\n" +
		"CSeq: 1 OPTIONS\r\n" +
		"Content-Length: 0\r\n\r\n"
	if _, err := c.Write([]byte(msg)); err != nil {
		return err
	}
	_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(string(buf[:n]), "SIP/2.0 200 ") {
		line, _, _ := strings.Cut(string(buf[:n]), "\r\n")
		return errors.New("answered " + line)
	}
	return nil
}

// freePort returns a UDP port free on loopback now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.LocalAddr().(*net.UDPAddr).Port
}

// freeTCP returns a TCP port free on loopback now.
func freeTCP(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
