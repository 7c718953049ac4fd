package floor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/callfloor/callfloor"
)

// Journal is where an engine writes its events before anything else sees
// them, and what it replays after a restart.
type Journal interface {
	// AppendEvents stores events of one account durably, in one
	// transaction; their Seq follow the account's last one.
	AppendEvents(ctx context.Context, accountID int64, evs []callfloor.Event) error
	// ReadEvents returns up to limit events of the account after seq, in
	// order.
	ReadEvents(ctx context.Context, accountID, afterSeq int64, limit int) ([]callfloor.Event, error)
}

// EngineConfig wires an engine.
type EngineConfig struct {
	AccountID int64
	Journal   Journal
	Clock     callfloor.TimerClock
	Logger    *slog.Logger
	// LoadConfig reads the account's configuration (at start and on Reload).
	LoadConfig func(ctx context.Context) (*Config, error)
	// Publish receives every event once it is durable, in order, from the
	// engine goroutine; it must not block for long.
	Publish func([]callfloor.Event)
	// MaxBatch caps how many inputs share one journal transaction.
	MaxBatch int
	// Snapshots, when set, keeps a snapshot of the state every
	// SnapshotEvery events (default 50,000), so a restart replays only the
	// journal after it.
	Snapshots     Snapshots
	SnapshotEvery int64
	// LiveCalls returns the calls the telephony plane still carries; at
	// start every agent line not among them ends (reason "lost"), since
	// calls do not outlive the process that bridged them. Nil: none.
	LiveCalls func() map[string]bool
	// PhoneRegistered tells whether an agent's phone is registered now; at
	// start, phones the floor remembers but the registrar does not have are
	// marked gone. Nil: left as they are.
	PhoneRegistered func(ext int64) bool
}

// Snapshots stores the engine's state snapshots (the stores implement it).
type Snapshots interface {
	SaveSnapshot(ctx context.Context, accountID, seq int64, body []byte) error
	LoadSnapshot(ctx context.Context, accountID int64) (int64, []byte, error)
}

// Engine is the one writer of an account's floor: a goroutine that owns the
// State, takes inputs through a channel, journals the events they cause (many
// inputs to a transaction under load) and only then answers and publishes.
type Engine struct {
	ec    EngineConfig
	reqs  chan request
	done  chan struct{}
	ended chan struct{}

	// owned by the goroutine
	cfg      *Config
	state    *State
	broken   bool
	snapSeq  int64
	snapping chan struct{} // a snapshot save in progress
}

type request struct {
	in     Input
	view   func(*State, *Config)
	reload bool
	reply  chan result
}

type result struct {
	evs []callfloor.Event
	err error
}

// ErrEngineStopped is returned for inputs sent after Close.
var ErrEngineStopped = callfloor.Errorf(callfloor.ErrInternal, "the floor engine is stopping")

// Start rebuilds the account's floor from its journal and starts the
// engine. Timers that fell due while it was stopped fire first.
func Start(ctx context.Context, ec EngineConfig) (*Engine, error) {
	if ec.MaxBatch <= 0 {
		ec.MaxBatch = 512
	}
	if ec.Logger == nil {
		ec.Logger = slog.New(slog.DiscardHandler)
	}
	if ec.Publish == nil {
		ec.Publish = func([]callfloor.Event) {}
	}
	if ec.SnapshotEvery <= 0 {
		ec.SnapshotEvery = 50000
	}
	e := &Engine{ec: ec, reqs: make(chan request, 1024), done: make(chan struct{}), ended: make(chan struct{})}
	cfg, err := ec.LoadConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("floor config of account %d: %w", ec.AccountID, err)
	}
	e.cfg = cfg
	if e.state, err = RecoverFrom(ctx, ec.Snapshots, ec.Journal, ec.AccountID, cfg.Location, ec.Clock.Now()); err != nil {
		return nil, err
	}
	e.snapSeq = e.state.Seq
	go e.run()
	return e, nil
}

// Recover replays an account's journal into a new state. A floor with no
// events starts at now.
func Recover(ctx context.Context, j Journal, accountID int64, loc *time.Location, now time.Time) (*State, error) {
	return RecoverFrom(ctx, nil, j, accountID, loc, now)
}

// RecoverFrom starts from the account's latest snapshot, if snaps has one,
// and replays the journal after it.
func RecoverFrom(ctx context.Context, snaps Snapshots, j Journal, accountID int64, loc *time.Location, now time.Time) (*State, error) {
	var s *State
	after := int64(0)
	if snaps != nil {
		seq, body, err := snaps.LoadSnapshot(ctx, accountID)
		if err != nil {
			return nil, fmt.Errorf("loading the snapshot of account %d: %w", accountID, err)
		}
		if body != nil {
			s = &State{}
			if err := json.Unmarshal(body, s); err != nil || s.Seq != seq {
				return nil, fmt.Errorf("snapshot of account %d at %d is unreadable: %v", accountID, seq, err)
			}
			s.init()
			after = seq
		}
	}
	for {
		evs, err := j.ReadEvents(ctx, accountID, after, 10000)
		if err != nil {
			return nil, fmt.Errorf("replaying the journal of account %d: %w", accountID, err)
		}
		if len(evs) == 0 {
			break
		}
		if s == nil {
			s = NewState(evs[0].At, loc)
		}
		for i := range evs {
			s.Apply(&evs[i])
		}
		after = evs[len(evs)-1].Seq
	}
	if s == nil {
		s = NewState(now, loc)
	}
	return s, nil
}

// Do submits an input and waits until its events are durable.
func (e *Engine) Do(ctx context.Context, in Input) ([]callfloor.Event, error) {
	return e.call(ctx, request{in: in})
}

// View runs fn on the engine goroutine with the current state; fn must
// copy what it needs and not keep the pointers.
func (e *Engine) View(ctx context.Context, fn func(*State, *Config)) error {
	_, err := e.call(ctx, request{view: fn})
	return err
}

// Reload rereads the account's configuration.
func (e *Engine) Reload(ctx context.Context) error {
	_, err := e.call(ctx, request{reload: true})
	return err
}

func (e *Engine) call(ctx context.Context, r request) ([]callfloor.Event, error) {
	r.reply = make(chan result, 1)
	select {
	case e.reqs <- r:
	case <-e.done:
		return nil, ErrEngineStopped
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case res := <-r.reply:
		return res.evs, res.err
	case <-e.ended:
		return nil, ErrEngineStopped
	}
}

// Stopped is closed when the engine goroutine has ended, after Close or
// after a journal failure it could not recover from.
func (e *Engine) Stopped() <-chan struct{} { return e.ended }

// Close stops the engine after the batch in progress.
func (e *Engine) Close() {
	select {
	case <-e.done:
	default:
		close(e.done)
	}
	<-e.ended
}

func (e *Engine) run() {
	defer func() {
		if e.snapping != nil {
			<-e.snapping
		}
		close(e.ended)
	}()
	// Calls that did not survive the restart end; timers that fell due
	// while stopped fire at once.
	if e.endLostCalls(); e.broken {
		return
	}
	if e.process(nil); e.broken {
		return
	}
	for {
		timer := e.ec.Clock.NewTimer(e.state.NextDue().Sub(e.ec.Clock.Now()))
		select {
		case <-e.done:
			timer.Stop()
			return
		case <-timer.C():
			e.process(nil)
			if e.broken {
				return
			}
		case r := <-e.reqs:
			timer.Stop()
			batch := []request{r}
		drain:
			for len(batch) < e.ec.MaxBatch {
				select {
				case r := <-e.reqs:
					batch = append(batch, r)
				default:
					break drain
				}
			}
			e.process(batch)
			if e.broken {
				return
			}
		}
	}
}

// process decides a batch of inputs, fires due timers, journals all their
// events in one transaction, then answers and publishes.
func (e *Engine) process(batch []request) {
	ctx := context.Background()
	now := e.ec.Clock.Now()
	results := make([]result, len(batch))
	var all []callfloor.Event
	for i, r := range batch {
		switch {
		case r.reload:
			cfg, err := e.ec.LoadConfig(ctx)
			if err == nil {
				e.cfg = cfg
			}
			results[i].err = err
		case r.in != nil:
			evs, err := Decide(e.cfg, e.state, r.in, now)
			if err != nil {
				results[i].err = err
				continue
			}
			e.apply(evs)
			results[i].evs = evs
			all = append(all, evs...)
		}
	}
	for !e.state.NextDue().After(now) {
		evs, _ := Decide(e.cfg, e.state, Timer{}, now)
		if len(evs) == 0 {
			break
		}
		e.apply(evs)
		all = append(all, evs...)
	}
	if len(all) > 0 {
		if err := e.ec.Journal.AppendEvents(ctx, e.ec.AccountID, all); err != nil {
			e.failed(batch, results, err)
			return
		}
		e.ec.Publish(all)
		e.maybeSnapshot()
	}
	for i, r := range batch {
		if r.view != nil {
			r.view(e.state, e.cfg)
		}
		r.reply <- results[i]
	}
}

func (e *Engine) apply(evs []callfloor.Event) {
	for i := range evs {
		evs[i].AccountID = e.ec.AccountID
		evs[i].Seq = e.state.Seq + 1
		e.state.Apply(&evs[i])
	}
}

// failed handles a journal write that did not happen: nothing of the batch
// counts, so the state is rebuilt from the journal and every input of the
// batch that caused events is answered with an error.
func (e *Engine) failed(batch []request, results []result, err error) {
	e.ec.Logger.Error("journal append failed; rebuilding the floor", "account", e.ec.AccountID, "err", err)
	s, rerr := Recover(context.Background(), e.ec.Journal, e.ec.AccountID, e.cfg.Location, e.ec.Clock.Now())
	if rerr != nil {
		// The state holds events that were never saved and cannot be
		// rebuilt now: stop, so nobody sees them; Start recovers later.
		e.ec.Logger.Error("rebuilding the floor failed; engine stopped", "account", e.ec.AccountID, "err", rerr)
		e.broken = true
	} else {
		e.state = s
	}
	for i, r := range batch {
		if results[i].evs != nil {
			results[i] = result{err: errors.Join(callfloor.Errorf(callfloor.ErrInternal, "the change could not be saved; try again"), err)}
		}
		if r.view != nil {
			r.view(e.state, e.cfg)
		}
		r.reply <- results[i]
	}
}

// endLostCalls hangs up every line the telephony plane no longer carries
// and marks phones that are no longer registered.
func (e *Engine) endLostCalls() {
	live := map[string]bool{}
	if e.ec.LiveCalls != nil {
		live = e.ec.LiveCalls()
	}
	var all []callfloor.Event
	now := e.ec.Clock.Now()
	for _, a := range e.state.sortedAgents() {
		if e.ec.PhoneRegistered != nil && a.PhoneRegistered && !e.ec.PhoneRegistered(a.ExtensionID) {
			if evs, err := Decide(e.cfg, e.state, Phone{Ext: a.ExtensionID}, now); err == nil {
				e.apply(evs)
				all = append(all, evs...)
			}
		}
		for _, l := range append([]*Line(nil), a.Lines...) {
			if live[l.Call.ID] {
				continue
			}
			evs, err := Decide(e.cfg, e.state, Hangup{Ext: a.ExtensionID, CallID: l.Call.ID, Reason: "lost"}, now)
			if err != nil {
				continue
			}
			e.apply(evs)
			all = append(all, evs...)
		}
	}
	if len(all) == 0 {
		return
	}
	if err := e.ec.Journal.AppendEvents(context.Background(), e.ec.AccountID, all); err != nil {
		e.failed(nil, nil, err)
		return
	}
	e.ec.Publish(all)
}

// maybeSnapshot saves a snapshot every SnapshotEvery events. The state is
// encoded here, on the engine goroutine, and saved in the background; a
// save still running skips this one.
func (e *Engine) maybeSnapshot() {
	if e.ec.Snapshots == nil || e.state.Seq-e.snapSeq < e.ec.SnapshotEvery {
		return
	}
	if e.snapping != nil {
		select {
		case <-e.snapping:
		default:
			return
		}
	}
	body, err := json.Marshal(e.state)
	if err != nil {
		e.ec.Logger.Error("encoding a floor snapshot", "account", e.ec.AccountID, "err", err)
		return
	}
	seq, done := e.state.Seq, make(chan struct{})
	e.snapSeq, e.snapping = seq, done
	go func() {
		defer close(done)
		if err := e.ec.Snapshots.SaveSnapshot(context.Background(), e.ec.AccountID, seq, body); err != nil {
			e.ec.Logger.Error("saving a floor snapshot", "account", e.ec.AccountID, "seq", seq, "err", err)
		}
	}()
}
