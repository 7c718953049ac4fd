package dispatch

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/acd"
	"github.com/callfloor/callfloor/floor"
	"github.com/callfloor/callfloor/sip/b2bua"
)

// MissedCallsReason is the name of the system pause an agent gets after
// missing a queue's count of offers in a row.
const MissedCallsReason = "Missed calls"

// maxOverflowHops stops callers bouncing between queues that overflow
// into each other: after this many moves they are hung up.
const maxOverflowHops = 3

// Floor is the floor engine, as the dispatcher uses it.
type Floor interface {
	Do(ctx context.Context, accountID int64, in floor.Input) ([]callfloor.Event, error)
	View(ctx context.Context, accountID int64, fn func(*floor.State, *floor.Config)) error
	// Peek and DoDecided do not wait for the journal: routing reads the
	// floor with Peek, and rings a member once the floor decided the
	// offer; DoDecided calls decided exactly once (see floor.Engine).
	Peek(ctx context.Context, accountID int64, fn func(*floor.State, *floor.Config)) error
	DoDecided(ctx context.Context, accountID int64, in floor.Input, decided func(error)) ([]callfloor.Event, error)
}

// Phones is the telephony plane holding the waiting callers (the
// B2BUA).
type Phones interface {
	Ring(ctx context.Context, account int64, callID string, ext *callfloor.Extension, o b2bua.RingOptions) error
	Announce(account int64, callID string, position int) error
	MoveQueue(account int64, callID string, queueID int64) error
	Drop(ctx context.Context, account int64, callID, reason string) error
	OnCall(account, ext int64) bool
}

// Journal reads the floor's journal. The queue steps are call records,
// which belong to no extension: they are read as extension 0.
type Journal interface {
	ReadExtensionEvents(ctx context.Context, accountID, extensionID int64, from, to time.Time) ([]callfloor.Event, error)
}

// Config wires a Dispatcher. Floor and Phones are required.
type Config struct {
	Floor  Floor
	Phones Phones
	// Registered tells whether an extension's phone is registered (for
	// participants; the floor knows the agents'). nil: always.
	Registered func(account, ext int64) bool
	// Extension finds an extension by ID (an overflow target).
	Extension func(ctx context.Context, account, id int64) (*callfloor.Extension, error)
	// Journal, if set, is read when an account's ACD starts, to take up
	// the day's figures from the queue steps journaled before a restart.
	Journal Journal
	// Publish sends queue.stats events; nil drops them.
	Publish func([]callfloor.Event)
	Clock   callfloor.Clock
	Logger  *slog.Logger
	// Rand draws members for the random strategy.
	Rand func(n int) int
	// Tick is how often limits and announcements are checked (250 ms);
	// AnnounceEvery how often a waiting caller hears their position
	// again (30 s); StatsEvery how often the figures of a queue with
	// callers waiting are published even when nothing else changed (5 s).
	Tick, AnnounceEvery, StatsEvery time.Duration
}

// Dispatcher runs the ACD of every account. Create it with New, feed it
// with Enqueue (the B2BUA's QueueRouter), OnCallEvent (its call events)
// and OnFloorEvents (the floor's), and Close it.
type Dispatcher struct {
	cfg Config
	log *slog.Logger

	mu       sync.Mutex
	accounts map[int64]*account
	closed   bool

	// done stops the workers and the ticker; ctx is canceled with it, so
	// rings and floor calls in flight end. stopped counts every goroutine
	// of the ACD (ticker, workers, offers, overflows), journaled counts
	// the journal writers, which Close stops last.
	done     chan struct{}
	ctx      context.Context
	cancel   context.CancelFunc
	stopped  sync.WaitGroup
	journals sync.WaitGroup
}

// account is one account's ACD: its waiting callers, the members being
// rung, and the queues' memory and figures. Guarded by Dispatcher.mu,
// except picker, which only the account's worker uses.
type account struct {
	id     int64
	kick   chan struct{}
	picker *acd.Picker
	// waiting holds every caller of the account by call ID; queues
	// orders them per queue by arrival.
	waiting map[string]*waiter
	queues  map[int64]*queueState
	// ringing is the members being rung now, with the call.
	ringing map[int64]string
	// missed counts each agent's offers missed in a row.
	missed map[int64]int
	// freeSince is when a participant last finished a call; refused
	// until when a member the floor refused is left out.
	freeSince map[int64]time.Time
	refused   map[int64]time.Time
	loc       *time.Location
	// created is when this ACD started; restored is closed once the
	// figures journaled before then are taken up.
	created  time.Time
	restored chan struct{}
	// steps are the queue steps to journal, in order, by the account's
	// journal writer; wrote wakes it, and stop ends it once they are
	// written.
	steps []callfloor.CallRecord
	wrote chan struct{}
	stop  chan struct{}
	// settles asks the worker for a pass of its own (see Settle).
	settles chan chan struct{}
}

// waiter is a caller waiting in a queue.
type waiter struct {
	w     b2bua.Waiting
	queue int64
	// since is when the caller entered the current queue (its limits
	// count from there); w.At when they called.
	since time.Time
	// offers are the members ringing for the call, with how to stop
	// each; tried the members who missed it already.
	offers map[int64]context.CancelFunc
	tried  map[int64]bool
	hops   int
	// announced is when the caller last heard their position.
	announced time.Time
	// leaving: overflowing to an extension, or connected; no more
	// offers.
	leaving bool
}

// New returns a running Dispatcher.
func New(cfg Config) *Dispatcher {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = callfloor.SystemClock{}
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.IntN
	}
	if cfg.Tick <= 0 {
		cfg.Tick = 250 * time.Millisecond
	}
	if cfg.AnnounceEvery <= 0 {
		cfg.AnnounceEvery = 30 * time.Second
	}
	if cfg.StatsEvery <= 0 {
		cfg.StatsEvery = 5 * time.Second
	}
	d := &Dispatcher{cfg: cfg, log: cfg.Logger, accounts: map[int64]*account{}, done: make(chan struct{})}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	d.stopped.Add(1)
	go d.ticker()
	return d
}

// spawn runs f on a goroutine Close waits for. Only the ACD's own
// goroutines call it (the worker, an offer), which Close waits for too,
// so the wait group is never at zero meanwhile.
func (d *Dispatcher) spawn(f func()) {
	d.stopped.Add(1)
	go func() {
		defer d.stopped.Done()
		f()
	}()
}

// Close stops the ACD and returns once every goroutine of it has ended:
// members being rung stop ringing, and the queue steps decided so far are
// journaled, in order, before it returns (a step recorded later is
// dropped, and logged). Callers still waiting are left to the B2BUA,
// which hangs them up when it closes; close the B2BUA first to have
// their abandoned steps journaled.
func (d *Dispatcher) Close() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed = true
	for _, a := range d.accounts {
		for _, w := range a.waiting {
			for _, stop := range w.offers {
				stop()
			}
		}
	}
	d.mu.Unlock()
	close(d.done)
	d.cancel()
	d.stopped.Wait()
	d.mu.Lock()
	for _, a := range d.accounts {
		close(a.stop)
	}
	d.mu.Unlock()
	d.journals.Wait()
}

// account returns the account's ACD, starting its worker. d.mu is held.
func (d *Dispatcher) account(id int64) *account {
	if a := d.accounts[id]; a != nil {
		return a
	}
	a := &account{id: id, kick: make(chan struct{}, 1), picker: acd.NewPicker(d.cfg.Rand),
		waiting: map[string]*waiter{}, queues: map[int64]*queueState{}, ringing: map[int64]string{},
		missed: map[int64]int{}, freeSince: map[int64]time.Time{}, refused: map[int64]time.Time{}, loc: time.UTC,
		created: d.cfg.Clock.Now(), restored: make(chan struct{}),
		wrote: make(chan struct{}, 1), stop: make(chan struct{}), settles: make(chan chan struct{})}
	d.accounts[id] = a
	d.stopped.Add(1)
	go d.work(a)
	d.journals.Add(1)
	go d.writeSteps(a)
	return a
}

// kick wakes the account's worker; it never blocks.
func (a *account) poke() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// ticker wakes every worker with callers waiting, each Tick of the
// configured clock: a test's fake clock ticks only when the test moves
// it on.
func (d *Dispatcher) ticker() {
	defer d.stopped.Done()
	tick := tickerOf(d.cfg.Clock, d.cfg.Tick)
	defer tick.stop()
	for {
		select {
		case <-d.done:
			return
		case <-tick.c():
		}
		d.mu.Lock()
		for _, a := range d.accounts {
			if len(a.waiting) > 0 {
				a.poke()
			}
		}
		d.mu.Unlock()
	}
}

// work runs the account's ACD each time it is woken.
func (d *Dispatcher) work(a *account) {
	defer d.stopped.Done()
	d.restore(context.Background(), a)
	close(a.restored)
	for {
		var settled chan struct{}
		select {
		case <-d.done:
			return
		case <-a.kick:
		case settled = <-a.settles:
		}
		d.service(d.ctx, a)
		if settled != nil {
			close(settled)
		}
	}
}

// Settle runs one round of the account's ACD from now and returns when
// it is over (limits applied, announcements made, offers started), or
// when ctx ends. Tests use it after moving a fake clock on, to check
// what a round did and did not do without waiting.
func (d *Dispatcher) Settle(ctx context.Context, account int64) error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return errors.New("dispatch: closed")
	}
	a := d.account(account)
	d.mu.Unlock()
	done := make(chan struct{})
	select {
	case a.settles <- done:
	case <-ctx.Done():
		return ctx.Err()
	case <-d.done:
		return errors.New("dispatch: closed")
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// QueueByNumber finds the account's queue with number (the B2BUA's
// QueueRouter).
func (d *Dispatcher) QueueByNumber(ctx context.Context, accountID int64, number string) (int64, error) {
	var id int64
	err := d.cfg.Floor.View(ctx, accountID, func(_ *floor.State, cfg *floor.Config) { id = cfg.QueueNumbers[number] })
	return id, err
}

// Enqueue takes a caller the B2BUA answered for a queue (its
// QueueRouter).
func (d *Dispatcher) Enqueue(w b2bua.Waiting) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	a := d.account(w.AccountID)
	wt := &waiter{w: w, queue: w.QueueID, since: w.At, offers: map[int64]context.CancelFunc{}, tried: map[int64]bool{}}
	a.waiting[w.CallID] = wt
	q := a.queue(w.QueueID)
	q.line = append(q.line, wt)
	q.changed = true
	a.poke()
}

// OnCallEvent takes the B2BUA's call events: a waiting caller who hangs
// up is abandoned; any call ending may free a participant.
func (d *Dispatcher) OnCallEvent(ev b2bua.Event) {
	if ev.Kind != b2bua.Ended && ev.Kind != b2bua.Answered {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	a := d.accounts[ev.AccountID]
	if a == nil {
		return
	}
	if ev.Kind == b2bua.Answered {
		// A member took the call: its ring settles the figures; the
		// caller is no longer one who can abandon.
		if w := a.waiting[ev.CallID]; w != nil {
			w.leaving = true
		}
		return
	}
	now := d.cfg.Clock.Now()
	for _, p := range ev.Parties {
		a.freeSince[p] = now
	}
	if w := a.waiting[ev.CallID]; w != nil {
		d.leave(a, w)
		if !w.leaving {
			wait := now.Sub(w.since)
			a.queue(w.queue).abandoned(wait)
			d.record(a.id, w, callfloor.CallRecord{Step: "abandoned", Reason: ev.Reason}, now)
		}
	}
	if len(a.waiting) > 0 {
		a.poke() // a participant may be free for them now
	}
}

// OnFloorEvents takes the floor's published events: an agent becoming
// free (idle, unpaused, logged in, phone back) wakes the account's ACD;
// a manual call out, or a transfer out, is counted against its outbound
// queue.
func (d *Dispatcher) OnFloorEvents(evs []callfloor.Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, ev := range evs {
		if ev.Type == callfloor.EventDialRequested && ev.Call != nil && ev.Call.QueueID != 0 && !d.closed {
			d.countOutbound(ev.AccountID, ev.Call.QueueID, ev.At)
			// Journaled as a queue step too, so a restart takes the
			// day's count up again (see restore).
			d.journal(ev.AccountID, callfloor.CallRecord{CallID: ev.Call.ID, Step: "outbound",
				QueueID: ev.Call.QueueID, Ext: ev.ExtensionID, Number: ev.Call.To})
			continue
		}
		if r := ev.Record; r != nil && r.Step == "outbound" && r.Reason == floor.OutboundTransfer && r.QueueID != 0 && !d.closed {
			d.countOutbound(ev.AccountID, r.QueueID, ev.At) // the floor journaled this step itself
			continue
		}
		if ev.State != callfloor.StateIdle && ev.Type != callfloor.EventParticipantResume {
			continue
		}
		if a := d.accounts[ev.AccountID]; a != nil && len(a.waiting) > 0 {
			a.poke()
		}
	}
}

// countOutbound counts a call out at at against queue. d.mu is held.
func (d *Dispatcher) countOutbound(account, queue int64, at time.Time) {
	a := d.account(account)
	q := a.queue(queue)
	if !q.dayEnd.IsZero() { // else the first round starts the day, knowing the time zone
		q.rollDay(at, a.loc)
	}
	q.outbound++
	q.changed = true
	a.poke()
}

// leave takes a caller out of their queue and stops their offers. d.mu
// is held.
func (d *Dispatcher) leave(a *account, w *waiter) {
	delete(a.waiting, w.w.CallID)
	q := a.queue(w.queue)
	for i, o := range q.line {
		if o == w {
			q.line = append(q.line[:i], q.line[i+1:]...)
			break
		}
	}
	q.changed = true
	for _, stop := range w.offers {
		stop()
	}
}

// record journals a queue step of a waiting caller's call. d.mu is
// held (it reads the waiter); the journal write runs on its own.
func (d *Dispatcher) record(account int64, w *waiter, r callfloor.CallRecord, now time.Time) {
	r.CallID, r.QueueID, r.Number = w.w.CallID, w.queue, w.w.Number
	r.WaitMillis = now.Sub(w.since).Milliseconds()
	if w.w.Caller != nil {
		r.From = w.w.Caller.ID
	}
	d.journal(account, r)
}

// journal queues a queue step, as a call record, for the account's
// journal writer, which writes the account's steps one at a time in the
// order they were decided. d.mu is held.
func (d *Dispatcher) journal(account int64, r callfloor.CallRecord) {
	a := d.accounts[account]
	if a == nil && !d.closed {
		a = d.account(account)
	}
	if a == nil || isClosed(a.stop) {
		d.log.Warn("queue step not journaled: the ACD is closed", "account", account, "call", r.CallID, "step", r.Step)
		return
	}
	a.steps = append(a.steps, r)
	select {
	case a.wrote <- struct{}{}:
	default:
	}
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// writeSteps is an account's journal writer: it writes the queued steps
// in order until Close, then what is left.
func (d *Dispatcher) writeSteps(a *account) {
	defer d.journals.Done()
	for {
		stopping := false
		select {
		case <-a.wrote:
		case <-a.stop:
			stopping = true
		}
		d.mu.Lock()
		steps := a.steps
		a.steps = nil
		d.mu.Unlock()
		for _, r := range steps {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if _, err := d.cfg.Floor.Do(ctx, a.id, floor.Record{Call: r}); err != nil {
				d.log.Warn("queue step not journaled", "account", a.id, "call", r.CallID, "step", r.Step, "err", err)
			}
			cancel()
		}
		if stopping {
			return
		}
	}
}
