package dispatch_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/dispatch"
	"github.com/callfloor/callfloor/floor"
	"github.com/callfloor/callfloor/internal/baresiptest"
	"github.com/callfloor/callfloor/internal/sipptest"
	"github.com/callfloor/callfloor/internal/syncbuf"
	"github.com/callfloor/callfloor/sip/b2bua"
	"github.com/callfloor/callfloor/sip/registrar"
	"github.com/callfloor/callfloor/sqlite"
	"github.com/callfloor/callfloor/sqlstore"
	"github.com/callfloor/callfloor/telephony"
)

func TestMain(m *testing.M) {
	sip.SetDefaultLogger(quiet())
	os.Exit(m.Run())
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// logger logs to the test when it runs with -v.
func logger(t *testing.T) *slog.Logger {
	if !testing.Verbose() {
		return quiet()
	}
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

const secret = "secret-123456"

// rig is the whole server's call path in process, wired as `callfloor
// serve` wires it: a SQLite store, the floor engine, the registrar and
// the B2BUA on one UDP socket of 127.0.0.1, the link between them and the
// ACD. The phones are real peers: baresip for the members, sipp for the
// customers.
type rig struct {
	t    *testing.T
	ctx  context.Context
	st   callfloor.Store
	f    *floor.Floor
	reg  *registrar.Registrar
	b    *b2bua.B2BUA
	d    *dispatch.Dispatcher
	addr string
	acc  int64

	mu        sync.Mutex
	stats     []callfloor.QueueStats
	floorE    []callfloor.Event
	customers []*customer
}

type rigOptions struct {
	// rand draws the random strategy's member.
	rand func(n int) int
	// trunks routes calls to outside numbers through the account's
	// trunks.
	trunks bool
	// mediaTimeout is the B2BUA's (0: its default).
	mediaTimeout time.Duration
}

func newRig(t *testing.T, o rigOptions) *rig {
	t.Helper()
	sipptest.Path(t)
	baresiptest.Path(t)
	ctx := context.Background()
	st, acc := newStore(t, callfloor.SystemClock{})
	r := &rig{t: t, ctx: callfloor.SystemContext(ctx, acc.ID), st: st, acc: acc.ID}
	log := logger(t)

	var err error
	r.reg, err = registrar.New(registrar.Config{Store: st, Realm: callfloor.DefaultSIPRealm, Logger: log, Algorithms: []string{"MD5"}})
	if err != nil {
		t.Fatal(err)
	}
	r.f = floor.New(floor.FloorConfig{Journal: st, Clock: callfloor.SystemClock{}, LoadConfig: floor.StoreConfig(st),
		RequirePhone: true, Phones: r.phones, Logger: log, Publish: func(evs []callfloor.Event) {
			r.published(evs)
			r.d.OnFloorEvents(evs)
		}})
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = conn.LocalAddr().String()
	link := telephony.NewLink(r.f, log)
	var phones lateB2BUA
	r.d = dispatch.New(dispatch.Config{Floor: r.f, Phones: &phones, Registered: r.reg.Registered,
		Extension: func(ctx context.Context, account, id int64) (*callfloor.Extension, error) {
			return st.FindExtensionByID(callfloor.SystemContext(ctx, account), id)
		},
		Publish: r.published, Logger: log, Rand: o.rand, Tick: 50 * time.Millisecond, StatsEvery: time.Hour})
	var trunks b2bua.TrunkRouter
	if o.trunks {
		trunks = &telephony.Trunks{Directory: st}
	}
	r.b, err = b2bua.New(b2bua.Config{
		Trunks:    trunks,
		Registrar: r.reg,
		FindExtensionByNumber: func(ctx context.Context, account int64, number string) (*callfloor.Extension, error) {
			return st.FindExtensionByNumber(callfloor.SystemContext(ctx, account), number)
		},
		Contact:  sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: conn.LocalAddr().(*net.UDPAddr).Port},
		SendFrom: r.addr,
		Admit:    link.Admit,
		OnEvent: func(ev b2bua.Event) {
			link.OnEvent(ev)
			r.d.OnCallEvent(ev)
		},
		Queues:       r.d,
		Logger:       log,
		MediaTimeout: o.mediaTimeout,
	})
	if err != nil {
		t.Fatal(err)
	}
	phones.B2BUA = r.b
	changes, stop := r.reg.Watch()
	go func() {
		for ch := range changes {
			_, _ = r.f.Do(context.Background(), ch.AccountID, floor.Phone{Ext: ch.ExtensionID, Softphone: ch.Softphone, Browser: ch.Browser})
		}
	}()
	go r.reg.ServeUDP(conn)
	t.Cleanup(func() {
		r.d.Close()
		r.b.Close()
		link.Close()
		stop()
		r.reg.Close()
		conn.Close()
		r.f.Close()
	})
	return r
}

// newStore opens a SQLite store in the test's folder with an account,
// acme, of ten agent licences.
func newStore(t *testing.T, clock callfloor.Clock) (callfloor.Store, *callfloor.Account) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"), sqlstore.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	acc := &callfloor.Account{Name: "acme", TimeZone: "UTC", LicenceKind: callfloor.LicenceAgentExtensions, AgentLicences: 10}
	if err := st.CreateAccount(context.Background(), acc); err != nil {
		t.Fatal(err)
	}
	return st, acc
}

// lateB2BUA is the dispatcher's way to the B2BUA, which is made after it.
type lateB2BUA struct{ *b2bua.B2BUA }

func (r *rig) published(evs []callfloor.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range evs {
		if ev.QueueStats != nil {
			r.stats = append(r.stats, *ev.QueueStats)
		} else {
			r.floorE = append(r.floorE, ev)
		}
	}
}

// ext creates an extension: an agent, or a participant (queues feature
// without the agent tab), or a plain one.
func (r *rig) ext(number string, kind string) *callfloor.Extension {
	r.t.Helper()
	return createExt(r.t, r.st, r.ctx, number, kind)
}

// queue creates a queue with members and makes the floor read it.
func (r *rig) queue(q *callfloor.Queue, members ...*callfloor.Extension) *callfloor.Queue {
	r.t.Helper()
	return createQueue(r.t, r.st, r.ctx, r.f, r.acc, q, members...)
}

// createExt stores an extension of kind agent, participant or plain,
// with the tests' SIP secret.
func createExt(t *testing.T, st callfloor.Store, ctx context.Context, number, kind string) *callfloor.Extension {
	t.Helper()
	e := &callfloor.Extension{Number: number, Name: "Ext " + number, Agent: callfloor.DefaultAgentSettings(),
		SIPUsername: callfloor.NewSIPUsername(number), QueuesFeature: kind != "plain"}
	e.Agent.Enabled = kind == "agent"
	e.Agent.PhoneEngine = callfloor.PhoneExternal // the agents answer on baresip
	e.SetSIPSecret(callfloor.DefaultSIPRealm, secret)
	if err := st.CreateExtension(ctx, e); err != nil {
		t.Fatal(err)
	}
	return e
}

// createQueue stores a queue with members and reloads the floor.
func createQueue(t *testing.T, st callfloor.Store, ctx context.Context, f *floor.Floor, acc int64,
	q *callfloor.Queue, members ...*callfloor.Extension) *callfloor.Queue {
	t.Helper()
	for _, m := range members {
		q.Members = append(q.Members, callfloor.QueueMember{ExtensionID: m.ID})
	}
	if err := st.CreateQueue(ctx, q); err != nil {
		t.Fatal(err)
	}
	if err := f.Reload(context.Background(), acc); err != nil {
		t.Fatal(err)
	}
	return q
}

func (r *rig) reload() {
	r.t.Helper()
	if err := r.f.Reload(context.Background(), r.acc); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) do(in floor.Input) {
	r.t.Helper()
	if _, err := r.f.Do(context.Background(), r.acc, in); err != nil {
		r.t.Fatalf("%T: %v", in, err)
	}
}

// agentState reads an agent's state and pause on the floor.
func (r *rig) agentState(ext int64) (callfloor.AgentState, *callfloor.PauseRef) {
	var st callfloor.AgentState
	var p *callfloor.PauseRef
	_ = r.f.View(context.Background(), r.acc, func(s *floor.State, _ *floor.Config) {
		a := s.Agent(ext)
		st, p = a.State, a.Pause
	})
	return st, p
}

// waitState waits until the agent is in state.
func (r *rig) waitState(ext *callfloor.Extension, want callfloor.AgentState) {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, _ := r.agentState(ext.ID)
		if st == want {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("agent %s is %s, want %s", ext.Number, st, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// phone starts a baresip registered as ext; auto answers every call.
func (r *rig) phone(ext *callfloor.Extension, tone float64, auto bool) *baresiptest.Phone {
	r.t.Helper()
	return baresiptest.New(r.t, baresiptest.Options{User: ext.SIPUsername, Password: secret, Registrar: r.addr,
		AutoAnswer: auto, Tone: tone, Logger: logger(r.t)})
}

// agent creates an agent with a baresip phone that answers at once, and
// logs them in.
func (r *rig) agent(number string, tone float64) (*callfloor.Extension, *baresiptest.Phone) {
	r.t.Helper()
	e := r.ext(number, "agent")
	p := r.phone(e, tone, true)
	r.reload()
	r.do(floor.Login{Ext: e.ID})
	r.waitState(e, callfloor.StateIdle)
	return e, p
}

// customer is a sipp caller: an extension calling number, staying on the
// line for hold (waiting, then talking) before hanging up. scenario is a
// file of testdata.
type customer struct {
	cmd *exec.Cmd
	out syncbuf.Buffer
	err chan error
}

func (r *rig) call(caller *callfloor.Extension, number string, scenario string, hold time.Duration, sippArgs ...string) *customer {
	r.t.Helper()
	sf, err := filepath.Abs(filepath.Join("testdata", scenario))
	if err != nil {
		r.t.Fatal(err)
	}
	args := []string{"127.0.0.1:" + strconv.Itoa(r.port()),
		"-sf", sf, "-inf", sipptest.Users(r.t, caller.SIPUsername, ""),
		"-au", caller.SIPUsername, "-ap", secret, "-s", number,
		"-i", "127.0.0.1", "-p", strconv.Itoa(sipptest.FreePort(r.t)),
		"-t", "u1", "-m", "1", "-d", strconv.Itoa(int(hold.Milliseconds())),
		"-timeout", "30s", "-timeout_error", "-nostdin"}
	args = append(args, sippArgs...)
	c := &customer{cmd: exec.Command(sipptest.Path(r.t), args...), err: make(chan error, 1)}
	c.cmd.Dir = r.t.TempDir()
	c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.out
	if err := c.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	go func() { c.err <- c.cmd.Wait() }()
	r.t.Cleanup(func() { _ = c.cmd.Process.Kill() })
	r.mu.Lock()
	r.customers = append(r.customers, c)
	r.mu.Unlock()
	return c
}

// done waits for the customer's sipp to finish its scenario.
func (c *customer) done(t *testing.T) {
	t.Helper()
	select {
	case err := <-c.err:
		if err != nil {
			t.Fatalf("sipp customer: %v\n%s", err, c.out.String())
		}
	case <-time.After(40 * time.Second):
		t.Fatalf("sipp customer still running\n%s", c.out.String())
	}
}

// carrier is what a call out needs: a trunk of the account to a sipp
// carrier that answers one call, a caller-ID pool (+441632960101) and
// an outbound queue (690).
type carrier struct {
	out      *callfloor.Queue
	pool     *callfloor.CallerIDPool
	messages string
	output   syncbuf.Buffer
	done     chan error
}

// carrier starts the sipp carrier, which gives up 5 s before ctx does.
func (r *rig) carrier(ctx context.Context) *carrier {
	r.t.Helper()
	port := sipptest.FreePort(r.t)
	tr := callfloor.NewTrunk("Carrier", fmt.Sprintf("127.0.0.1:%d", port))
	tr.Username, tr.Password, tr.DefaultCallerID = "acme", "trunk-pass-1", "+441632960000"
	if err := r.st.CreateTrunk(r.ctx, tr); err != nil {
		r.t.Fatal(err)
	}
	c := &carrier{pool: &callfloor.CallerIDPool{Name: "UK", Numbers: []string{"+441632960101"}},
		messages: filepath.Join(r.t.TempDir(), "carrier.log"), done: make(chan error, 1)}
	if err := r.st.CreateCallerIDPool(r.ctx, c.pool); err != nil {
		r.t.Fatal(err)
	}
	c.out = r.queue(callfloor.NewQueue("690", "Outbound"))
	timeout := time.Minute
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d) - 5*time.Second
	}
	cmd := exec.CommandContext(ctx, sipptest.Path(r.t), "-sn", "uas", "-i", "127.0.0.1", "-p", fmt.Sprint(port),
		"-t", "u1", "-m", "1", "-trace_msg", "-message_file", c.messages,
		"-timeout", fmt.Sprintf("%ds", int(timeout.Seconds())), "-nostdin")
	cmd.Stdout, cmd.Stderr = &c.output, &c.output
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	go func() { c.done <- cmd.Wait() }()
	return c
}

// log waits for the carrier's call to end and returns sipp's log of the
// messages.
func (c *carrier) log(ctx context.Context, t *testing.T) string {
	t.Helper()
	select {
	case err := <-c.done:
		if err != nil {
			t.Fatalf("sipp carrier: %v\n%s", err, c.output.String())
		}
	case <-ctx.Done():
		t.Fatalf("the carrier's call did not end\n%s", c.output.String())
	}
	b, err := os.ReadFile(c.messages)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (r *rig) port() int {
	_, p, _ := net.SplitHostPort(r.addr)
	n, _ := strconv.Atoi(p)
	return n
}

// waitStats waits for published figures of queue q that satisfy ok.
func (r *rig) waitStats(q *callfloor.Queue, what string, ok func(callfloor.QueueStats) bool) callfloor.QueueStats {
	r.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		all, err := r.d.Stats(context.Background(), r.acc)
		if err != nil {
			r.t.Fatal(err)
		}
		for _, s := range all {
			if s.QueueID == q.ID && ok(s) {
				return s
			}
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("queue %s: no figures with %s; last %+v", q.Number, what, all)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// answeredBy waits for the next floor event of an agent answering a call
// of queue q, and returns the agent's extension ID.
func (r *rig) answeredBy(q *callfloor.Queue, after int) (int64, int) {
	r.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r.mu.Lock()
		evs := r.floorE
		r.mu.Unlock()
		for i := after; i < len(evs); i++ {
			if ev := evs[i]; ev.Type == callfloor.EventCallAnswered && ev.Call != nil && ev.Call.QueueID == q.ID {
				return ev.ExtensionID, i + 1
			}
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("no agent answered a call of queue %s; offered to %v\n%s", q.Number, r.offered(q), r.customersSaid())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// customersSaid is the end of what the last customer's sipp printed, for
// a failing test.
func (r *rig) customersSaid() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.customers) == 0 {
		return "no customer called"
	}
	out := r.customers[len(r.customers)-1].out.String()
	if len(out) > 4000 {
		out = out[len(out)-4000:]
	}
	return "the last customer's sipp:\n" + out
}

// offered lists the extensions the floor offered calls of queue q to.
func (r *rig) offered(q *callfloor.Queue) []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int64
	for _, ev := range r.floorE {
		if ev.Type == callfloor.EventCallOffered && ev.Call != nil && ev.Call.QueueID == q.ID {
			out = append(out, ev.ExtensionID)
		}
	}
	return out
}

// records lists the journaled call records of the account with a step.
func (r *rig) records(step string) []callfloor.CallRecord {
	r.t.Helper()
	evs, err := r.st.ReadEvents(context.Background(), r.acc, 0, 100000)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []callfloor.CallRecord
	for _, ev := range evs {
		if ev.Record != nil && ev.Record.Step == step {
			out = append(out, *ev.Record)
		}
	}
	return out
}

// dialRequests lists the calls the floor let an agent place.
func (r *rig) dialRequests(ext int64) []callfloor.CallRef {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []callfloor.CallRef
	for _, ev := range r.floorE {
		if ev.Type == callfloor.EventDialRequested && ev.ExtensionID == ext && ev.Call != nil {
			out = append(out, *ev.Call)
		}
	}
	return out
}

// lastCall is the ID of the last call offered to an extension, with its
// direction checked: a queue call.
func (r *rig) lastCall(ext int64) string {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.floorE) - 1; i >= 0; i-- {
		if ev := r.floorE[i]; ev.Type == callfloor.EventCallOffered && ev.ExtensionID == ext && ev.Call != nil {
			if ev.Call.Direction != callfloor.DirQueueIn {
				r.t.Errorf("offered call %+v, want direction queue_in", ev.Call)
			}
			return ev.Call.ID
		}
	}
	r.t.Fatalf("no call offered to %d", ext)
	return ""
}

// waitRecords waits (up to 5 s) until the journal holds at least n call
// records of a step, and returns them: the ACD's journal writer writes
// them after the figures count them.
func (r *rig) waitRecords(step string, n int) []callfloor.CallRecord {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		recs := r.records(step)
		if len(recs) >= n || time.Now().After(deadline) {
			return recs
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// phones tells the floor which kinds of phone an extension has
// registered, as serve does.
func (r *rig) phones(acc, ext int64) floor.Phone {
	soft, browser := r.reg.Kinds(acc, ext)
	return floor.Phone{Softphone: soft, Browser: browser}
}
