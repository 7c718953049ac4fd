package floor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callfloor/callfloor"
)

// Journal is where an engine writes its events before anything else sees
// them, and what it replays after a restart.
type Journal interface {
	// AppendEvents stores events of one account durably, in one
	// transaction; their Seq follow the account's last one.
	AppendEvents(ctx context.Context, accountID int64, evs []callfloor.Event) error
	// AppendFenced is AppendEvents fenced by an ownership epoch: it
	// fails with callfloor.ErrFenced, writing nothing, unless epoch is
	// the account's current one. An engine under an epoch appends so.
	AppendFenced(ctx context.Context, accountID, epoch int64, evs []callfloor.Event) error
	// ReadEvents returns up to limit events of the account after seq, in
	// order.
	ReadEvents(ctx context.Context, accountID, afterSeq int64, limit int) ([]callfloor.Event, error)
}

// EngineConfig wires an engine.
type EngineConfig struct {
	AccountID int64
	// Epoch is the ownership epoch of a cluster node that owns the
	// account (callfloor.Ownership): every append carries it, and the
	// first one the journal refuses as fenced stops the engine. 0, the
	// single server's, appends unfenced, as always.
	Epoch   int64
	Journal Journal
	Clock   callfloor.TimerClock
	Logger  *slog.Logger
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
	// start every agent line not among them ends (reason LostReason),
	// since calls do not outlive the process that bridged them. Nil:
	// none.
	LiveCalls func() map[string]bool
	// LostReason is the end reason of those lines: "lost" when empty
	// (the server restarted); a cluster node taking an account over says
	// "node_lost" (the node that carried the calls is gone).
	LostReason string
	// Phones tells which kinds of phone an extension has registered now
	// (Ext set); at start, phones the floor remembers but the registrar
	// does not have are marked gone. Nil: left as they are.
	Phones func(ext int64) Phone
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

	// commits carries decided batches, in order, to the committer
	// goroutine, which journals them and only then answers and
	// publishes; committed is closed when it has stopped. failures tells
	// the engine a journal write failed (see commit).
	commits   chan commitJob
	committed chan struct{}
	failures  chan struct{}
	inflight  atomic.Int64

	// reason is why the engine stopped, when not by Close: the journal
	// refused its epoch, or the node gave the account up (stop).
	reason   atomic.Pointer[error]
	fenced   atomic.Bool
	doneOnce sync.Once

	// owned by the goroutine
	cfg      *Config
	state    *State
	broken   bool
	snapSeq  int64
	snapping chan struct{} // a snapshot save in progress
}

type request struct {
	in   Input
	view func(*State, *Config)
	// early answers a view as soon as its batch is decided, before the
	// batch's events are journaled (see Peek).
	early bool
	// decided, if set, hears whether the input was accepted as soon as
	// it is decided (see DoDecided).
	decided func(error)
	reload  bool
	reply   chan result
	// replied: the answer went out early.
	replied bool
}

type result struct {
	evs []callfloor.Event
	err error
}

// commitJob is a decided batch on its way to the journal; resume marks
// the point after which batches were decided on a rebuilt state.
type commitJob struct {
	batch   []request
	results []result
	evs     []callfloor.Event
	snap    *snapshotJob
	resume  bool
}

// snapshotJob is a copy of the state taken with its batch, encoded and
// saved once the batch is journaled.
type snapshotJob struct {
	state *State
	done  chan struct{}
}

// ErrEngineStopped is returned for inputs sent after Close.
var ErrEngineStopped = callfloor.Errorf(callfloor.ErrInternal, "the floor engine is stopping")

// errNotOwner answers the inputs of an account whose floor this node
// does not run (any more).
func errNotOwner(accountID int64) error {
	return callfloor.Errorf(callfloor.ErrNotOwner, "this node does not own account %d", accountID)
}

// errFenced answers the inputs of the batch the journal refused as
// fenced, of every batch decided after it, and every later input.
func errFenced(accountID int64, cause error) error {
	return errors.Join(callfloor.Errorf(callfloor.ErrFenced,
		"another node owns account %d now; the change was not saved", accountID), cause)
}

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
	e := &Engine{ec: ec, reqs: make(chan request, 1024), done: make(chan struct{}), ended: make(chan struct{}),
		commits: make(chan commitJob, 4096), committed: make(chan struct{}), failures: make(chan struct{}, 1)}
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

// Peek is View without waiting for the journal: fn may see the events of
// inputs decided in the same batch whose journal write is still under way
// (and, if that write fails, never happen). It is for routing decisions
// that the floor checks again (the ACD picking whom to offer a call),
// never for showing anyone the state.
func (e *Engine) Peek(ctx context.Context, fn func(*State, *Config)) error {
	_, err := e.call(ctx, request{view: fn, early: true})
	return err
}

// DoDecided is Do that also calls decided once, as soon as the input is
// decided (on the engine goroutine): nil when accepted (its events are
// then being journaled; Do's answer says whether they were), or the
// refusal; or, if it never reaches a decision (the engine stopped, ctx
// ended), with that error. decided must not block. The ACD rings a
// member the floor admitted without waiting for the journal write, and
// withdraws the ring if that write fails.
func (e *Engine) DoDecided(ctx context.Context, in Input, decided func(error)) ([]callfloor.Event, error) {
	var fired atomic.Bool
	once := func(err error) {
		if fired.CompareAndSwap(false, true) {
			decided(err)
		}
	}
	evs, err := e.call(ctx, request{in: in, decided: once})
	if err != nil {
		once(err)
	}
	return evs, err
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
		return nil, e.stopErr()
	case <-e.ended:
		return nil, e.stopErr()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case res := <-r.reply:
		return res.evs, res.err
	case <-e.ended:
		return nil, e.stopErr()
	}
}

// Stopped is closed when the engine goroutine has ended, after Close or
// stop, after a journal failure it could not recover from, or after the
// journal refused its epoch.
func (e *Engine) Stopped() <-chan struct{} { return e.ended }

// Err tells why the engine stopped other than by Close: an error of
// code callfloor.ErrFenced when the journal refused its ownership epoch
// (another node took the account), callfloor.ErrNotOwner when the node
// gave the account up. Nil while it runs, and after Close.
func (e *Engine) Err() error {
	if p := e.reason.Load(); p != nil {
		return *p
	}
	return nil
}

// stopErr answers the inputs that come after the engine stopped.
func (e *Engine) stopErr() error {
	if err := e.Err(); err != nil {
		return err
	}
	return ErrEngineStopped
}

// Close stops the engine after the batch in progress.
func (e *Engine) Close() { e.stop(nil) }

// stop is Close that answers every input not decided yet with reason
// (unless another reason came first). The engine decides nothing more
// from the moment it is called, and it returns once the batches already
// decided are journaled (or refused) and answered.
func (e *Engine) stop(reason error) {
	if reason != nil {
		e.reason.CompareAndSwap(nil, &reason)
	}
	e.doneOnce.Do(func() { close(e.done) })
	<-e.ended
}

// closing reports whether Close or stop was called: the engine decides
// nothing more.
func (e *Engine) closing() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

func (e *Engine) run() {
	go e.commit()
	defer func() {
		close(e.commits)
		<-e.committed
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
			if e.closing() {
				return
			}
			e.process(nil)
			if e.broken {
				return
			}
		case <-e.failures:
			timer.Stop()
			if e.afterFailure(); e.broken {
				return
			}
		case r := <-e.reqs:
			timer.Stop()
			// Nothing is decided once the engine is stopping (select
			// may pick a request over done), and a failed write is
			// dealt with first, so nothing is decided on the state that
			// holds its lost events.
			if e.closing() {
				r.reply <- result{err: e.stopErr()}
				return
			}
			select {
			case <-e.failures:
				if e.afterFailure(); e.broken {
					r.reply <- result{err: e.stopErr()}
					return
				}
			default:
			}
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
				all = append(all, e.syncPhones(now)...)
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
	for i := range batch {
		r := &batch[i]
		if r.decided != nil {
			r.decided(results[i].err)
		}
		if r.view != nil && r.early {
			r.view(e.state, e.cfg)
			r.reply <- results[i]
			r.replied = true
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
	// The views see the state their batch leaves; they are answered,
	// like everyone, once it is journaled.
	for i := range batch {
		if r := batch[i]; !r.replied && r.view != nil {
			r.view(e.state, e.cfg)
		}
	}
	if len(all) == 0 && e.inflight.Load() == 0 {
		for i, r := range batch {
			if !r.replied {
				r.reply <- results[i]
			}
		}
		return
	}
	// Journal in the background: the next batch is decided meanwhile,
	// on the state this one left.
	e.inflight.Add(1)
	e.commits <- commitJob{batch: batch, results: results, evs: all, snap: e.maybeSnapshot()}
}

// errNotSaved answers the inputs of a batch whose events were not
// journaled.
func errNotSaved(err error) error {
	return errors.Join(callfloor.Errorf(callfloor.ErrInternal, "the change could not be saved; try again"), err)
}

// commit journals the decided batches in order, then publishes their
// events and answers their inputs. The batches waiting when it is free
// are journaled together, in one write. When a write fails, those
// batches and every one decided after them (on a state that holds the
// lost events) are answered with an error and not written, until the
// engine has rebuilt its state from the journal (a resume job).
func (e *Engine) commit() {
	defer close(e.committed)
	var failed error
	for job := range e.commits {
		group := []commitJob{job}
	more:
		for len(group) < e.ec.MaxBatch && !group[len(group)-1].resume {
			select {
			case j, ok := <-e.commits:
				if !ok {
					break more
				}
				group = append(group, j)
			default:
				break more
			}
		}
		var evs []callfloor.Event
		for _, j := range group {
			evs = append(evs, j.evs...)
		}
		err := failed
		if err == nil && len(evs) > 0 {
			err = e.append(evs)
			if err != nil {
				failed = err
				if e.ec.Epoch != 0 && callfloor.ErrorCode(err) == callfloor.ErrFenced {
					// Another node owns the account now: this batch and
					// every later one are refused, and the engine stops.
					ferr := errFenced(e.ec.AccountID, err)
					failed = ferr
					e.reason.CompareAndSwap(nil, &ferr)
					e.fenced.Store(true)
					e.ec.Logger.Warn("journal append fenced: another node owns the account; engine stopped",
						"account", e.ec.AccountID, "epoch", e.ec.Epoch, "err", err)
				} else {
					e.ec.Logger.Error("journal append failed; rebuilding the floor", "account", e.ec.AccountID, "err", err)
				}
				select {
				case e.failures <- struct{}{}:
				default:
				}
			}
		}
		if err == nil && len(evs) > 0 {
			e.ec.Publish(evs)
		}
		for _, j := range group {
			if j.resume {
				failed = nil
				continue
			}
			e.answer(j, err)
		}
	}
}

// append journals a group of batches, fenced by the engine's epoch if
// it has one.
func (e *Engine) append(evs []callfloor.Event) error {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	if e.ec.Epoch != 0 {
		return e.ec.Journal.AppendFenced(ctx, e.ec.AccountID, e.ec.Epoch, evs)
	}
	return e.ec.Journal.AppendEvents(ctx, e.ec.AccountID, evs)
}

// answer answers a journaled batch's inputs (err: it was not written)
// and saves its snapshot.
func (e *Engine) answer(job commitJob, err error) {
	for i, r := range job.batch {
		if r.replied {
			continue
		}
		res := job.results[i]
		if err != nil && (res.evs != nil || r.view != nil) {
			if callfloor.ErrorCode(err) == callfloor.ErrFenced {
				res = result{err: err}
			} else {
				res = result{err: errNotSaved(err)}
			}
		}
		r.reply <- res
	}
	if job.snap != nil {
		if err == nil {
			go e.saveSnapshot(job.snap)
		} else {
			close(job.snap.done)
		}
	}
	e.inflight.Add(-1)
}

// afterFailure deals with a failed write: an engine the journal fenced stops
// (another node decides for the account now); any other rebuilds.
func (e *Engine) afterFailure() {
	if e.fenced.Load() || e.closing() {
		e.broken = true
		return
	}
	e.rebuild()
}

// rebuild replaces the state with the journal's after a failed write:
// nothing of the lost batches counts.
func (e *Engine) rebuild() {
	s, err := Recover(context.Background(), e.ec.Journal, e.ec.AccountID, e.cfg.Location, e.ec.Clock.Now())
	if err != nil {
		// The state holds events that were never saved and cannot be
		// rebuilt now: stop, so nobody sees them; Start recovers later.
		e.ec.Logger.Error("rebuilding the floor failed; engine stopped", "account", e.ec.AccountID, "err", err)
		e.broken = true
		return
	}
	e.state = s
	e.snapSeq = s.Seq
	e.commits <- commitJob{resume: true}
}

func (e *Engine) apply(evs []callfloor.Event) {
	for i := range evs {
		evs[i].AccountID = e.ec.AccountID
		evs[i].Seq = e.state.Seq + 1
		e.state.Apply(&evs[i])
	}
}

// syncPhones brings the agents' phone status up to date after the
// configuration changed: an extension that just became an agent may have
// had its phone registered for a while.
func (e *Engine) syncPhones(now time.Time) []callfloor.Event {
	if e.ec.Phones == nil {
		return nil
	}
	var all []callfloor.Event
	for ext, ac := range e.cfg.Agents {
		p := e.ec.Phones(ext)
		p.Ext = ext
		if e.state.Agent(ext).PhoneRegistered == p.ready(ac.PhoneEngine) {
			continue
		}
		if evs, err := Decide(e.cfg, e.state, p, now); err == nil {
			e.apply(evs)
			all = append(all, evs...)
		}
	}
	return all
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
		if e.ec.Phones != nil && a.PhoneRegistered {
			p := e.ec.Phones(a.ExtensionID)
			p.Ext = a.ExtensionID
			if evs, err := Decide(e.cfg, e.state, p, now); err == nil {
				e.apply(evs)
				all = append(all, evs...)
			}
		}
		for _, l := range append([]*Line(nil), a.Lines...) {
			if live[l.Call.ID] {
				continue
			}
			reason := e.ec.LostReason
			if reason == "" {
				reason = "lost"
			}
			evs, err := Decide(e.cfg, e.state, Hangup{Ext: a.ExtensionID, CallID: l.Call.ID, Reason: reason}, now)
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
	e.inflight.Add(1)
	e.commits <- commitJob{evs: all}
}

// maybeSnapshot copies the state every SnapshotEvery events, here on
// the engine goroutine; the copy is encoded and saved in the background
// once the batch that reached it is journaled (encoding 10,000 agents
// takes tens of milliseconds, which the engine does not wait for). A
// save still running skips this one.
func (e *Engine) maybeSnapshot() *snapshotJob {
	if e.ec.Snapshots == nil || e.state.Seq-e.snapSeq < e.ec.SnapshotEvery {
		return nil
	}
	if e.snapping != nil {
		select {
		case <-e.snapping:
		default:
			return nil
		}
	}
	job := &snapshotJob{state: e.state.clone(), done: make(chan struct{})}
	e.snapSeq, e.snapping = job.state.Seq, job.done
	return job
}

// saveSnapshot encodes and saves a snapshot whose events are journaled.
func (e *Engine) saveSnapshot(job *snapshotJob) {
	defer close(job.done)
	body, err := json.Marshal(job.state)
	if err != nil {
		e.ec.Logger.Error("encoding a floor snapshot", "account", e.ec.AccountID, "err", err)
		return
	}
	if err := e.ec.Snapshots.SaveSnapshot(context.Background(), e.ec.AccountID, job.state.Seq, body); err != nil {
		e.ec.Logger.Error("saving a floor snapshot", "account", e.ec.AccountID, "seq", job.state.Seq, "err", err)
	}
}
