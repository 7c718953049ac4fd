package floor

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/clocktest"
)

// gatedJournal is a memJournal whose appends wait at the gate, once
// armed, until the test opens it.
type gatedJournal struct {
	memJournal
	gmu     sync.Mutex
	gate    chan struct{}
	entered chan struct{}
}

func (g *gatedJournal) arm() (entered, gate chan struct{}) {
	g.gmu.Lock()
	defer g.gmu.Unlock()
	g.gate, g.entered = make(chan struct{}), make(chan struct{}, 1)
	return g.entered, g.gate
}

func (g *gatedJournal) AppendFenced(ctx context.Context, id, epoch int64, evs []callfloor.Event) error {
	g.gmu.Lock()
	gate, entered := g.gate, g.entered
	g.gate = nil
	g.gmu.Unlock()
	if gate != nil {
		entered <- struct{}{}
		<-gate
	}
	return g.memJournal.AppendFenced(ctx, id, epoch, evs)
}

func (g *gatedJournal) setEpoch(epoch int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.epoch = epoch
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := callfloor.ErrorCode(err); got != code {
		t.Fatalf("%s: %v (code %q), want %q", what, err, got, code)
	}
}

// TestEngineStopsWhenFenced: an engine under an epoch appends with it;
// once another node took the epoch, the batch in flight and every batch
// decided after it are refused with fenced, nothing of them is written
// or published, and every later command fails too.
func TestEngineStopsWhenFenced(t *testing.T) {
	j := &gatedJournal{}
	j.setEpoch(1)
	pub := make(chan callfloor.Event, 100)
	e, err := Start(context.Background(), EngineConfig{AccountID: 7, Epoch: 1, Journal: j, Clock: clocktest.New(t0),
		LoadConfig: func(context.Context) (*Config, error) { return testConfig(), nil },
		Publish: func(evs []callfloor.Event) {
			for _, ev := range evs {
				pub <- ev
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	if _, err := e.Do(ctx, Login{Ext: agentA}); err != nil {
		t.Fatal(err)
	}
	<-pub
	// The pause's append waits at the gate; the logoff and the view are
	// decided meanwhile, on the state the pause left.
	entered, gate := j.arm()
	results := make(chan error, 3)
	go func() {
		_, err := e.Do(ctx, Pause{Ext: agentA, ReasonID: lunch})
		results <- err
	}()
	<-entered
	decided := make(chan error, 1)
	go func() {
		_, err := e.DoDecided(ctx, Logoff{Ext: agentA}, func(err error) { decided <- err })
		results <- err
	}()
	if err := <-decided; err != nil {
		t.Fatalf("the logoff after the pause was refused: %v", err)
	}
	go func() {
		results <- e.View(ctx, func(*State, *Config) {})
	}()
	j.setEpoch(2) // another node takes the account
	close(gate)
	for range 3 {
		wantCode(t, "a command of the fenced batches", <-results, callfloor.ErrFenced)
	}
	<-e.Stopped()
	wantCode(t, "the engine's reason", e.Err(), callfloor.ErrFenced)
	_, err = e.Do(ctx, Login{Ext: agentB})
	wantCode(t, "a command after the fence", err, callfloor.ErrFenced)
	if n := j.len(); n != 1 {
		t.Fatalf("the journal holds %d events, want the login only", n)
	}
	select {
	case ev := <-pub:
		t.Fatalf("a refused event was published: %+v", ev)
	default:
	}
}

// TestEngineWithoutEpochAppendsUnfenced: epoch 0, the single server's,
// appends with AppendEvents as before, whatever the journal's epoch.
func TestEngineWithoutEpochAppendsUnfenced(t *testing.T) {
	j := &memJournal{epoch: 3}
	r := newRig(t, j, clocktest.New(t0))
	r.do(Login{Ext: agentA})
	if j.len() != 1 || r.e.Err() != nil {
		t.Fatalf("journal %d events, engine err %v", j.len(), r.e.Err())
	}
}

// TestFloorOwnedRunsOnlyOwnedAccounts: a Floor of owned accounts starts
// no engine by itself; Own starts one under an epoch; a fenced engine is
// dropped, not restarted; the next owner's engine recovers every
// acknowledged change; Disown stops an engine at once.
func TestFloorOwnedRunsOnlyOwnedAccounts(t *testing.T) {
	j := perAccount{1: &memJournal{epoch: 1}}
	f := New(FloorConfig{Journal: j, Clock: clocktest.New(t0), Owned: true,
		LoadConfig: func(context.Context, int64) (*Config, error) { return testConfig(), nil }})
	defer f.Close()
	ctx := context.Background()
	_, err := f.Do(ctx, 1, Login{Ext: agentA})
	wantCode(t, "a command before Own", err, callfloor.ErrNotOwner)
	if f.Runs(1) {
		t.Fatal("Runs before Own")
	}
	if _, err := f.Own(ctx, 1, 0); err == nil {
		t.Fatal("Own without an epoch")
	}
	e, err := f.Own(ctx, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Own(ctx, 1, 1); err == nil {
		t.Fatal("Own of an account that runs")
	}
	if !f.Runs(1) {
		t.Fatal("not Runs after Own")
	}
	if _, err := f.Do(ctx, 1, Login{Ext: agentA}); err != nil {
		t.Fatal(err)
	}
	j[1].mu.Lock()
	j[1].epoch = 2
	j[1].mu.Unlock()
	_, err = f.Do(ctx, 1, Pause{Ext: agentA, ReasonID: lunch})
	wantCode(t, "the fenced command", err, callfloor.ErrFenced)
	<-e.Stopped()
	if f.Runs(1) {
		t.Fatal("Runs after the fence")
	}
	_, err = f.Do(ctx, 1, Pause{Ext: agentA, ReasonID: lunch})
	wantCode(t, "a command after the fence", err, callfloor.ErrNotOwner)

	// The node owns the account again, under the next epoch.
	if _, err := f.Own(ctx, 1, 2); err != nil {
		t.Fatal(err)
	}
	var st callfloor.AgentState
	if err := f.View(ctx, 1, func(s *State, _ *Config) { st = s.Agent(agentA).State }); err != nil {
		t.Fatal(err)
	}
	if st != callfloor.StateIdle {
		t.Fatalf("agent %s after the fenced pause, want idle", st)
	}
	f.Disown(1)
	if f.Runs(1) {
		t.Fatal("Runs after Disown")
	}
	_, err = f.Do(ctx, 1, Pause{Ext: agentA, ReasonID: lunch})
	wantCode(t, "a command after Disown", err, callfloor.ErrNotOwner)
	if n := j[1].len(); n != 1 {
		t.Fatalf("journal %d events, want 1", n)
	}
}

// TestDisownAnswersWaitingCommandsNotOwner: commands sent to an engine
// that is being disowned are never decided; they fail with not_owner.
func TestDisownAnswersWaitingCommandsNotOwner(t *testing.T) {
	j := &gatedJournal{memJournal: memJournal{epoch: 1}}
	f := New(FloorConfig{Journal: j, Clock: clocktest.New(t0), Owned: true,
		LoadConfig: func(context.Context, int64) (*Config, error) { return testConfig(), nil }})
	defer f.Close()
	ctx := context.Background()
	e, err := f.Own(ctx, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	// The login's append waits at the gate while the account is
	// disowned: it was decided, so it is written and answered.
	entered, gate := j.arm()
	login := make(chan error, 1)
	go func() {
		_, err := e.Do(ctx, Login{Ext: agentA})
		login <- err
	}()
	<-entered
	disowned := make(chan struct{})
	go func() { f.Disown(1); close(disowned) }()
	for !e.closing() {
		time.Sleep(time.Millisecond)
	}
	later := make(chan error, 1)
	go func() {
		_, err := e.Do(ctx, Login{Ext: agentB})
		later <- err
	}()
	close(gate)
	<-disowned
	wantCode(t, "a command to the disowned engine", <-later, callfloor.ErrNotOwner)
	if err := <-login; err != nil {
		t.Fatalf("the login decided before Disown: %v", err)
	}
	if n := j.len(); n != 1 {
		t.Fatalf("journal %d events, want the login only", n)
	}
	wantCode(t, "the engine's reason", e.Err(), callfloor.ErrNotOwner)
}
