package floor

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/clocktest"
)

// memJournal is an in-memory Journal for fast engine tests; the stores'
// journals are tested against the real databases in storetest.
type memJournal struct {
	mu      sync.Mutex
	evs     []callfloor.Event
	appends int
	fail    error // appends fail
	readErr error // reads fail
	delay   time.Duration
	// epoch is the account's ownership epoch: appends fenced by
	// another are refused.
	epoch int64
}

func (j *memJournal) AppendEvents(ctx context.Context, id int64, evs []callfloor.Event) error {
	return j.AppendFenced(ctx, id, 0, evs)
}

func (j *memJournal) AppendFenced(_ context.Context, _, epoch int64, evs []callfloor.Event) error {
	time.Sleep(j.delay)
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.fail != nil {
		return j.fail
	}
	if epoch != 0 && epoch != j.epoch {
		return callfloor.Errorf(callfloor.ErrFenced, "epoch %d is not %d", epoch, j.epoch)
	}
	for _, e := range evs {
		if n := int64(len(j.evs)); e.Seq != n+1 {
			return errors.New("sequence gap")
		}
		j.evs = append(j.evs, e)
	}
	j.appends++
	return nil
}

func (j *memJournal) ReadEvents(_ context.Context, _ int64, after int64, limit int) ([]callfloor.Event, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.readErr != nil {
		return nil, j.readErr
	}
	var out []callfloor.Event
	for _, e := range j.evs {
		if e.Seq > after && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (j *memJournal) set(appendErr, readErr error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.fail, j.readErr = appendErr, readErr
}

func (j *memJournal) len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.evs)
}

type rig struct {
	// lost is EngineConfig.LostReason.
	lost  string
	t     *testing.T
	j     *memJournal
	clock *clocktest.Clock
	pub   chan callfloor.Event
	e     *Engine
}

func newRig(t *testing.T, j *memJournal, clock *clocktest.Clock) *rig {
	r := &rig{t: t, j: j, clock: clock, pub: make(chan callfloor.Event, 10000)}
	r.start()
	return r
}

func (r *rig) start() {
	e, err := Start(context.Background(), EngineConfig{
		AccountID: 7, Journal: r.j, Clock: r.clock, LostReason: r.lost,
		LoadConfig: func(context.Context) (*Config, error) { return testConfig(), nil },
		Publish: func(evs []callfloor.Event) {
			for _, e := range evs {
				r.pub <- e
			}
		},
	})
	if err != nil {
		r.t.Fatal(err)
	}
	r.e = e
	r.t.Cleanup(e.Close)
}

func (r *rig) do(in Input) []callfloor.Event {
	r.t.Helper()
	evs, err := r.e.Do(context.Background(), in)
	if err != nil {
		r.t.Fatalf("%T: %v", in, err)
	}
	return evs
}

// await waits for a published event of type typ.
func (r *rig) await(typ callfloor.EventType) callfloor.Event {
	r.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case e := <-r.pub:
			if e.Type == typ {
				return e
			}
		case <-deadline:
			r.t.Fatalf("no %s event", typ)
		}
	}
}

func (r *rig) state(ext int64) Agent {
	var a Agent
	if err := r.e.View(context.Background(), func(s *State, _ *Config) { a = *s.Agent(ext) }); err != nil {
		r.t.Fatal(err)
	}
	return a
}

func TestEngineJournalsBeforeAnswering(t *testing.T) {
	r := newRig(t, &memJournal{}, clocktest.New(t0))
	evs := r.do(Login{Ext: agentA, By: 501})
	if len(evs) != 1 || evs[0].Seq != 1 || evs[0].AccountID != 7 || evs[0].State != callfloor.StateIdle {
		t.Fatalf("events %+v", evs)
	}
	if r.j.len() != 1 {
		t.Fatal("answered before the event was journaled")
	}
	if e := r.await(callfloor.EventLoggedIn); e.Seq != 1 {
		t.Fatalf("published %+v", e)
	}
	if _, err := r.e.Do(context.Background(), Pause{Ext: agentA, ReasonID: 999}); callfloor.ErrorCode(err) != callfloor.ErrInvalidReference {
		t.Fatalf("refusal: %v", err)
	}
	if r.j.len() != 1 {
		t.Fatal("a refused input was journaled")
	}
}

func TestEngineWrapupTimerAndRestart(t *testing.T) {
	j := &memJournal{}
	clock := clocktest.New(t0)
	r := newRig(t, j, clock)
	r.do(Login{Ext: agentA})
	r.do(Offer{Ext: agentA, Call: salesCall("c1")})
	r.do(Answer{Ext: agentA, CallID: "c1"})
	r.do(Hangup{Ext: agentA, CallID: "c1"})
	if st := r.state(agentA).State; st != callfloor.StateWrapup {
		t.Fatalf("state %s", st)
	}
	clock.Advance(time.Minute)
	if e := r.await(callfloor.EventDisposition); e.Disposition.Outcome != callfloor.NoAgentSubmission {
		t.Fatalf("timeout disposition %+v", e.Disposition)
	}
	if st := r.state(agentA).State; st != callfloor.StateIdle {
		t.Fatalf("state after timeout %s", st)
	}

	// A second wrap-up falls due while the engine is stopped: it fires at
	// start, stamped with its due time.
	r.do(Offer{Ext: agentA, Call: salesCall("c2")})
	r.do(Answer{Ext: agentA, CallID: "c2"})
	r.do(Hangup{Ext: agentA, CallID: "c2"})
	due := clock.Now().Add(time.Minute)
	r.e.Close()
	clock.Advance(time.Hour)
	r2 := newRig(t, j, clock)
	e := r2.await(callfloor.EventDisposition)
	if e.Disposition.CallID != "c2" || !e.At.Equal(due) {
		t.Fatalf("after restart: %+v at %v, want c2 at %v", e.Disposition, e.At, due)
	}
	if a := r2.state(agentA); a.State != callfloor.StateIdle || !a.LoggedIn {
		t.Fatalf("rebuilt agent %+v", a)
	}
}

func TestEngineMidnightWhileStopped(t *testing.T) {
	j := &memJournal{}
	clock := clocktest.New(time.Date(2026, 11, 23, 22, 0, 0, 0, london))
	r := newRig(t, j, clock)
	r.do(Login{Ext: agentA})
	r.do(Pause{Ext: agentA, ReasonID: training})
	r.e.Close()
	clock.Set(time.Date(2026, 11, 24, 8, 30, 0, 0, london))
	r2 := newRig(t, j, clock)
	e := r2.await(callfloor.EventLoggedOff)
	if e.LogoffReason != callfloor.LogoffMidnight || !e.At.Equal(time.Date(2026, 11, 24, 0, 0, 0, 0, london)) {
		t.Fatalf("logoff %+v", e)
	}
}

func TestEngineJournalFailureLosesNothingConfirmed(t *testing.T) {
	j := &memJournal{}
	r := newRig(t, j, clocktest.New(t0))
	r.do(Login{Ext: agentA})
	j.set(errors.New("disk full"), nil)
	_, err := r.e.Do(context.Background(), Pause{Ext: agentA, ReasonID: lunch})
	if callfloor.ErrorCode(err) != callfloor.ErrInternal {
		t.Fatalf("err %v", err)
	}
	j.set(nil, nil)
	if a := r.state(agentA); a.State != callfloor.StateIdle {
		t.Fatalf("an unsaved pause is visible: %s", a.State)
	}
	r.do(Pause{Ext: agentA, ReasonID: lunch})
	if a := r.state(agentA); a.State != callfloor.StatePaused {
		t.Fatalf("state %s", a.State)
	}
}

func TestEngineGroupCommit(t *testing.T) {
	j := &memJournal{delay: 2 * time.Millisecond}
	r := newRig(t, j, clocktest.New(t0))
	r.do(Login{Ext: agentA})
	const n = 200
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.e.Do(context.Background(), SetAutoAnswer{Ext: agentA, On: i%2 == 0})
		}()
	}
	wg.Wait()
	j.mu.Lock()
	appends := j.appends
	j.mu.Unlock()
	if appends >= n/2 {
		t.Fatalf("%d inputs took %d journal transactions: no group commit", n, appends)
	}
}

// memSnapshots keeps snapshots in memory.
type memSnapshots struct {
	mu    sync.Mutex
	seq   int64
	body  []byte
	saves int
}

func (m *memSnapshots) SaveSnapshot(_ context.Context, _ int64, seq int64, body []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if seq > m.seq {
		m.seq, m.body = seq, body
	}
	m.saves++
	return nil
}

func (m *memSnapshots) LoadSnapshot(context.Context, int64) (int64, []byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.seq, m.body, nil
}

// countingJournal counts the events a recovery reads.
type countingJournal struct {
	*memJournal
	read int
}

func (c *countingJournal) ReadEvents(ctx context.Context, id, after int64, limit int) ([]callfloor.Event, error) {
	evs, err := c.memJournal.ReadEvents(ctx, id, after, limit)
	c.read += len(evs)
	return evs, err
}

func TestEngineRestartsFromSnapshot(t *testing.T) {
	j, snaps := &memJournal{}, &memSnapshots{}
	clock := clocktest.New(t0)
	cfg := EngineConfig{AccountID: 7, Journal: j, Clock: clock, Snapshots: snaps, SnapshotEvery: 10,
		LoadConfig: func(context.Context) (*Config, error) { return testConfig(), nil }}
	e, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.Do(context.Background(), Login{Ext: agentA})
	for i := 0; i < 30; i++ {
		e.Do(context.Background(), Pause{Ext: agentA, ReasonID: []int64{lunch, training}[i%2]})
	}
	e.Do(context.Background(), Offer{Ext: agentA, Call: salesCall("c1")}) // refused: paused
	e.Do(context.Background(), Unpause{Ext: agentA})
	var want string
	e.View(context.Background(), func(s *State, _ *Config) { want = snapshot(s) })
	e.Close()
	// Saves run in the background and one in flight skips the next, so
	// only "at least one" is certain.
	if snaps.saves == 0 || snaps.seq == 0 {
		t.Fatalf("snapshots: %d saves, latest at %d of %d events", snaps.saves, snaps.seq, j.len())
	}
	full, err := Recover(context.Background(), j, 7, london, clock.Now())
	if err != nil || snapshot(full) != want {
		t.Fatalf("full replay differs: %v", err)
	}
	cj := &countingJournal{memJournal: j}
	cfg.Journal = cj
	e2, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	var got string
	e2.View(context.Background(), func(s *State, _ *Config) { got = snapshot(s) })
	if got != want {
		t.Fatalf("state from snapshot + tail differs:\n got %s\nwant %s", got, want)
	}
	if cj.read >= j.len() {
		t.Fatalf("restart read %d of %d events: the snapshot was not used", cj.read, j.len())
	}
}

// TestEngineEndsCallsOfALostNode: a cluster node that takes an account
// over ends the calls the lost node carried with the reason it is given.
func TestEngineEndsCallsOfALostNode(t *testing.T) {
	j := &memJournal{}
	clock := clocktest.New(t0)
	r := newRig(t, j, clock)
	r.do(Login{Ext: agentA})
	r.do(Offer{Ext: agentA, Call: salesCall("c1")})
	r.do(Answer{Ext: agentA, CallID: "c1"})
	r.e.Close()
	r2 := &rig{t: t, j: j, clock: clock, pub: make(chan callfloor.Event, 10000), lost: "node_lost"}
	r2.start()
	if e := r2.await(callfloor.EventCallEnded); e.EndReason != "node_lost" || e.Call.ID != "c1" {
		t.Fatalf("end %+v", e)
	}
	if a := r2.state(agentA); a.State != callfloor.StateWrapup || !a.LoggedIn {
		t.Fatalf("agent A after the takeover: %s, logged in %v; want wrap-up, logged in", a.State, a.LoggedIn)
	}
}

func TestEngineEndsCallsLostInARestart(t *testing.T) {
	j := &memJournal{}
	clock := clocktest.New(t0)
	r := newRig(t, j, clock)
	r.do(Login{Ext: agentA})
	r.do(Login{Ext: agentB})
	r.do(Offer{Ext: agentA, Call: salesCall("c1")})
	r.do(Answer{Ext: agentA, CallID: "c1"})
	r.do(Offer{Ext: agentB, Call: salesCall("c2")}) // ringing
	r.e.Close()
	r2 := newRig(t, j, clock)
	if e := r2.await(callfloor.EventCallEnded); e.EndReason != "lost" {
		t.Fatalf("end %+v", e)
	}
	if a := r2.state(agentA); a.State != callfloor.StateWrapup || len(a.Lines) != 0 {
		t.Fatalf("answered call lost: agent A %s with %d lines, want wrap-up", a.State, len(a.Lines))
	}
	if b := r2.state(agentB); b.State != callfloor.StateIdle {
		t.Fatalf("ringing call lost: agent B %s", b.State)
	}
}

func TestEngineForgetsPhonesLostInARestart(t *testing.T) {
	j := &memJournal{}
	clock := clocktest.New(t0)
	r := newRig(t, j, clock)
	r.do(Phone{Ext: agentA, Softphone: true})
	r.do(Phone{Ext: agentB, Softphone: true})
	r.e.Close()
	// After the restart the registrar knows B's phone only (it registered
	// again at once); A's is gone.
	e, err := Start(context.Background(), EngineConfig{AccountID: 7, Journal: j, Clock: clock,
		LoadConfig: func(context.Context) (*Config, error) { return testConfig(), nil },
		Phones:     func(ext int64) Phone { return Phone{Softphone: ext == agentB} }})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var a, b bool
	e.View(context.Background(), func(s *State, _ *Config) { a, b = s.Agent(agentA).PhoneRegistered, s.Agent(agentB).PhoneRegistered })
	if a || !b {
		t.Fatalf("after restart: A registered %v (want false), B %v (want true)", a, b)
	}
}

// TestEngineLearnsPhonesOnReload: an extension whose phone registered
// before it became an agent is known registered once the configuration
// is reloaded (the registrar reported the phone when the floor still
// ignored it).
func TestEngineLearnsPhonesOnReload(t *testing.T) {
	j := &memJournal{}
	clock := clocktest.New(t0)
	cfg := testConfig()
	delete(cfg.Agents, agentB)
	var mu sync.Mutex
	current := cfg
	e, err := Start(context.Background(), EngineConfig{AccountID: 7, Journal: j, Clock: clock,
		LoadConfig: func(context.Context) (*Config, error) {
			mu.Lock()
			defer mu.Unlock()
			return current, nil
		},
		Phones: func(ext int64) Phone { return Phone{Softphone: ext == agentB} }})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	// B is not an agent yet: its phone is not the floor's business.
	if _, err := e.Do(context.Background(), Phone{Ext: agentB, Softphone: true}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	current = testConfig()
	mu.Unlock()
	if err := e.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	var b bool
	e.View(context.Background(), func(s *State, _ *Config) { b = s.Agent(agentB).PhoneRegistered })
	if !b {
		t.Fatal("after the reload, the new agent's registered phone is not known")
	}
}

// TestSnapshotCopyIsItsOwn: the copy a snapshot is encoded from does not
// change when the engine goes on applying events.
func TestSnapshotCopyIsItsOwn(t *testing.T) {
	f := newFloor(t)
	f.do(Login{Ext: agentA}, Offer{Ext: agentA, Call: salesCall("c1")})
	c := f.s.clone()
	f.do(Answer{Ext: agentA, CallID: "c1"}, Hold{Ext: agentA, CallID: "c1", Held: true})
	if l := c.Agents[agentA].Lines[0]; l.Answered || l.Held {
		t.Fatalf("the copy's line changed: %+v", l)
	}
	f.do(Hangup{Ext: agentA, CallID: "c1"})
	if len(c.Agents[agentA].Lines) != 1 || len(f.s.Agents[agentA].Lines) != 0 {
		t.Fatalf("the copy has %d lines, the state %d: want 1 and 0", len(c.Agents[agentA].Lines), len(f.s.Agents[agentA].Lines))
	}
	a, b := mustJSON(t, c), mustJSON(t, f.s.clone())
	if a == b {
		t.Fatal("copies of different states encode the same")
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDoDecidedHearsOnce: decided hears the decision before the answer,
// once; and the error when the engine never decides.
func TestDoDecidedHearsOnce(t *testing.T) {
	r := newRig(t, &memJournal{}, clocktest.New(t0))
	var heard []error
	decided := func(err error) { heard = append(heard, err) }
	if _, err := r.e.DoDecided(context.Background(), Login{Ext: agentA}, decided); err != nil || len(heard) != 1 || heard[0] != nil {
		t.Fatalf("accepted: %v, heard %v", err, heard)
	}
	heard = nil
	_, err := r.e.DoDecided(context.Background(), Pause{Ext: agentA, ReasonID: 999}, decided)
	if err == nil || len(heard) != 1 || callfloor.ErrorCode(heard[0]) != callfloor.ErrorCode(err) {
		t.Fatalf("refused: %v, heard %v", err, heard)
	}
	r.e.Close()
	heard = nil
	_, err = r.e.DoDecided(context.Background(), Logoff{Ext: agentA}, decided)
	if err == nil || len(heard) != 1 || heard[0] != err {
		t.Fatalf("stopped engine: %v, heard %v", err, heard)
	}
}
