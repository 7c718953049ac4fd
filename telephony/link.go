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
	// queued and applied count the events in and on the floor; progress
	// is closed (and replaced) whenever applied moves.
	queued, applied uint64
	progress        chan struct{}
	wake            chan struct{}
	done            chan struct{}
	stopped         chan struct{}
}

// NewLink starts a link to f.
func NewLink(f *floor.Floor, log *slog.Logger) *Link {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Link{floor: f, log: log, wake: make(chan struct{}, 1), done: make(chan struct{}), stopped: make(chan struct{}),
		progress: make(chan struct{})}
	go l.run()
	return l
}

// Admit puts a leg on the floor before it rings: for a dialled call the
// caller's line (with the agent's rules) and then the callee's offer; for
// a transfer only the target's offer. An extension that is not an agent
// is not the floor's business. The callee's auto answer (the Agent tab,
// or the agent's choice where it is optional) comes back in Admitted.
func (l *Link) Admit(ctx context.Context, a b2bua.Admission) (b2bua.Admitted, error) {
	var adm b2bua.Admitted
	if a.Kind == b2bua.KindClick {
		return adm, nil
	}
	if a.Kind != b2bua.KindTransfer && a.Caller != nil {
		_, err := l.floor.Do(ctx, a.AccountID, floor.Dial{Ext: a.Caller.ID, CallID: a.CallID, Number: a.Number, Internal: a.Callee != nil || a.QueueID != 0})
		if err != nil && callfloor.ErrorCode(err) != callfloor.ErrNotAgent {
			return adm, refuse(callfloor.ErrorCode(err))
		}
	}
	if a.Kind == b2bua.KindTransfer && a.Callee == nil && a.Caller != nil {
		// A transfer out through a trunk: counted in the transferring
		// agent's outbound queue, refused without one.
		_, err := l.floor.Do(ctx, a.AccountID, floor.TransferOut{Ext: a.Caller.ID, CallID: a.CallID, Number: a.Number})
		if err != nil && callfloor.ErrorCode(err) != callfloor.ErrNotAgent {
			return adm, refuse(callfloor.ErrorCode(err))
		}
		return adm, nil
	}
	if a.Callee == nil {
		return adm, nil // a call out through a trunk, or into a queue
	}
	call := callfloor.CallRef{ID: a.CallID, Direction: callfloor.DirInternalIn, From: a.From, To: a.Callee.Number}
	if a.Caller == nil {
		call.Direction = callfloor.DirExternalIn
	} else if call.From == "" {
		call.From = a.Caller.Number
	}
	_, err := l.floor.Do(ctx, a.AccountID, floor.Offer{Ext: a.Callee.ID, Call: call})
	if err == nil || callfloor.ErrorCode(err) == callfloor.ErrNotAgent {
		adm.AutoAnswer = l.autoAnswer(ctx, a.AccountID, a.Callee.ID)
		return adm, nil
	}
	// The callee may not ring: the caller's new line ends at once.
	if a.Kind != b2bua.KindTransfer && a.Caller != nil {
		l.do(ctx, a.AccountID, floor.Hangup{Ext: a.Caller.ID, CallID: a.CallID, Reason: "refused"})
	}
	code := callfloor.ErrorCode(err)
	if elsewhere(code) {
		return adm, refuse(code)
	}
	if code == callfloor.ErrAgentBusy {
		return adm, &b2bua.Refusal{Status: sip.StatusBusyHere, Text: "Busy Here", Code: code}
	}
	return adm, &b2bua.Refusal{Status: sip.StatusTemporarilyUnavailable, Text: "Temporarily Unavailable (" + code + ")", Code: code}
}

// refuse is the answer to a call the floor does not let through: 403,
// or 503 when this node does not own the account (the SIP proxy reached
// a node the account just left): the proxy then tries another node.
func refuse(code string) *b2bua.Refusal {
	if elsewhere(code) {
		return &b2bua.Refusal{Status: sip.StatusServiceUnavailable, Text: "Service Unavailable (" + code + ")", Code: code}
	}
	return &b2bua.Refusal{Status: sip.StatusForbidden, Text: "Forbidden (" + code + ")", Code: code}
}

// elsewhere: the account's floor runs on another node of the cluster.
func elsewhere(code string) bool { return code == callfloor.ErrNotOwner || code == callfloor.ErrFenced }

// autoAnswer reports whether an agent's phone should answer at once.
func (l *Link) autoAnswer(ctx context.Context, account, ext int64) bool {
	on := false
	err := l.floor.View(ctx, account, func(st *floor.State, cfg *floor.Config) {
		ac := cfg.Agents[ext]
		if ac == nil {
			return
		}
		switch ac.AutoAnswer {
		case callfloor.AutoAnswerOn:
			on = true
		case callfloor.AutoAnswerOptional:
			on = st.Agent(ext).AutoAnswer
		}
	})
	if err != nil {
		l.log.Warn("auto answer not known", "account", account, "ext", ext, "err", err)
	}
	return on
}

// OnEvent queues a call event for the floor; it never blocks the B2BUA,
// and events reach the floor in order.
func (l *Link) OnEvent(ev b2bua.Event) {
	l.mu.Lock()
	l.pending = append(l.pending, ev)
	l.queued++
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Settle waits until the events queued before it are on the floor, so an
// in-call control answers with the state it led to.
func (l *Link) Settle(ctx context.Context) error {
	l.mu.Lock()
	target := l.queued
	for l.applied < target {
		ch := l.progress
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-l.stopped:
			return nil
		}
		l.mu.Lock()
	}
	l.mu.Unlock()
	return nil
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
			l.mu.Lock()
			l.applied += uint64(len(evs))
			close(l.progress)
			l.progress = make(chan struct{})
			l.mu.Unlock()
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

// apply reports a call event to the floor, for each extension it
// concerns.
func (l *Link) apply(ev b2bua.Event) {
	ctx := context.Background()
	l.do(ctx, ev.AccountID, floor.Record{Call: record(ev)})
	parties := ev.Parties
	if len(parties) == 0 && (ev.Kind == b2bua.Answered || ev.Kind == b2bua.Ended) {
		parties = []int64{ev.To, ev.From}
	}
	switch ev.Kind {
	case b2bua.Answered:
		for _, ext := range parties {
			l.do(ctx, ev.AccountID, floor.Answer{Ext: ext, CallID: ev.CallID})
		}
	case b2bua.Ended:
		for _, ext := range parties {
			l.do(ctx, ev.AccountID, floor.Hangup{Ext: ext, CallID: ev.CallID, Reason: ev.Reason})
		}
	case b2bua.Held:
		l.do(ctx, ev.AccountID, floor.Hold{Ext: ev.Ext, CallID: ev.CallID, Held: ev.Held})
	case b2bua.Left:
		l.do(ctx, ev.AccountID, floor.Hangup{Ext: ev.Ext, CallID: ev.CallID, Reason: ev.Reason})
	case b2bua.Joined:
		// A transfer target: offered already when it was admitted, unless
		// it took over from a consultation. An outside number (a transfer
		// out) is no extension.
		if ev.Ext == 0 {
			return
		}
		call := callfloor.CallRef{ID: ev.CallID, Direction: callfloor.DirInternalIn, To: ev.Number}
		l.do(ctx, ev.AccountID, floor.Offer{Ext: ev.Ext, Call: call})
		l.do(ctx, ev.AccountID, floor.Answer{Ext: ev.Ext, CallID: ev.CallID})
	}
}

// do sends an input whose refusal only means the floor has nothing to do
// (not an agent, or a call it never had).
func (l *Link) do(ctx context.Context, account int64, in floor.Input) {
	if _, err := l.floor.Do(ctx, account, in); err != nil {
		switch callfloor.ErrorCode(err) {
		case callfloor.ErrNotAgent, callfloor.ErrUnknownCall, callfloor.ErrAgentLoggedOff:
		default:
			l.log.Warn("call event not recorded on the floor", "account", account, "err", err)
		}
	}
}

// record is the journal's record of a call event.
func record(ev b2bua.Event) callfloor.CallRecord {
	step := ev.Kind.String()
	if ev.Kind == b2bua.Held && !ev.Held {
		step = "resumed"
	}
	return callfloor.CallRecord{CallID: ev.CallID, Step: step, From: ev.From, To: ev.To, Number: ev.Number,
		Ext: ev.Ext, Parties: ev.Parties, Reason: ev.Reason, Status: ev.Status, QueueID: ev.QueueID}
}
