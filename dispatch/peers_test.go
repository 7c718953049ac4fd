package dispatch_test

import (
	"context"
	"fmt"
	"strings"

	"testing"
	"time"

	"github.com/callfloor/callfloor/internal/baresiptest"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/floor"
)

// TestLongestIdleWithRealPeers: a sipp customer calls queue 600; of two
// baresip agents, the one idle longer gets the call, and the queue's
// figures count it answered within the service level. The queue has
// dispositions, so the agent then wraps up with the queue's outcomes.
func TestLongestIdleWithRealPeers(t *testing.T) {
	r := newRig(t, rigOptions{})
	a, _ := r.agent("201", 440)
	time.Sleep(50 * time.Millisecond)
	b, _ := r.agent("202", 1000)
	cust := r.ext("300", "plain")
	q := callfloor.NewQueue("600", "Sales")
	q.DispositionsEnabled = true
	q.Outcomes = []callfloor.Outcome{{Category: callfloor.CategorySuccess, Name: "Sale"}}
	q = r.queue(q, b, a)

	c := r.call(cust, "600", "queue_caller.xml", 1500*time.Millisecond)
	got, _ := r.answeredBy(q, 0)
	if got != a.ID {
		t.Errorf("answered by extension %d, want %s (idle longest)", got, a.Number)
	}
	c.done(t)
	r.waitState(a, callfloor.StateWrapup)
	calls := r.dialRequests(a.ID) // none: the agent took the call
	if len(calls) != 0 {
		t.Errorf("the agent placed calls %+v", calls)
	}
	if _, err := r.f.Do(context.Background(), r.acc, floor.Dispose{Ext: a.ID, CallID: r.lastCall(a.ID),
		Category: callfloor.CategorySuccess, Outcome: "Other queue's outcome"}); callfloor.ErrorCode(err) != callfloor.ErrInvalidOutcome {
		t.Errorf("an outcome the queue does not have: %v", err)
	}
	r.do(floor.Dispose{Ext: a.ID, CallID: r.lastCall(a.ID), Category: callfloor.CategorySuccess, Outcome: "Sale"})
	r.waitState(a, callfloor.StateIdle)
	s := r.waitStats(q, "one answered", func(s callfloor.QueueStats) bool { return s.Answered == 1 })
	if s.AnsweredInSL != 1 || s.ServiceLevel != 100 || s.Waiting != 0 || s.Abandoned != 0 {
		t.Errorf("figures %+v, want 1 answered within the service level, nobody waiting", s)
	}
	if s.ASASeconds <= 0 || s.ASASeconds > 5 {
		t.Errorf("average speed of answer %.3f s, want a short positive wait", s.ASASeconds)
	}
	if off := r.offered(q); len(off) != 1 || off[0] != a.ID {
		t.Errorf("offered to %v, want only %d", off, a.ID)
	}
}

// TestRollOverAndMissedPause: the first agent's phone rings out (it does
// not answer within the queue's 5 s ring timeout), so the call rolls
// over to the next; having missed the queue's count of offers (1), the
// first agent is paused by the system.
func TestRollOverAndMissedPause(t *testing.T) {
	r := newRig(t, rigOptions{})
	slow := r.ext("201", "agent")
	slowPhone := r.phone(slow, 440, false)
	r.reload()
	r.do(floor.Login{Ext: slow.ID})
	r.waitState(slow, callfloor.StateIdle)
	time.Sleep(50 * time.Millisecond)
	fast, _ := r.agent("202", 1000)
	cust := r.ext("300", "plain")
	q := callfloor.NewQueue("600", "Sales")
	q.RingTimeoutSeconds, q.MissedOffersPause = 5, 1
	q = r.queue(q, slow, fast)

	c := r.call(cust, "600", "queue_caller.xml", 8*time.Second)
	got, _ := r.answeredBy(q, 0)
	if got != fast.ID {
		t.Fatalf("answered by %d, want %s after %s rang out", got, fast.Number, slow.Number)
	}
	if off := r.offered(q); len(off) != 2 || off[0] != slow.ID || off[1] != fast.ID {
		t.Errorf("offers went to %v, want %s then %s", off, slow.Number, fast.Number)
	}
	if ev := slowPhone.Events(); len(ev) == 0 {
		t.Errorf("%s's phone never rang", slow.Number)
	}
	st, p := r.agentState(slow.ID)
	if st != callfloor.StatePaused || p == nil || p.Name != "Missed calls" || !p.System || p.Productive {
		t.Errorf("%s is %s with pause %+v, want paused for missed calls by the system", slow.Number, st, p)
	}
	c.done(t)
	if m := r.waitRecords("missed", 1); len(m) != 1 || m[0].Ext != slow.ID || m[0].Reason != "no_answer" {
		t.Errorf("missed records %+v, want one no_answer for %s", m, slow.Number)
	}
}

// TestStrategies: sequential callers of one queue go to the members each
// strategy says, with real phones (baresip agents answering at once) and
// real customers (sipp). After the first call, members 1 and 2 log off
// and on again, so they become the most recently idle: longest idle would
// now pick member 0 again, which none of these strategies may do.
func TestStrategies(t *testing.T) {
	cases := []struct {
		strategy callfloor.Strategy
		// want is the member (index) who answers each call in turn.
		want []int
	}{
		// Round robin goes through the member list and wraps around.
		{callfloor.StrategyRoundRobin, []int{0, 1, 2, 0}},
		// Fewest calls: members 1 and 2 have none yet; the tie goes to
		// the one idle longer (1).
		{callfloor.StrategyFewestCalls, []int{0, 1, 2}},
		// Random: the injected draw picks the last candidate each time.
		{callfloor.StrategyRandom, []int{2, 2, 2}},
		// Longest idle, for contrast.
		{callfloor.StrategyLongestIdle, []int{0, 0}},
	}
	for _, tc := range cases {
		t.Run(string(tc.strategy), func(t *testing.T) {
			r := newRig(t, rigOptions{rand: func(n int) int { return n - 1 }})
			var members []*callfloor.Extension
			for i, tone := range []float64{440, 1000, 1700} {
				e, _ := r.agent(fmt.Sprint(201+i), tone)
				members = append(members, e)
				time.Sleep(30 * time.Millisecond)
			}
			cust := r.ext("300", "plain")
			q := callfloor.NewQueue("600", "Sales")
			q.Strategy = tc.strategy
			q = r.queue(q, members...)
			next := 0
			for i, want := range tc.want {
				c := r.call(cust, "600", "queue_caller.xml", 300*time.Millisecond)
				var got int64
				got, next = r.answeredBy(q, next)
				if got != members[want].ID {
					t.Errorf("call %d answered by extension %d, want %s", i+1, got, members[want].Number)
				}
				c.done(t)
				for _, m := range members {
					r.waitState(m, callfloor.StateIdle)
				}
				if i == 0 {
					for _, m := range members[1:] {
						r.do(floor.Logoff{Ext: m.ID, Force: true})
						r.do(floor.Login{Ext: m.ID})
						time.Sleep(30 * time.Millisecond)
					}
				}
			}
		})
	}
}

// TestRingAll: every free member's phone rings at once; the first to
// answer takes the call and the other phones stop ringing.
func TestRingAll(t *testing.T) {
	r := newRig(t, rigOptions{})
	a := r.ext("201", "agent")
	pa := r.phone(a, 440, false)
	b := r.ext("202", "agent")
	pb := r.phone(b, 1000, false)
	r.reload()
	r.do(floor.Login{Ext: a.ID})
	r.do(floor.Login{Ext: b.ID})
	cust := r.ext("300", "plain")
	q := callfloor.NewQueue("600", "Sales")
	q.Strategy = callfloor.StrategyRingAll
	q = r.queue(q, a, b)

	c := r.call(cust, "600", "queue_caller.xml", 3*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, p := range []*baresiptest.Phone{pa, pb} {
		if _, err := p.WaitFor(ctx, baresiptest.CallIncoming); err != nil {
			t.Fatalf("a phone did not ring: %v", err)
		}
	}
	if err := pb.Accept(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.answeredBy(q, 0); got != b.ID {
		t.Errorf("answered by %d, want %s", got, b.Number)
	}
	if _, err := pa.WaitFor(ctx, baresiptest.CallClosed); err != nil {
		t.Errorf("the other phone kept ringing: %v", err)
	}
	r.waitState(a, callfloor.StateIdle)
	c.done(t)
}

// TestAbandon: with nobody to take it, a customer waits, then hangs up:
// the queue counts an abandoned call with the wait, and the journal has
// the abandoned step.
func TestAbandon(t *testing.T) {
	r := newRig(t, rigOptions{})
	a := r.ext("201", "agent") // a member, but logged off
	cust := r.ext("300", "plain")
	q := r.queue(callfloor.NewQueue("600", "Sales"), a)

	c := r.call(cust, "600", "queue_caller.xml", 1500*time.Millisecond)
	r.waitStats(q, "one waiting", func(s callfloor.QueueStats) bool { return s.Waiting == 1 })
	c.done(t)
	s := r.waitStats(q, "one abandoned", func(s callfloor.QueueStats) bool { return s.Abandoned == 1 })
	if s.Waiting != 0 || s.Answered != 0 || s.AbandonWaitSeconds < 1.2 || s.AbandonWaitSeconds > 5 || s.ServiceLevel != 0 {
		t.Errorf("figures %+v, want one abandoned after about 1.5 s, service level 0", s)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(r.records("abandoned")) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	recs := r.records("abandoned")
	if len(recs) != 1 || recs[0].QueueID != q.ID || recs[0].WaitMillis < 1200 || recs[0].From != cust.ID {
		t.Errorf("abandoned records %+v, want one of queue %d from %d with about 1500 ms", recs, q.ID, cust.ID)
	}
	if off := r.offered(q); len(off) != 0 {
		t.Errorf("offered to %v, a logged-off agent", off)
	}
}

// TestOverflow: a caller who waits the queue's maximum moves to the
// overflow queue, where its agent answers; a queue full to its maximum
// callers hangs up on the next caller.
func TestOverflow(t *testing.T) {
	r := newRig(t, rigOptions{})
	sales := r.ext("201", "agent") // logged off: Sales has nobody
	b, _ := r.agent("202", 1000)
	cust := r.ext("300", "plain")
	support := r.queue(callfloor.NewQueue("601", "Support"), b)
	q := callfloor.NewQueue("600", "Sales")
	q.MaxWaitSeconds, q.OverflowAction, q.OverflowTargetID = 1, callfloor.OverflowQueue, &support.ID
	q = r.queue(q, sales)

	c := r.call(cust, "600", "queue_caller.xml", 3*time.Second)
	if got, _ := r.answeredBy(support, 0); got != b.ID {
		t.Errorf("answered by %d, want %s in the overflow queue", got, b.Number)
	}
	c.done(t)
	s := r.waitStats(q, "one overflowed", func(s callfloor.QueueStats) bool { return s.Overflowed == 1 })
	if s.Answered != 0 || s.Abandoned != 0 {
		t.Errorf("Sales figures %+v, want only the overflow", s)
	}
	r.waitStats(support, "one answered", func(s callfloor.QueueStats) bool { return s.Answered == 1 })

	// A full queue: one caller at most, and the overflow hangs up.
	full := callfloor.NewQueue("602", "Full")
	full.MaxCallers = 1
	full = r.queue(full, sales)
	first := r.call(cust, "602", "queue_caller.xml", 3*time.Second)
	r.waitStats(full, "one waiting", func(s callfloor.QueueStats) bool { return s.Waiting == 1 })
	second := r.call(cust, "602", "queue_dropped.xml", 0)
	second.done(t) // the scenario expects the queue's BYE
	first.done(t)
	recs := r.waitRecords("overflowed", 1)
	found := false
	for _, rec := range recs {
		found = found || (rec.QueueID == full.ID && rec.Reason == "queue_full")
	}
	if !found {
		t.Errorf("overflow records %+v, want one queue_full of queue %s", recs, full.Number)
	}
}

// TestPausedAgentNeverOffered: the agent idle longest is paused, so the
// call goes to the other; the paused agent's phone never rings.
func TestPausedAgentNeverOffered(t *testing.T) {
	r := newRig(t, rigOptions{})
	a, pa := r.agent("201", 440)
	time.Sleep(30 * time.Millisecond)
	b, _ := r.agent("202", 1000)
	lunch := &callfloor.PauseReason{Name: "Lunch", Code: 1}
	if err := r.st.CreatePauseReason(r.ctx, lunch); err != nil {
		t.Fatal(err)
	}
	r.reload()
	r.do(floor.Pause{Ext: a.ID, ReasonID: lunch.ID})
	cust := r.ext("300", "plain")
	q := r.queue(callfloor.NewQueue("600", "Sales"), a, b)

	c := r.call(cust, "600", "queue_caller.xml", 500*time.Millisecond)
	if got, _ := r.answeredBy(q, 0); got != b.ID {
		t.Errorf("answered by %d, want %s (the other is paused)", got, b.Number)
	}
	c.done(t)
	if off := r.offered(q); len(off) != 1 || off[0] != b.ID {
		t.Errorf("offered to %v, want only %s", off, b.Number)
	}
	if rang(pa) {
		t.Errorf("the paused agent's phone rang: %v", pa.Events())
	}
}

// TestParticipantPausedInOneQueue: a participant (queues feature, no
// agent tab) paused in Sales is not offered Sales' callers, but still
// takes Support's.
func TestParticipantPausedInOneQueue(t *testing.T) {
	r := newRig(t, rigOptions{})
	p := r.ext("210", "participant")
	phone := r.phone(p, 1700, true)
	cust := r.ext("300", "plain")
	sales := r.queue(callfloor.NewQueue("600", "Sales"), p)
	support := r.queue(callfloor.NewQueue("601", "Support"), p)
	r.do(floor.ParticipantPause{Ext: p.ID, QueueID: sales.ID, Paused: true})

	c := r.call(cust, "600", "queue_caller.xml", 1200*time.Millisecond)
	c.done(t)
	r.waitStats(sales, "one abandoned", func(s callfloor.QueueStats) bool { return s.Abandoned == 1 })
	if rang(phone) {
		t.Fatalf("the participant's phone rang for the queue it is paused in: %v", phone.Events())
	}

	c = r.call(cust, "601", "queue_caller.xml", 1500*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := phone.WaitFor(ctx, baresiptest.CallEstablished); err != nil {
		t.Fatalf("the participant did not take Support's call: %v", err)
	}
	c.done(t)
	s := r.waitStats(support, "one answered", func(s callfloor.QueueStats) bool { return s.Answered == 1 })
	if s.Abandoned != 0 {
		t.Errorf("Support figures %+v", s)
	}
}

// rang reports whether a baresip phone saw any call.
func rang(p *baresiptest.Phone) bool {
	for _, ev := range p.Events() {
		if strings.HasPrefix(string(ev.Type), "CALL_") {
			return true
		}
	}
	return false
}

// TestOutboundThroughTheOutboundQueue: an agent's manual call out goes
// through the agent's outbound queue and is counted there, with the
// caller ID from the agent's pool; an agent without an outbound queue is
// refused with no_outbound_queue and the carrier never sees the call.
// The agent's phone is baresip, the carrier sipp.
func TestOutboundThroughTheOutboundQueue(t *testing.T) {
	r := newRig(t, rigOptions{trunks: true})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	carrier := r.carrier(ctx)
	out, pool := carrier.out, carrier.pool

	// No outbound queue: refused before anything goes out.
	lone, lonePhone := r.agent("201", 440)
	if err := lonePhone.Dial(ctx, fmt.Sprintf("sip:07700900001@%s", r.addr)); err != nil {
		t.Fatal(err)
	}
	ev, err := lonePhone.WaitFor(ctx, baresiptest.CallClosed)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ev.Param, "403") {
		t.Errorf("the call ended with %q, want 403 Forbidden (no_outbound_queue)", ev.Param)
	}
	if rec := r.dialRequests(lone.ID); len(rec) != 0 {
		t.Errorf("dial requests %+v for the agent without an outbound queue", rec)
	}

	// With an outbound queue and a caller-ID pool.
	e := r.ext("202", "agent")
	if _, err := r.st.UpdateExtension(r.ctx, e.ID, func(e *callfloor.Extension) error {
		e.Agent.OutboundQueueID, e.Agent.CallerIDPoolID = &out.ID, &pool.ID
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	phone := r.phone(e, 1000, false)
	r.reload()
	r.do(floor.Login{Ext: e.ID})
	r.waitState(e, callfloor.StateIdle)
	if err := phone.Dial(ctx, fmt.Sprintf("sip:07700900001@%s", r.addr)); err != nil {
		t.Fatal(err)
	}
	if _, err := phone.WaitFor(ctx, baresiptest.CallEstablished); err != nil {
		t.Fatalf("the call out was not answered: %v\n%s", err, carrier.output.String())
	}
	if err := phone.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	log := carrier.log(ctx, t)
	invites := strings.Count(log, "INVITE sip:")
	if invites != 1 {
		t.Errorf("the carrier saw %d INVITEs, want 1 (the refused call must not go out)", invites)
	}
	if from := fromHeader(log); !strings.Contains(from, "sip:+441632960101@") {
		t.Errorf("the carrier's INVITE comes from %q, want the pool's number +441632960101", from)
	}
	recs := r.dialRequests(e.ID)
	if len(recs) != 1 || recs[0].Direction != callfloor.DirExternalOut || recs[0].QueueID != out.ID {
		t.Errorf("dial requests %+v, want one external call counted against queue %s", recs, out.Number)
	}
	r.waitStats(out, "one call out", func(s callfloor.QueueStats) bool { return s.Outbound == 1 })
}

// fromHeader is the From header of the first INVITE in sipp's message
// log.
func fromHeader(log string) string {
	i := strings.Index(log, "INVITE sip:")
	if i < 0 {
		return ""
	}
	for _, line := range strings.Split(log[i:], "\n") {
		if strings.HasPrefix(line, "From:") {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

// TestTransferToAnotherQueue: a Sales agent's baresip phone transfers the
// sipp customer (REFER, blind) to Support's number: the customer waits in
// Support and the Support agent answers; the Sales agent's line ends as
// transferred, and each queue counts its answer.
func TestTransferToAnotherQueue(t *testing.T) {
	r := newRig(t, rigOptions{})
	a := r.ext("201", "agent")
	pa := r.phone(a, 440, false)
	r.reload()
	r.do(floor.Login{Ext: a.ID})
	r.waitState(a, callfloor.StateIdle)
	b, pb := r.agent("202", 1000)
	cust := r.ext("300", "plain")
	support := r.queue(callfloor.NewQueue("601", "Support"), b)
	sales := r.queue(callfloor.NewQueue("600", "Sales"), a)

	c := r.call(cust, "600", "queue_caller.xml", 6*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if _, err := pa.WaitFor(ctx, baresiptest.CallIncoming); err != nil {
		t.Fatal(err)
	}
	if err := pa.Accept(ctx); err != nil {
		t.Fatal(err)
	}
	got, next := r.answeredBy(sales, 0)
	if got != a.ID {
		t.Fatalf("Sales call answered by %d, want %s", got, a.Number)
	}
	if err := pa.Transfer(ctx, "sip:601@"+r.addr); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.answeredBy(support, next); got != b.ID {
		t.Errorf("Support call answered by %d, want %s", got, b.Number)
	}
	if _, err := pb.WaitFor(ctx, baresiptest.CallEstablished); err != nil {
		t.Errorf("the Support agent's phone: %v", err)
	}
	r.waitState(a, callfloor.StateIdle) // Sales has no dispositions: no wrap-up
	c.done(t)
	r.waitStats(sales, "one answered", func(s callfloor.QueueStats) bool { return s.Answered == 1 })
	r.waitStats(support, "one answered", func(s callfloor.QueueStats) bool { return s.Answered == 1 })
	if q := r.waitRecords("queued", 2); len(q) != 2 || q[0].QueueID != sales.ID || q[1].QueueID != support.ID {
		t.Errorf("queued records %+v, want Sales then Support", q)
	}
}

// TestTransferOutThroughTheOutboundQueue: an agent hands a queue caller
// to an outside number (REFER from baresip): the sipp carrier gets the
// call from the agent's pool number, and the agent's outbound queue
// counts it; an agent without an outbound queue is refused with
// no_outbound_queue and keeps the call.
func TestTransferOutThroughTheOutboundQueue(t *testing.T) {
	r := newRig(t, rigOptions{trunks: true})
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	carrier := r.carrier(ctx)
	out, pool := carrier.out, carrier.pool

	// An agent with no outbound queue may not transfer out.
	lone, _ := r.agent("201", 440)
	cust := r.ext("300", "plain")
	sales := r.queue(callfloor.NewQueue("600", "Sales"), lone)
	c1 := r.call(cust, "600", "queue_caller.xml", 3*time.Second)
	_, next := r.answeredBy(sales, 0)
	err := r.b.Transfer(ctx, r.acc, lone.ID, r.lastCall(lone.ID), "07700900001")
	if callfloor.ErrorCode(err) != callfloor.ErrNoOutboundQueue {
		t.Errorf("transfer out without an outbound queue: %v, want no_outbound_queue", err)
	}
	if st, _ := r.agentState(lone.ID); st != callfloor.StateOnCall {
		t.Errorf("the refused agent is %s, want still on the call", st)
	}
	c1.done(t)

	// With an outbound queue and a pool: the customer goes out to the
	// carrier, the agent leaves.
	e := r.ext("202", "agent")
	if _, err := r.st.UpdateExtension(r.ctx, e.ID, func(e *callfloor.Extension) error {
		e.Agent.OutboundQueueID, e.Agent.CallerIDPoolID = &out.ID, &pool.ID
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	phone := r.phone(e, 1000, true)
	support := r.queue(callfloor.NewQueue("601", "Support"), e)
	r.reload()
	r.do(floor.Login{Ext: e.ID})
	r.waitState(e, callfloor.StateIdle)
	c2 := r.call(cust, "601", "queue_caller.xml", 4*time.Second)
	if got, _ := r.answeredBy(support, next); got != e.ID {
		t.Fatalf("answered by %d, want %s", got, e.Number)
	}
	if err := phone.Transfer(ctx, "sip:07700900001@"+r.addr); err != nil {
		t.Fatal(err)
	}
	r.waitState(e, callfloor.StateIdle)
	c2.done(t) // the customer, talking to the carrier now, hangs up
	if from := fromHeader(carrier.log(ctx, t)); !strings.Contains(from, "sip:+441632960101@") {
		t.Errorf("the carrier's INVITE comes from %q, want the pool's number +441632960101", from)
	}
	r.waitStats(out, "one call out", func(s callfloor.QueueStats) bool { return s.Outbound == 1 })
	found := false
	for _, rec := range r.waitRecords("outbound", 1) {
		found = found || (rec.Reason == floor.OutboundTransfer && rec.Ext == e.ID && rec.QueueID == out.ID && rec.Number == "07700900001")
	}
	if !found {
		t.Errorf("outbound records %+v, want the transfer by %s against %s", r.records("outbound"), e.Number, out.Number)
	}
}
