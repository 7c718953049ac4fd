package dispatch_test

import (
	"context"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/floor"
	"github.com/callfloor/callfloor/internal/baresiptest"
	"github.com/callfloor/callfloor/sip/b2bua"
)

// deadTimeout is the media timeout of these tests: long enough for a
// live sipp, which echoes the music it hears (-rtp_echo), never to trip
// it.
const deadTimeout = 2 * time.Second

// TestKilledCallerLeavesTheQueue: a customer waiting in a queue is killed
// (SIGKILL: no BYE, no more RTP). Within the media timeout the call ends,
// the queue counts the caller abandoned with reason media_timeout, and
// when an agent logs in afterwards nobody is offered the dead call.
func TestKilledCallerLeavesTheQueue(t *testing.T) {
	r := newRig(t, rigOptions{mediaTimeout: deadTimeout})
	a, _ := r.agent("201", 440)
	r.do(floor.Logoff{Ext: a.ID})
	r.waitState(a, callfloor.StateLoggedOff)
	cust := r.ext("300", "plain")
	q := r.queue(callfloor.NewQueue("600", "Sales"), a)

	c := r.call(cust, "600", "queue_caller.xml", 30*time.Second, "-rtp_echo")
	r.waitStats(q, "one waiting", func(s callfloor.QueueStats) bool { return s.Waiting == 1 })
	// Alive and echoing for more than the timeout: still waiting.
	time.Sleep(deadTimeout + time.Second)
	if s := r.waitStats(q, "figures", func(callfloor.QueueStats) bool { return true }); s.Waiting != 1 || s.Abandoned != 0 {
		t.Fatalf("a live caller who echoes the music: figures %+v, want still waiting", s)
	}

	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	s := r.waitStats(q, "the dead caller abandoned", func(s callfloor.QueueStats) bool { return s.Abandoned == 1 })
	if s.Waiting != 0 {
		t.Errorf("figures %+v, want nobody waiting", s)
	}
	if gone := time.Since(killed); gone > deadTimeout+2*time.Second {
		t.Errorf("the dead caller left the queue %v after the kill, want within about %v", gone, deadTimeout)
	}
	recs := r.waitRecords("abandoned", 1)
	if len(recs) != 1 || recs[0].Reason != b2bua.ReasonMediaTimeout {
		t.Errorf("abandoned records %+v, want one with reason %s", recs, b2bua.ReasonMediaTimeout)
	}

	// An agent free now gets nothing: the queue is empty.
	r.do(floor.Login{Ext: a.ID})
	r.waitState(a, callfloor.StateIdle)
	if s := r.waitStats(q, "figures", func(callfloor.QueueStats) bool { return true }); s.Waiting != 0 {
		t.Errorf("figures after the login %+v, want nobody waiting", s)
	}
	if off := r.offered(q); len(off) != 0 {
		t.Errorf("the dead call was offered to %v", off)
	}
}

// TestKilledCallerEndsTheBridgedCall: a customer talking to an agent is
// killed. Within the media timeout both legs end: the agent's phone gets
// its BYE and the agent goes to wrap-up (the queue has dispositions), the
// call's end journaled with reason media_timeout.
func TestKilledCallerEndsTheBridgedCall(t *testing.T) {
	r := newRig(t, rigOptions{mediaTimeout: deadTimeout})
	a, phone := r.agent("201", 440)
	cust := r.ext("300", "plain")
	q := callfloor.NewQueue("600", "Sales")
	q.DispositionsEnabled = true
	q.Outcomes = []callfloor.Outcome{{Category: callfloor.CategorySuccess, Name: "Sale"}}
	q = r.queue(q, a)

	c := r.call(cust, "600", "queue_caller.xml", 30*time.Second, "-rtp_echo")
	if got, _ := r.answeredBy(q, 0); got != a.ID {
		t.Fatalf("answered by %d, want %s", got, a.Number)
	}
	r.waitState(a, callfloor.StateOnCall)
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	r.waitState(a, callfloor.StateWrapup)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := phone.WaitFor(ctx, baresiptest.CallClosed); err != nil {
		t.Errorf("the agent's phone still has the call: %v", err)
	}
	if reasons := r.endReasons(); !slices.Contains(reasons, b2bua.ReasonMediaTimeout) {
		t.Errorf("calls ended with reasons %q, want %s", reasons, b2bua.ReasonMediaTimeout)
	}
	if s := r.waitStats(q, "one answered", func(s callfloor.QueueStats) bool { return s.Answered == 1 }); s.Abandoned != 0 {
		t.Errorf("figures %+v, want one answered, none abandoned", s)
	}
}

// endReasons lists the end reasons of the calls in the floor's events.
func (r *rig) endReasons() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, ev := range r.floorE {
		if ev.Type == callfloor.EventCallEnded {
			out = append(out, ev.EndReason)
		}
	}
	return out
}
