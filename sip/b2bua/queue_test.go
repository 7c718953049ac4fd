package b2bua

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/media/prompt"
	"github.com/callfloor/callfloor/media/tone"
)

// router is a QueueRouter for the tests: queue 7 has number 600, and
// callers are handed to the test.
type router struct{ waiting chan Waiting }

func (r *router) QueueByNumber(_ context.Context, _ int64, number string) (int64, error) {
	if number == "600" {
		return 7, nil
	}
	return 0, nil
}

func (r *router) Enqueue(w Waiting) { r.waiting <- w }

func queueHarness(t *testing.T) (*harness, *router) {
	r := &router{waiting: make(chan Waiting, 10)}
	return newHarness(t, func(c *Config) { c.Queues = r }), r
}

// TestQueueCallWaitsThenConnects: a call to a queue number is answered at
// once with music; the caller hears their position spoken; Ring connects
// the member who answers, and the two hear each other.
func TestQueueCallWaitsThenConnects(t *testing.T) {
	h, r := queueHarness(t)
	caller, member := h.phone(h.addExt(1, 10, "100"), false), h.phone(h.addExt(1, 20, "200"), false)
	for _, p := range []*phone{caller, member} {
		p.register()
		p.speak()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dlg := caller.answered(ctx, t, "600", nil)
	var w Waiting
	select {
	case w = <-r.waiting:
	case <-ctx.Done():
		t.Fatal("the caller was not handed to the queue")
	}
	if w.QueueID != 7 || w.Caller == nil || w.Caller.Number != "100" || w.Number != "600" {
		t.Fatalf("waiting %+v", w)
	}
	caller.hearsMusic()
	h.waitEvents("queued")

	// The position, spoken: the caller receives the prompt's own samples
	// (μ-law in, μ-law out: the relay passes them unchanged).
	if err := h.b.Announce(1, w.CallID, 3); err != nil {
		t.Fatal(err)
	}
	pcm := caller.listen(3 * time.Second)
	if !heard(t, pcm, "three") || heard(t, pcm, "four") {
		t.Fatal("the caller did not hear their position, three")
	}

	if err := h.b.Ring(ctx, 1, w.CallID, member.ext, RingOptions{Timeout: 5 * time.Second}); err != nil {
		t.Fatalf("ring: %v", err)
	}
	caller.hears("200")
	member.hears("100")
	e := h.waitEvent(Answered)
	if e.QueueID != 7 || !slices.Contains(e.Parties, member.ext.ID) {
		t.Errorf("answered %+v, want queue 7 with the member", e)
	}
	// The call is taken: another member cannot have it.
	other := h.addExt(1, 30, "300")
	if err := h.b.Ring(ctx, 1, w.CallID, other, RingOptions{}); callfloor.ErrorCode(err) != callfloor.ErrCallState {
		t.Errorf("ringing a second member: %v, want call_state_conflict", err)
	}
	if err := dlg.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-member.byes:
	case <-ctx.Done():
		t.Fatal("the member got no BYE when the caller hung up")
	}
}

// heard reports whether pcm holds the spoken word (a clip of
// media/prompt): a loud stretch of it, sample for sample.
func heard(t *testing.T, pcm []int16, word string) bool {
	t.Helper()
	g, d, err := prompt.Clip(word)
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]int16, tone.FrameSamples)
	for n := time.Duration(0); n < d; n += 20 * time.Millisecond {
		g.Fill(frame)
		if slices.Max(frame) > 3000 {
			for i := 0; i+len(frame) <= len(pcm); i++ {
				if slices.Equal(pcm[i:i+len(frame)], frame) {
					return true
				}
			}
			return false
		}
	}
	t.Fatalf("the clip %q has no loud frame", word)
	return false
}

// TestQueueRingOutAndCallerLeaves: a member who does not answer in the
// ring timeout is a RingFailure with no_answer; a caller who hangs up
// stops the member ringing, and the call ends as the caller's hang-up.
func TestQueueRingOutAndCallerLeaves(t *testing.T) {
	h, r := queueHarness(t)
	caller, slow := h.phone(h.addExt(1, 10, "100"), false), h.phone(h.addExt(1, 20, "200"), true)
	caller.register()
	slow.register()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dlg := caller.answered(ctx, t, "600", nil)
	w := <-r.waiting

	err := h.b.Ring(ctx, 1, w.CallID, slow.ext, RingOptions{Timeout: 300 * time.Millisecond})
	var rf *RingFailure
	if !errors.As(err, &rf) || rf.Reason != ReasonNoAnswer {
		t.Fatalf("ring out: %v, want no_answer", err)
	}

	rang := make(chan error, 1)
	go func() { rang <- h.b.Ring(ctx, 1, w.CallID, slow.ext, RingOptions{Timeout: 5 * time.Second}) }()
	<-slow.invites
	<-slow.invites // the first ring's INVITE, then this one's
	if err := dlg.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	err = <-rang
	if !errors.As(err, &rf) || rf.Reason != ReasonCanceled {
		t.Fatalf("ring while the caller left: %v, want canceled", err)
	}
	e := h.waitEvent(Ended)
	if e.Reason != ReasonCallerHangup || e.QueueID != 7 {
		t.Errorf("ended %+v, want the caller's hang-up in queue 7", e)
	}
	if err := h.b.Drop(ctx, 1, w.CallID, "queue_full"); callfloor.ErrorCode(err) != callfloor.ErrUnknownCall {
		t.Errorf("drop after the end: %v", err)
	}
}

// TestQueueDrop: the queue lets a caller go: the B2BUA hangs up on them.
func TestQueueDrop(t *testing.T) {
	h, r := queueHarness(t)
	caller := h.phone(h.addExt(1, 10, "100"), false)
	caller.register()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	caller.answered(ctx, t, "600", nil)
	w := <-r.waiting
	if err := h.b.Drop(ctx, 1, w.CallID, "queue_max_wait"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-caller.byes:
	case <-ctx.Done():
		t.Fatal("the caller got no BYE")
	}
	if e := h.waitEvent(Ended); e.Reason != "queue_max_wait" {
		t.Errorf("ended %+v", e)
	}
}

// waitEvent waits for the first event of a kind and returns it.
func (h *harness) waitEvent(kind EventKind) Event {
	h.t.Helper()
	return h.waitEventWithin(kind, 3*time.Second)
}

// waitEventWithin waits up to d for the first event of a kind.
func (h *harness) waitEventWithin(kind EventKind, d time.Duration) Event {
	h.t.Helper()
	deadline := time.Now().Add(d)
	for {
		for _, e := range h.eventsCopy() {
			if e.Kind == kind {
				return e
			}
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("no %v event in %q", kind, h.eventKinds())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTransferToQueue: an extension on a call hands the other party to a
// queue's number (blind transfer): it leaves, the party hears the queue's
// music and is handed to the router as a caller of that queue; Ring then
// connects a member, and the party and the member hear each other. A
// consultation ("call first") to a queue is refused: nothing moves.
func TestTransferToQueue(t *testing.T) {
	r := &router{waiting: make(chan Waiting, 10)}
	tr := newTrio(t, func(c *Config) { c.Queues = r })
	h, cust, agent, member, dlg, id := tr.h, tr.a, tr.b, tr.c, tr.dlg, tr.id
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if _, err := h.b.Consult(ctx, 1, 20, id, "600"); callfloor.ErrorCode(err) != callfloor.ErrInvalidField {
		t.Fatalf("consulting a queue: %v, want invalid_field", err)
	}
	if err := h.b.Dial(ctx, 1, agent.ext, "line-q", "600"); callfloor.ErrorCode(err) != callfloor.ErrInvalidField {
		t.Fatalf("a new line to a queue: %v, want invalid_field", err)
	}
	cust.hears("200")

	if err := h.b.Transfer(ctx, 1, 20, id, "600"); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, agent.byes, "BYE to the transferring phone")
	var w Waiting
	select {
	case w = <-r.waiting:
	case <-ctx.Done():
		t.Fatal("the party was not handed to the queue")
	}
	if w.CallID != id || w.QueueID != 7 || w.Caller == nil || w.Caller.Number != "100" || w.Number != "600" {
		t.Fatalf("waiting %+v, want call %s of extension 100 in queue 7", w, id)
	}
	cust.hearsMusic()
	if e := h.waitEvent(Queued); e.QueueID != 7 || e.CallID != id {
		t.Errorf("queued %+v", e)
	}
	if e := h.waitEvent(Left); e.Ext != 20 || e.Reason != ReasonTransferred {
		t.Errorf("left %+v, want 200 transferred", e)
	}

	if err := h.b.Ring(ctx, 1, id, member.ext, RingOptions{Timeout: 5 * time.Second}); err != nil {
		t.Fatalf("ring: %v", err)
	}
	cust.hears("300")
	member.hears("100")
	if err := dlg.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, member.byes, "BYE to the member")
}
