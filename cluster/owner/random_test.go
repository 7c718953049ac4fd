package owner_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/floor"
)

// Where on a command's path the owner loses its lease.
const (
	beforeDecide = iota // the lease is gone before the command reaches the engine
	afterDecide         // decided, its append not yet sent
	afterAppend         // appended, not yet answered
)

var pointNames = []string{"before decide", "after decide, before append", "after append, before answer"}

// model is the agents' states as the acknowledged commands left them.
type model map[int64]callfloor.AgentState

// pick returns a command the floor accepts in the model's state.
func (m model) pick(rng *rand.Rand) floor.Input {
	ext := agents[rng.IntN(len(agents))]
	switch m[ext] {
	case callfloor.StateIdle:
		if rng.IntN(2) == 0 {
			return floor.Pause{Ext: ext, ReasonID: lunch}
		}
		return floor.Logoff{Ext: ext}
	case callfloor.StatePaused:
		return floor.Unpause{Ext: ext}
	default:
		return floor.Login{Ext: ext}
	}
}

func (m model) apply(evs []callfloor.Event) {
	for _, ev := range evs {
		if ev.State != "" {
			m[ev.ExtensionID] = ev.State
		}
	}
}

// TestRandomLeaseLoss moves an account between three nodes, the owner
// losing its lease at a random point of a command's path each time
// (before the engine decides it, after it decided before the append,
// after the append before the answer), with ordinary commands between.
// Each time: the command succeeds only when its append went through
// before the next owner took the epoch; the old owner's next command
// fails; the new owner recovers exactly what was acknowledged; the lease
// stays the new owner's. At the end the journal holds every
// acknowledged event, and no owner's events come after a later owner's.
// CALLFLOOR_OWNER_SEED replays a run; the seed is printed on failure.
func TestRandomLeaseLoss(t *testing.T) {
	seed := time.Now().UnixNano()
	if s := os.Getenv("CALLFLOOR_OWNER_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseInt(s, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed %d (CALLFLOOR_OWNER_SEED=%d replays this run)", seed, seed)
		}
	})
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	iterations := 300
	if testing.Short() {
		iterations = 15
	}

	c := newCluster(t)
	acc := c.account("Acme")
	nodes := []*node{c.node("node-a"), c.node("node-b"), c.node("node-c")}
	ctx := context.Background()
	m := model{}
	for _, ext := range agents {
		m[ext] = callfloor.StateLoggedOff
	}
	var acked []callfloor.Event
	cur := nodes[0]
	cur.own(acc)
	// takeover is the next owner acquiring the lease the current one
	// lost, and taking the account; it may run on the old owner's
	// committer goroutine (a hook), so it reports instead of failing.
	takeover := func(next *node) error {
		c.expire(acc)
		if _, err := next.m.Own(ctx, acc); err != nil {
			return fmt.Errorf("%s takes the account: %w", next.name, err)
		}
		return nil
	}
	counts := make([]int, 3)
	for i := range iterations {
		for k := rng.IntN(4); k > 0; k-- {
			evs := do(t, cur, acc, m.pick(rng))
			m.apply(evs)
			acked = append(acked, evs...)
		}
		next := nodes[(indexOf(nodes, cur)+1+rng.IntN(len(nodes)-1))%len(nodes)]
		point := rng.IntN(3)
		counts[point]++
		what := fmt.Sprintf("iteration %d, %s loses the account to %s %s", i, cur.name, next.name, pointNames[point])
		in := m.pick(rng)
		hooked := make(chan error, 1)
		var evs []callfloor.Event
		var err error
		switch point {
		case beforeDecide:
			if err := takeover(next); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if rng.IntN(2) == 0 {
				cur.notice() // the old owner's keeper learns first
			}
			_, err = cur.floor.Do(ctx, acc, in)
			wantCode(t, what, err, callfloor.ErrFenced, callfloor.ErrNotOwner)
			hooked <- nil
		case afterDecide:
			cur.journal.arm(true, func() { hooked <- takeover(next) })
			_, err = cur.floor.Do(ctx, acc, in)
			wantCode(t, what, err, callfloor.ErrFenced)
		case afterAppend:
			cur.journal.arm(false, func() { hooked <- takeover(next) })
			evs, err = cur.floor.Do(ctx, acc, in)
			if err != nil {
				t.Fatalf("%s: the command appended before the takeover failed: %v", what, err)
			}
			m.apply(evs)
			acked = append(acked, evs...)
		}
		if err := <-hooked; err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		// The old owner decides nothing more, whether it knows yet or not.
		_, err = cur.floor.Do(ctx, acc, m.pick(rng))
		wantCode(t, what+": the old owner's next command", err, callfloor.ErrFenced, callfloor.ErrNotOwner)
		cur.notice()
		if h := c.holder(acc); h != next.name {
			t.Fatalf("%s: the lease is held by %q", what, h)
		}
		states, seq := next.states(acc)
		if last := lastSeq(acked); seq != last {
			t.Fatalf("%s: the new owner recovered up to seq %d; the last acknowledged is %d", what, seq, last)
		}
		for _, ext := range agents {
			if states[ext] != m[ext] {
				t.Fatalf("%s: agent %d is %s on the new owner, %s as acknowledged", what, ext, states[ext], m[ext])
			}
		}
		cur = next
	}
	evs := c.journal(acc)
	checkAcked(t, evs, acked)
	c.checkJournal(acc, evs)
	if len(evs) != len(acked) {
		t.Fatalf("journal %d events, %d acknowledged", len(evs), len(acked))
	}
	t.Logf("%d takeovers (%d before decide, %d after decide, %d after append), %d events acknowledged",
		iterations, counts[0], counts[1], counts[2], len(acked))
}

func indexOf(nodes []*node, n *node) int {
	for i, x := range nodes {
		if x == n {
			return i
		}
	}
	return -1
}

func lastSeq(evs []callfloor.Event) int64 {
	if len(evs) == 0 {
		return 0
	}
	return evs[len(evs)-1].Seq
}
