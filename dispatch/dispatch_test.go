package dispatch_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/clocktest"
	"github.com/callfloor/callfloor/dispatch"
	"github.com/callfloor/callfloor/floor"
	"github.com/callfloor/callfloor/sip/b2bua"
)

// The fast tests: a real floor on SQLite, a fake clock, and a fake
// telephony plane that records what the ACD asks of it. The peers tests
// do the same with real SIP.

// fakePhones records the ACD's requests; Ring answers with ring.
type fakePhones struct {
	mu        sync.Mutex
	rings     []string // "callID ext"
	announced []string // "callID position"
	dropped   []string // "callID reason"
	moved     []string
	ring      func(ctx context.Context, ext int64) error
}

func (p *fakePhones) Ring(ctx context.Context, _ int64, callID string, ext *callfloor.Extension, _ b2bua.RingOptions) error {
	p.mu.Lock()
	p.rings = append(p.rings, fmt.Sprintf("%s %s", callID, ext.Number))
	ring := p.ring
	p.mu.Unlock()
	if ring == nil {
		<-ctx.Done()
		return &b2bua.RingFailure{Reason: b2bua.ReasonCanceled}
	}
	return ring(ctx, ext.ID)
}

func (p *fakePhones) Announce(_ int64, callID string, position int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.announced = append(p.announced, fmt.Sprintf("%s %d", callID, position))
	return nil
}

func (p *fakePhones) MoveQueue(_ int64, callID string, q int64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.moved = append(p.moved, fmt.Sprintf("%s %d", callID, q))
	return nil
}

func (p *fakePhones) Drop(_ context.Context, _ int64, callID, reason string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropped = append(p.dropped, callID+" "+reason)
	return nil
}

func (p *fakePhones) OnCall(int64, int64) bool { return false }

// list returns a copy of one of the records under the lock.
func (p *fakePhones) list(l *[]string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(*l)
}

type fast struct {
	t      *testing.T
	ctx    context.Context
	st     callfloor.Store
	f      *floor.Floor
	d      *dispatch.Dispatcher
	phones *fakePhones
	clock  *clocktest.Clock
	acc    int64
}

func newFast(t *testing.T) *fast {
	t.Helper()
	ctx := context.Background()
	clock := clocktest.New(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	st, acc := newStore(t, clock)
	x := &fast{t: t, ctx: callfloor.SystemContext(ctx, acc.ID), st: st, clock: clock, acc: acc.ID, phones: &fakePhones{}}
	x.f = floor.New(floor.FloorConfig{Journal: st, Clock: clock, LoadConfig: floor.StoreConfig(st)})
	x.d = dispatch.New(dispatch.Config{Floor: x.f, Phones: x.phones, Clock: clock, Tick: 5 * time.Millisecond, Logger: logger(t),
		AnnounceEvery: 30 * time.Second,
		Extension: func(ctx context.Context, account, id int64) (*callfloor.Extension, error) {
			return st.FindExtensionByID(callfloor.SystemContext(ctx, account), id)
		}})
	t.Cleanup(func() { x.d.Close(); x.f.Close() })
	return x
}

func (x *fast) ext(number string, agent bool) *callfloor.Extension {
	x.t.Helper()
	kind := "participant"
	if agent {
		kind = "agent"
	}
	return createExt(x.t, x.st, x.ctx, number, kind)
}

func (x *fast) queue(q *callfloor.Queue, members ...*callfloor.Extension) *callfloor.Queue {
	x.t.Helper()
	return createQueue(x.t, x.st, x.ctx, x.f, x.acc, q, members...)
}

func (x *fast) enqueue(callID string, q *callfloor.Queue) {
	x.d.Enqueue(b2bua.Waiting{CallID: callID, AccountID: x.acc, QueueID: q.ID, From: "+447700900123", Number: q.Number, At: x.clock.Now()})
}

// settle waits for a round of the ACD from now.
func (x *fast) settle() {
	x.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := x.d.Settle(ctx, x.acc); err != nil {
		x.t.Fatal(err)
	}
}

// eventually waits for cond, failing with what after a while.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPositionsAnnounced: callers of a queue that announces positions
// hear theirs on arrival, and again, moved up, once the announcement
// period has passed.
func TestPositionsAnnounced(t *testing.T) {
	x := newFast(t)
	q := callfloor.NewQueue("600", "Sales")
	q.AnnouncePosition = true
	q = x.queue(q)
	x.enqueue("c1", q)
	x.clock.Advance(time.Second)
	x.enqueue("c2", q)
	eventually(t, "both callers hear their position", func() bool { return len(x.phones.list(&x.phones.announced)) == 2 })
	if got := x.phones.list(&x.phones.announced); !slices.Equal(got, []string{"c1 1", "c2 2"}) {
		t.Fatalf("announced %v", got)
	}
	x.d.OnCallEvent(b2bua.Event{Kind: b2bua.Ended, CallID: "c1", AccountID: x.acc, Reason: b2bua.ReasonCallerHangup})
	x.clock.Advance(31 * time.Second)
	eventually(t, "the second caller hears they moved up", func() bool { return len(x.phones.list(&x.phones.announced)) == 3 })
	if got := x.phones.list(&x.phones.announced); got[2] != "c2 1" {
		t.Fatalf("announced %v, want c2 at 1 last", got)
	}
}

// TestQueueWithoutAnnouncements never announces.
func TestQueueWithoutAnnouncements(t *testing.T) {
	x := newFast(t)
	q := x.queue(callfloor.NewQueue("600", "Sales"))
	x.enqueue("c1", q)
	x.clock.Advance(time.Minute)
	x.settle()
	if got := x.phones.list(&x.phones.announced); len(got) != 0 {
		t.Fatalf("announced %v", got)
	}
}

// TestOverflowToAnExtension: past the maximum wait, the caller rings the
// overflow extension; if that extension does not answer, the caller is
// hung up.
func TestOverflowToAnExtension(t *testing.T) {
	x := newFast(t)
	reception := x.ext("210", false)
	q := callfloor.NewQueue("600", "Sales")
	q.MaxWaitSeconds, q.OverflowAction, q.OverflowTargetID = 30, callfloor.OverflowExtension, &reception.ID
	q = x.queue(q)
	x.phones.ring = func(context.Context, int64) error { return &b2bua.RingFailure{Reason: b2bua.ReasonNoAnswer} }
	x.enqueue("c1", q)
	x.clock.Advance(29 * time.Second)
	x.settle()
	if got := x.phones.list(&x.phones.rings); len(got) != 0 {
		t.Fatalf("rang %v before the maximum wait", got)
	}
	x.clock.Advance(time.Second)
	eventually(t, "the overflow extension rings and the caller is let go", func() bool { return len(x.phones.list(&x.phones.dropped)) == 1 })
	if got := x.phones.list(&x.phones.rings); !slices.Equal(got, []string{"c1 210"}) {
		t.Errorf("rang %v, want the reception", got)
	}
	if got := x.phones.list(&x.phones.dropped); got[0] != "c1 overflow_no_answer" {
		t.Errorf("dropped %v", got)
	}
	all, err := x.d.Stats(context.Background(), x.acc)
	if err != nil || len(all) != 1 || all[0].Overflowed != 1 || all[0].Waiting != 0 || all[0].Abandoned != 0 {
		t.Errorf("figures %+v, %v: want one overflowed", all, err)
	}
}

// TestOverflowLoopEnds: two queues overflowing into each other pass a
// caller back and forth a few times, then hang up.
func TestOverflowLoopEnds(t *testing.T) {
	x := newFast(t)
	a := x.queue(callfloor.NewQueue("600", "A"))
	b := callfloor.NewQueue("601", "B")
	b.MaxWaitSeconds, b.OverflowAction, b.OverflowTargetID = 5, callfloor.OverflowQueue, &a.ID
	b = x.queue(b)
	if _, err := x.st.UpdateQueue(x.ctx, a.ID, func(q *callfloor.Queue) error {
		q.MaxWaitSeconds, q.OverflowAction, q.OverflowTargetID = 5, callfloor.OverflowQueue, &b.ID
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := x.f.Reload(context.Background(), x.acc); err != nil {
		t.Fatal(err)
	}
	x.enqueue("c1", a)
	for i := 0; i < 10 && len(x.phones.list(&x.phones.dropped)) == 0; i++ {
		x.settle()
		x.clock.Advance(5 * time.Second)
		x.settle()
	}
	eventually(t, "the caller is let go", func() bool { return len(x.phones.list(&x.phones.dropped)) == 1 })
	if moved := x.phones.list(&x.phones.moved); len(moved) != 3 {
		t.Errorf("moved %v, want 3 hops", moved)
	}
}

// TestFigures: service level, average speed of answer and abandon wait
// from the calls of the day; they start afresh after midnight.
func TestFigures(t *testing.T) {
	x := newFast(t)
	a := x.ext("201", true)
	q := callfloor.NewQueue("600", "Sales")
	q.ServiceLevelSeconds = 20
	q = x.queue(q, a)
	if _, err := x.f.Do(context.Background(), x.acc, floor.Login{Ext: a.ID}); err != nil {
		t.Fatal(err)
	}
	// The member answers after the clock moved on by the wait each call
	// is given.
	waits := map[string]time.Duration{"c1": 10 * time.Second, "c2": 30 * time.Second}
	var mu sync.Mutex
	current := ""
	x.phones.ring = func(ctx context.Context, ext int64) error {
		mu.Lock()
		w := waits[current]
		mu.Unlock()
		x.clock.Advance(w)
		return nil
	}
	answer := func(id string, n int) {
		mu.Lock()
		current = id
		mu.Unlock()
		x.enqueue(id, q)
		eventually(t, id+" answered", func() bool {
			all, _ := x.d.Stats(context.Background(), x.acc)
			return len(all) == 1 && all[0].Answered == n && all[0].Waiting == 0
		})
		// The agent's call ends: back to idle.
		x.d.OnCallEvent(b2bua.Event{Kind: b2bua.Ended, CallID: id, AccountID: x.acc, Parties: []int64{a.ID}})
		if _, err := x.f.Do(context.Background(), x.acc, floor.Hangup{Ext: a.ID, CallID: id}); err != nil {
			t.Fatal(err)
		}
	}
	answer("c1", 1)
	answer("c2", 2)
	// One abandons after 8 s: the agent is paused, so nobody answers.
	if _, err := x.f.Do(context.Background(), x.acc, floor.SystemPause{Ext: a.ID, Reason: "Test"}); err != nil {
		t.Fatal(err)
	}
	x.enqueue("c3", q)
	x.clock.Advance(8 * time.Second)
	x.d.OnCallEvent(b2bua.Event{Kind: b2bua.Ended, CallID: "c3", AccountID: x.acc, Reason: b2bua.ReasonCallerHangup})

	all, err := x.d.Stats(context.Background(), x.acc)
	if err != nil || len(all) != 1 {
		t.Fatalf("figures %+v, %v", all, err)
	}
	s := all[0]
	want := callfloor.QueueStats{Answered: 2, AnsweredInSL: 1, Abandoned: 1}
	if s.Answered != want.Answered || s.AnsweredInSL != want.AnsweredInSL || s.Abandoned != want.Abandoned {
		t.Errorf("counts %+v, want %+v", s, want)
	}
	if s.ServiceLevel < 33.3 || s.ServiceLevel > 33.4 {
		t.Errorf("service level %.2f%%, want 1 of 3 within 20 s", s.ServiceLevel)
	}
	if s.ASASeconds != 20 || s.AbandonWaitSeconds != 8 {
		t.Errorf("ASA %.1f s and abandon wait %.1f s, want 20 and 8", s.ASASeconds, s.AbandonWaitSeconds)
	}
	// After midnight the day starts afresh.
	x.clock.Set(time.Date(2026, 11, 25, 0, 0, 1, 0, time.UTC))
	all, _ = x.d.Stats(context.Background(), x.acc)
	if s := all[0]; s.Answered != 0 || s.Abandoned != 0 || s.ServiceLevel != 100 || s.ASASeconds != 0 {
		t.Errorf("after midnight %+v, want a fresh day", s)
	}
}

// TestFiguresSurviveARestart: a new ACD (after a restart) takes up the
// day's figures from the queue steps in the journal.
func TestFiguresSurviveARestart(t *testing.T) {
	x := newFast(t)
	a := x.ext("201", true)
	q := x.queue(callfloor.NewQueue("600", "Sales"), a)
	if _, err := x.f.Do(context.Background(), x.acc, floor.Login{Ext: a.ID}); err != nil {
		t.Fatal(err)
	}
	x.phones.ring = func(context.Context, int64) error {
		x.clock.Advance(5 * time.Second)
		return nil
	}
	x.enqueue("c1", q)
	eventually(t, "c1 answered", func() bool {
		all, _ := x.d.Stats(context.Background(), x.acc)
		return len(all) == 1 && all[0].Answered == 1
	})
	x.enqueue("c2", q) // the agent is on c1: c2 waits, then hangs up
	x.clock.Advance(3 * time.Second)
	x.d.OnCallEvent(b2bua.Event{Kind: b2bua.Ended, CallID: "c2", AccountID: x.acc, Reason: b2bua.ReasonCallerHangup})
	// Another agent, whose outbound queue is Sales, calls out; the
	// floor's events reach the ACD as callfloor serve publishes them.
	out := x.ext("202", true)
	if _, err := x.st.UpdateExtension(x.ctx, out.ID, func(e *callfloor.Extension) error {
		e.Agent.OutboundQueueID = &q.ID
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := x.f.Reload(context.Background(), x.acc); err != nil {
		t.Fatal(err)
	}
	if _, err := x.f.Do(context.Background(), x.acc, floor.Login{Ext: out.ID}); err != nil {
		t.Fatal(err)
	}
	evs, err := x.f.Do(context.Background(), x.acc, floor.Dial{Ext: out.ID, CallID: "o1", Number: "+447700900456"})
	if err != nil {
		t.Fatal(err)
	}
	x.d.OnFloorEvents(evs)
	eventually(t, "the three steps journaled", func() bool {
		evs, _ := x.st.ReadExtensionEvents(context.Background(), x.acc, 0, x.clock.Now().Add(-time.Hour), x.clock.Now().Add(time.Hour))
		n := 0
		for _, ev := range evs {
			if r := ev.Record; r != nil && (r.Step == "queue_answered" || r.Step == "abandoned" ||
				(r.Step == "outbound" && r.Ext == out.ID && r.QueueID == q.ID && r.Number == "+447700900456")) {
				n++
			}
		}
		return n == 3
	})
	x.d.Close()

	x.clock.Advance(time.Second)
	restarted := dispatch.New(dispatch.Config{Floor: x.f, Phones: x.phones, Clock: x.clock, Journal: x.st})
	defer restarted.Close()
	all, err := restarted.Stats(context.Background(), x.acc)
	if err != nil || len(all) != 1 {
		t.Fatalf("figures %+v, %v", all, err)
	}
	if s := all[0]; s.Answered != 1 || s.Abandoned != 1 || s.ASASeconds != 5 || s.AbandonWaitSeconds != 3 || s.AnsweredInSL != 1 || s.Outbound != 1 {
		t.Errorf("figures after the restart %+v, want 1 answered in 5 s, 1 abandoned after 3 s and 1 call out", s)
	}
}

// TestCloseJournalsEveryStepInOrder: twenty callers hang up one after
// the other and the ACD is closed at once: when Close returns, the
// journal holds all twenty abandoned steps, in the order they happened.
func TestCloseJournalsEveryStepInOrder(t *testing.T) {
	x := newFast(t)
	q := x.queue(callfloor.NewQueue("600", "Sales"))
	var want []string
	for i := range 20 {
		id := fmt.Sprintf("c%02d", i)
		want = append(want, id)
		x.enqueue(id, q)
	}
	x.settle() // the account's first round is over: every caller waits
	for _, id := range want {
		x.d.OnCallEvent(b2bua.Event{Kind: b2bua.Ended, AccountID: x.acc, CallID: id, Reason: b2bua.ReasonCallerHangup})
	}
	x.d.Close()
	evs, err := x.st.ReadEvents(context.Background(), x.acc, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		if ev.Record != nil && ev.Record.Step == "abandoned" {
			got = append(got, ev.Record.CallID)
		}
	}
	if !slices.Equal(got, want) {
		var steps []string
		for _, ev := range evs {
			if ev.Record != nil {
				steps = append(steps, ev.Record.CallID+":"+ev.Record.Step+":"+ev.Record.Reason)
			}
		}
		t.Errorf("abandoned steps journaled %v, want %v; every step: %v; dropped %v",
			got, want, steps, x.phones.list(&x.phones.dropped))
	}
}
