// Package telephony connects the telephony plane (the SIP B2BUA) to the
// floor engine: the floor decides whether a call may ring or be placed, and
// hears how it goes (answered, ended), so agent states follow real calls.
package telephony

import (
	"context"
	"log/slog"
	"sync"

	"github.com/emiago/sipgo/sip"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/floor"
	"github.com/callfloor/callfloor/sip/b2bua"
)

// Link feeds the floor from the B2BUA. Use Admit and OnEvent as the
// B2BUA's hooks; Close stops it.
type Link struct {
	floor *floor.Floor
	log   *slog.Logger

	mu      sync.Mutex
	pending []b2bua.Event
	wake    chan struct{}
	done    chan struct{}
	stopped chan struct{}
}

// NewLink starts a link to f.
func NewLink(f *floor.Floor, log *slog.Logger) *Link {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Link{floor: f, log: log, wake: make(chan struct{}, 1), done: make(chan struct{}), stopped: make(chan struct{})}
	go l.run()
	return l
}

// Admit puts the call on the floor before it rings: the caller's line
// (an internal dial, with the agent's rules) and the callee's offer. An
// extension that is not an agent is not the floor's business.
func (l *Link) Admit(ctx context.Context, a b2bua.Admission) error {
	_, err := l.floor.Do(ctx, a.AccountID, floor.Dial{Ext: a.Caller.ID, CallID: a.CallID, Number: a.Number, Internal: true})
	if err != nil && callfloor.ErrorCode(err) != callfloor.ErrNotAgent {
		return &b2bua.Refusal{Status: sip.StatusForbidden, Text: "Forbidden (" + callfloor.ErrorCode(err) + ")"}
	}
	call := callfloor.CallRef{ID: a.CallID, Direction: callfloor.DirInternalIn, From: a.Caller.Number, To: a.Callee.Number}
	_, err = l.floor.Do(ctx, a.AccountID, floor.Offer{Ext: a.Callee.ID, Call: call})
	if err == nil || callfloor.ErrorCode(err) == callfloor.ErrNotAgent {
		return nil
	}
	// The callee may not ring: the caller's line ends at once.
	l.do(ctx, a.AccountID, floor.Hangup{Ext: a.Caller.ID, CallID: a.CallID, Reason: "refused"})
	if callfloor.ErrorCode(err) == callfloor.ErrAgentBusy {
		return &b2bua.Refusal{Status: sip.StatusBusyHere, Text: "Busy Here"}
	}
	return &b2bua.Refusal{Status: sip.StatusTemporarilyUnavailable, Text: "Temporarily Unavailable (" + callfloor.ErrorCode(err) + ")"}
}

// OnEvent queues a call event for the floor; it never blocks the B2BUA,
// and events reach the floor in order.
func (l *Link) OnEvent(ev b2bua.Event) {
	l.mu.Lock()
	l.pending = append(l.pending, ev)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Close stops the link once the queued events are on the floor.
func (l *Link) Close() {
	close(l.done)
	<-l.stopped
}

func (l *Link) run() {
	defer close(l.stopped)
	for {
		l.mu.Lock()
		evs := l.pending
		l.pending = nil
		l.mu.Unlock()
		for _, ev := range evs {
			l.apply(ev)
		}
		if len(evs) > 0 {
			continue
		}
		select {
		case <-l.wake:
		case <-l.done:
			return
		}
	}
}

// apply reports a call event for both ends of the call.
func (l *Link) apply(ev b2bua.Event) {
	ctx := context.Background()
	for _, ext := range []int64{ev.To, ev.From} {
		if ext == 0 {
			continue
		}
		switch ev.Kind {
		case b2bua.Answered:
			l.do(ctx, ev.AccountID, floor.Answer{Ext: ext, CallID: ev.CallID})
		case b2bua.Ended:
			l.do(ctx, ev.AccountID, floor.Hangup{Ext: ext, CallID: ev.CallID, Reason: ev.Reason})
		}
	}
}

// do sends an input whose refusal only means the floor has nothing to do
// (not an agent, or a call it never had).
func (l *Link) do(ctx context.Context, account int64, in floor.Input) {
	if _, err := l.floor.Do(ctx, account, in); err != nil {
		switch callfloor.ErrorCode(err) {
		case callfloor.ErrNotAgent, callfloor.ErrUnknownCall:
		default:
			l.log.Warn("call event not recorded on the floor", "account", account, "err", err)
		}
	}
}
