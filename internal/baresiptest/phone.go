package baresiptest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Options configure a Phone. Only User is required.
type Options struct {
	// User is the account's SIP user, also its digest username.
	User string
	// Password, if set, answers digest challenges (REGISTER, INVITE).
	Password string
	// Registrar is the host:port the phone registers with and sends its
	// calls through (the account's domain). Empty: the phone does not
	// register, and its address is sip:User@ its own SIP address.
	Registrar string
	// AutoAnswer has the phone answer incoming calls at once
	// (answermode=auto); otherwise they ring until Accept.
	AutoAnswer bool
	// Tone is the frequency of the sine the phone sends in every call, in
	// Hz within the telephone band (rounded to whole Hz); zero picks one
	// of 440, 1000, 1500, 600, 1800, 2200 in turn.
	Tone float64
	// RTPPorts is the range of the phone's RTP ports (10000-29999, below
	// the system's ephemeral ports).
	RTPPorts [2]int
	// Logger, if set, gets the commands and events at debug level.
	Logger *slog.Logger
}

// Phone is a running baresip.
type Phone struct {
	t       testing.TB
	opts    Options
	dir     string
	sipAddr string
	log     *slog.Logger
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the process has exited
	ctl     *control
	events  *eventLog
}

// startTimeout bounds New: starting baresip, connecting and registering.
const startTimeout = 10 * time.Second

var (
	tones    = []float64{440, 1000, 1500, 600, 1800, 2200}
	nextTone atomic.Int64
)

// Path finds baresip. When it is missing the test fails under CI (where
// scripts/setup installs it) and is skipped elsewhere.
func Path(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("baresip")
	if err == nil {
		_, err = os.Stat(filepath.Join(modulePath, "ctrl_tcp.so"))
	}
	if err != nil {
		msg := "baresip is not installed (Debian packages baresip, baresip-core): run scripts/setup"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

// New starts a baresip and, when it has a Registrar, waits until it is
// registered. It is killed when the test ends.
func New(t testing.TB, o Options) *Phone {
	t.Helper()
	bin := Path(t)
	if o.User == "" {
		t.Fatal("baresiptest: Options.User is required")
	}
	o.Tone = math.Round(o.Tone)
	if o.Tone == 0 {
		o.Tone = tones[int(nextTone.Add(1)-1)%len(tones)]
	}
	if o.RTPPorts == [2]int{} {
		o.RTPPorts = [2]int{10000, 29999}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	var p *Phone
	var err error
	// A port found free may be taken by someone else before baresip
	// binds it: then baresip exits, and another set of ports is tried.
	for range 3 {
		if p, err = start(ctx, t, bin, o); !errors.Is(err, errExited) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)
	if o.Registrar != "" {
		if err := p.waitRegistered(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

var errExited = errors.New("baresip exited")

// start writes a configuration, starts baresip with it and connects to
// its control port.
func start(ctx context.Context, t testing.TB, bin string, o Options) (*Phone, error) {
	sip, err := freePort(2)
	if err != nil {
		return nil, err
	}
	ctrl, err := freePort(1)
	if err != nil {
		return nil, err
	}
	p := &Phone{
		t: t, opts: o, dir: t.TempDir(), sipAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(sip)),
		log: o.Logger.With("ext", o.User), exited: make(chan struct{}), events: newEventLog(),
	}
	if err := writeConfig(p.dir, ports{sip: sip, ctrl: ctrl}, o); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(p.dir, "baresip.log"))
	if err != nil {
		return nil, fmt.Errorf("baresiptest: %w", err)
	}
	defer logf.Close() // the child has its own copy
	// Stdin is /dev/null (menu's stdio module is not loaded anyway); -d
	// would fork and lose the PID.
	p.cmd = exec.Command(bin, "-f", p.dir)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	dieWithParent(p.cmd)
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("baresiptest: start baresip: %w", err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	conn, err := p.dialControl(ctx, ctrl)
	if err != nil {
		p.kill()
		return nil, err
	}
	p.ctl = newControl(conn, p.onEvent)
	p.log.Debug("baresip started", "pid", p.cmd.Process.Pid, "sip", p.sipAddr, "dir", p.dir)
	return p, nil
}

// dialControl connects to the control port once baresip listens on it.
func (p *Phone) dialControl(ctx context.Context, port int) (net.Conn, error) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			return conn, nil
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("baresiptest: %w: %s", errExited, p.logTail())
		case <-ctx.Done():
			return nil, fmt.Errorf("baresiptest: control port %s: %w: %s", addr, err, p.logTail())
		case <-tick.C:
		}
	}
}

func (p *Phone) onEvent(e Event) {
	if e.Type != CallRTCP {
		p.log.Debug("baresip event", "event", e.String(), "call", e.CallID)
	}
	p.events.add(e)
}

// stop kills baresip by its PID; when the test failed it logs what
// baresip logged and reported first.
func (p *Phone) stop() {
	if p.t.Failed() {
		p.t.Logf("baresip %s events: %s\nbaresip %s log:\n%s", p.opts.User, p.events.summary(), p.opts.User, p.logTail())
	}
	p.ctl.close()
	p.kill()
}

func (p *Phone) kill() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// logTail is the end of baresip's log.
func (p *Phone) logTail() string {
	b, err := os.ReadFile(filepath.Join(p.dir, "baresip.log"))
	if err != nil {
		return err.Error()
	}
	const max = 8 << 10
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}

// waitRegistered waits for the account's registration to succeed. It asks
// reginfo first, as the registration may be over before the control
// connection was.
func (p *Phone) waitRegistered(ctx context.Context) error {
	state, err := p.regState(ctx)
	switch {
	case err != nil:
		return err
	case state == "OK":
		return nil
	case state == "ERR":
		return p.registerFailed("reginfo says ERR")
	}
	e, err := p.WaitEvent(ctx, Is(RegisterOK, RegisterFail))
	if err != nil {
		return fmt.Errorf("baresiptest: %s not registered: %w", p.opts.User, err)
	}
	if e.Type == RegisterFail {
		return p.registerFailed(e.Param)
	}
	return nil
}

func (p *Phone) registerFailed(why string) error {
	hint := ""
	if strings.Contains(p.logTail(), "Register: Function not implemented") {
		// libre 1.1 (re/src/sip/auth.c) fails the whole authentication
		// with ENOSYS on any challenge whose algorithm is not MD5,
		// instead of answering the MD5 one.
		hint = " (baresip 1.0 cannot answer a digest challenge list that offers any algorithm but MD5)"
	}
	return fmt.Errorf("baresiptest: %s registration with %s failed: %s%s", p.opts.User, p.opts.Registrar, why, hint)
}

// SIPAddr is the host:port baresip takes SIP on.
func (p *Phone) SIPAddr() string { return p.sipAddr }

// Tone is the frequency of the sine the phone sends, in Hz.
func (p *Phone) Tone() float64 { return p.opts.Tone }

// Dir is the phone's configuration directory (config, accounts, its log
// baresip.log and the WAV dumps).
func (p *Phone) Dir() string { return p.dir }

// Events returns the events so far, in order.
func (p *Phone) Events() []Event { return p.events.all() }

// WaitEvent waits for an event that match accepts and returns it. Events
// are kept from the start, in order: it returns the oldest matching event
// not returned by an earlier WaitEvent, so an event that came before the
// call is not missed.
func (p *Phone) WaitEvent(ctx context.Context, match func(Event) bool) (Event, error) {
	return p.events.wait(ctx, p.ctl.done, match)
}

// SkipEvents marks every event so far as seen: WaitEvent returns only
// later ones (say, the SDP answer of a re-INVITE, not of the call's
// INVITE).
func (p *Phone) SkipEvents() { p.events.skip() }

// WaitFor waits for an event of one of the types (see WaitEvent).
func (p *Phone) WaitFor(ctx context.Context, types ...EventType) (Event, error) {
	return p.WaitEvent(ctx, Is(types...))
}
