package floor

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/clocktest"
)

// perAccount keeps one memJournal per account.
type perAccount map[int64]*memJournal

func (p perAccount) AppendEvents(ctx context.Context, id int64, evs []callfloor.Event) error {
	return p[id].AppendEvents(ctx, id, evs)
}

func (p perAccount) AppendFenced(ctx context.Context, id, epoch int64, evs []callfloor.Event) error {
	return p[id].AppendFenced(ctx, id, epoch, evs)
}

func (p perAccount) ReadEvents(ctx context.Context, id, after int64, limit int) ([]callfloor.Event, error) {
	return p[id].ReadEvents(ctx, id, after, limit)
}

func TestFloorRunsAccountsApartAndRestartsStoppedEngines(t *testing.T) {
	j := perAccount{1: &memJournal{}, 2: &memJournal{}}
	f := New(FloorConfig{Journal: j, Clock: clocktest.New(t0),
		LoadConfig: func(context.Context, int64) (*Config, error) { return testConfig(), nil }})
	defer f.Close()
	ctx := context.Background()
	if err := f.StartAll(ctx, []int64{1, 2}); err != nil {
		t.Fatal(err)
	}
	for _, acc := range []int64{1, 2} {
		evs, err := f.Do(ctx, acc, Login{Ext: agentA})
		if err != nil || evs[0].Seq != 1 || evs[0].AccountID != acc {
			t.Fatalf("account %d: %+v %v", acc, evs, err)
		}
	}
	// Account 1's database fails for writes and reads: its engine cannot
	// rebuild and stops; account 2 goes on.
	j[1].set(errors.New("disk gone"), errors.New("disk gone"))
	e1, _ := f.Engine(ctx, 1)
	if _, err := f.Do(ctx, 1, Pause{Ext: agentA, ReasonID: lunch}); callfloor.ErrorCode(err) != callfloor.ErrInternal {
		t.Fatalf("err %v", err)
	}
	<-e1.Stopped()
	if _, err := f.Do(ctx, 2, Pause{Ext: agentA, ReasonID: lunch}); err != nil {
		t.Fatalf("account 2 affected: %v", err)
	}
	// The database is back: the next request restarts the engine from the
	// journal, without the pause that was never saved.
	j[1].set(nil, nil)
	var st callfloor.AgentState
	if err := f.View(ctx, 1, func(s *State, _ *Config) { st = s.Agent(agentA).State }); err != nil {
		t.Fatal(err)
	}
	if st != callfloor.StateIdle {
		t.Fatalf("account 1 agent %s after restart", st)
	}
}

// blockingJournal holds account 1's reads until released.
type blockingJournal struct {
	perAccount
	release chan struct{}
	reading chan struct{}
}

func (b *blockingJournal) ReadEvents(ctx context.Context, id, after int64, limit int) ([]callfloor.Event, error) {
	if id == 1 {
		select {
		case b.reading <- struct{}{}:
		default:
		}
		<-b.release
	}
	return b.perAccount.ReadEvents(ctx, id, after, limit)
}

// TestOneAccountStartingDoesNotHoldUpAnother: while account 1's engine
// replays its journal, account 2's commands go through; callers for
// account 1 wait for that one start.
func TestOneAccountStartingDoesNotHoldUpAnother(t *testing.T) {
	j := &blockingJournal{perAccount: perAccount{1: &memJournal{}, 2: &memJournal{}},
		release: make(chan struct{}), reading: make(chan struct{}, 1)}
	f := New(FloorConfig{Journal: j, Clock: clocktest.New(t0),
		LoadConfig: func(context.Context, int64) (*Config, error) { return testConfig(), nil }})
	defer f.Close()
	ctx := context.Background()
	started := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := f.Do(ctx, 1, Login{Ext: agentA})
			started <- err
		}()
	}
	<-j.reading // account 1 is replaying
	done := make(chan error, 1)
	go func() {
		_, err := f.Do(ctx, 2, Login{Ext: agentA})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("account 2 waited for account 1's start")
	}
	close(j.release)
	// Both callers for account 1 got the one engine: one logged in, the
	// other found the agent logged in already (no event, no error).
	for range 2 {
		if err := <-started; err != nil {
			t.Fatal(err)
		}
	}
	if evs, _ := j.perAccount[1].ReadEvents(ctx, 1, 0, 10); len(evs) != 1 {
		t.Fatalf("account 1 journal %d events, want one login", len(evs))
	}
}

// cancelingJournal blocks account 1's reads until release, or until the
// reader's context ends.
type cancelingJournal struct {
	perAccount
	release chan struct{}
	reading chan struct{}
}

func (b *cancelingJournal) ReadEvents(ctx context.Context, id, after int64, limit int) ([]callfloor.Event, error) {
	if id == 1 {
		select {
		case b.reading <- struct{}{}:
		default:
		}
		select {
		case <-b.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return b.perAccount.ReadEvents(ctx, id, after, limit)
}

// TestStartGivenUpByItsCallerIsNotOthersFailure: the caller that started
// an account's engine gives up (its context is canceled) while another
// waits for the same start: the other is not handed the first one's
// "context canceled", it starts the engine itself and its command goes
// through.
func TestStartGivenUpByItsCallerIsNotOthersFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		j := &cancelingJournal{perAccount: perAccount{1: &memJournal{}}, release: make(chan struct{}), reading: make(chan struct{}, 2)}
		f := New(FloorConfig{Journal: j, Clock: clocktest.New(t0),
			LoadConfig: func(context.Context, int64) (*Config, error) { return testConfig(), nil }})
		defer f.Close()
		first, cancel := context.WithCancel(context.Background())
		firstDone := make(chan error, 1)
		go func() {
			_, err := f.Do(first, 1, Login{Ext: agentA})
			firstDone <- err
		}()
		<-j.reading // the first caller's start is replaying
		secondDone := make(chan error, 1)
		go func() {
			_, err := f.Do(context.Background(), 1, Login{Ext: agentA})
			secondDone <- err
		}()
		synctest.Wait() // the second caller waits for the first one's start
		cancel()
		if err := <-firstDone; !errors.Is(err, context.Canceled) {
			t.Fatalf("the first caller: %v, want context canceled", err)
		}
		select {
		case <-j.reading: // the second caller's own start
		case err := <-secondDone:
			t.Fatalf("the second caller gave up with the first: %v", err)
		}
		close(j.release)
		if err := <-secondDone; err != nil {
			t.Fatalf("the second caller: %v", err)
		}
	})
}
