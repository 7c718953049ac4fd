package floor

import (
	"context"
	"errors"
	"testing"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/clocktest"
)

// perAccount keeps one memJournal per account.
type perAccount map[int64]*memJournal

func (p perAccount) AppendEvents(ctx context.Context, id int64, evs []callfloor.Event) error {
	return p[id].AppendEvents(ctx, id, evs)
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
