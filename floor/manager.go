package floor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/callfloor/callfloor"
)

// Floor runs one Engine per account. Every account's engine is started at
// boot (StartAll) so that its timers run even when nobody touches it.
//
// On a cluster node (FloorConfig.Owned) it runs only the engines of the
// accounts the node owns: Own starts one under the node's ownership
// epoch, Disown stops it, and the Floor never starts one by itself.
type Floor struct {
	fc FloorConfig

	// mu guards the map only: an engine starts (and replays its
	// journal) outside it, so one account starting never holds up
	// another's commands.
	mu      sync.Mutex
	engines map[int64]*slot
	closed  bool
}

// slot is an account's engine, or its start in progress: done is closed
// when the start ended, with e or err.
type slot struct {
	done chan struct{}
	e    *Engine
	err  error
	// reload: the configuration changed during the start (f.mu).
	reload bool
	// epoch the engine appends under (Own); 0 on a single server.
	epoch int64
}

// FloorConfig wires a Floor.
type FloorConfig struct {
	Journal Journal
	Clock   callfloor.TimerClock
	Logger  *slog.Logger
	Publish func([]callfloor.Event)
	// LoadConfig reads an account's configuration; see StoreConfig.
	LoadConfig func(ctx context.Context, accountID int64) (*Config, error)
	// Snapshots and LiveCalls: see EngineConfig.
	Snapshots Snapshots
	LiveCalls func() map[string]bool
	// LostReason: see EngineConfig.
	LostReason string
	// Phones tells which kinds of phone an extension has registered.
	Phones func(accountID, ext int64) Phone
	// RequirePhone: see Config.RequirePhone.
	RequirePhone bool
	// Owned: the node runs an account's engine only while it owns the
	// account (a cluster node). Own starts it under an ownership epoch;
	// the Floor never starts one by itself, answers the commands of the
	// accounts it does not run with callfloor.ErrNotOwner, and drops an
	// engine that stopped (the journal fenced it, or could not be read)
	// instead of restarting it. False: every account's engine runs here,
	// unfenced, and one that stopped is started again by the next call.
	Owned bool
}

// New returns a Floor with no engine started.
func New(fc FloorConfig) *Floor {
	if fc.Logger == nil {
		fc.Logger = slog.New(slog.DiscardHandler)
	}
	return &Floor{fc: fc, engines: map[int64]*slot{}}
}

// StartAll starts the engines of the given accounts.
func (f *Floor) StartAll(ctx context.Context, accountIDs []int64) error {
	for _, id := range accountIDs {
		if _, err := f.Engine(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// Engine returns the account's engine, starting it (and recovering its
// state) if it is not running. Callers for an account that is starting
// wait for that start, and only them; a start that failed is tried again
// by the next caller.
func (f *Floor) Engine(ctx context.Context, accountID int64) (*Engine, error) {
	for {
		f.mu.Lock()
		if f.closed {
			f.mu.Unlock()
			return nil, ErrEngineStopped
		}
		sl := f.engines[accountID]
		if sl == nil && f.fc.Owned {
			f.mu.Unlock()
			return nil, errNotOwner(accountID)
		}
		if sl == nil {
			sl = &slot{done: make(chan struct{})}
			f.engines[accountID] = sl
			f.mu.Unlock()
			return f.start(ctx, accountID, sl)
		}
		f.mu.Unlock()
		select {
		case <-sl.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if sl.err != nil {
			if f.fc.Owned {
				return nil, errNotOwner(accountID)
			}
			if ctx.Err() == nil && (errors.Is(sl.err, context.Canceled) || errors.Is(sl.err, context.DeadlineExceeded)) {
				continue // the caller that started it gave up; this one starts it again
			}
			return nil, sl.err
		}
		if f.fc.Owned && sl.e.Err() != nil {
			// Fenced (or disowned): it decides nothing more, even if its
			// goroutine is still answering what it had decided.
			f.drop(accountID, sl)
			return nil, errNotOwner(accountID)
		}
		select {
		case <-sl.e.Stopped():
			f.drop(accountID, sl)
			if f.fc.Owned {
				f.fc.Logger.Warn("dropped a stopped floor engine; the node does not own the account any more",
					"account", accountID, "err", sl.e.Err())
				return nil, errNotOwner(accountID)
			}
			f.fc.Logger.Warn("restarting a stopped floor engine", "account", accountID)
		default:
			return sl.e, nil
		}
	}
}

// start starts the account's engine into sl, outside the lock.
func (f *Floor) start(ctx context.Context, accountID int64, sl *slot) (*Engine, error) {
	fc := f.fc
	ec := EngineConfig{
		AccountID: accountID, Epoch: sl.epoch, Journal: fc.Journal, Clock: fc.Clock, Logger: fc.Logger, Publish: fc.Publish,
		Snapshots: fc.Snapshots, LiveCalls: fc.LiveCalls, LostReason: fc.LostReason,
		LoadConfig: func(ctx context.Context) (*Config, error) {
			cfg, err := fc.LoadConfig(ctx, accountID)
			if err == nil {
				cfg.RequirePhone = fc.RequirePhone
			}
			return cfg, err
		},
	}
	if fc.Phones != nil {
		ec.Phones = func(ext int64) Phone { return fc.Phones(accountID, ext) }
	}
	sl.e, sl.err = Start(ctx, ec)
	close(sl.done)
	if sl.err != nil {
		f.drop(accountID, sl)
		return nil, sl.err
	}
	f.mu.Lock()
	closed, gone, reload := f.closed, f.engines[accountID] != sl, sl.reload
	f.mu.Unlock()
	if closed {
		// Close ran meanwhile and did not see this engine.
		sl.e.Close()
		return nil, ErrEngineStopped
	}
	if gone {
		// Disown ran meanwhile (it stops the engine too).
		sl.e.stop(errNotOwner(accountID))
		return nil, errNotOwner(accountID)
	}
	if reload {
		if err := sl.e.Reload(ctx); err != nil {
			return nil, err
		}
	}
	return sl.e, nil
}

// Own starts the account's engine under the node's ownership epoch
// (epoch > 0, from TakeOwnership), recovering its state from the
// journal, on a Floor that runs owned accounts only (FloorConfig.Owned).
// Every append of the engine carries the epoch; the first the journal
// refuses as fenced stops it, and the Floor drops it. An engine of the
// account that still runs here is an error: Disown it first.
func (f *Floor) Own(ctx context.Context, accountID, epoch int64) (*Engine, error) {
	if !f.fc.Owned || epoch <= 0 {
		return nil, fmt.Errorf("floor: account %d: Own needs a Floor of owned accounts and an epoch, not %d", accountID, epoch)
	}
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil, ErrEngineStopped
	}
	if old := f.engines[accountID]; old != nil {
		select {
		case <-old.done:
			if old.e != nil {
				select {
				case <-old.e.Stopped():
				default:
					f.mu.Unlock()
					return nil, fmt.Errorf("floor: account %d already runs here, under epoch %d", accountID, old.epoch)
				}
			}
		default:
			f.mu.Unlock()
			return nil, fmt.Errorf("floor: account %d is starting here already, under epoch %d", accountID, old.epoch)
		}
	}
	sl := &slot{done: make(chan struct{}), epoch: epoch}
	f.engines[accountID] = sl
	f.mu.Unlock()
	return f.start(ctx, accountID, sl)
}

// Disown stops the account's engine at once: it decides nothing more,
// and every command from now on fails with callfloor.ErrNotOwner. It
// returns once the batches already decided are journaled (or refused
// as fenced) and answered, so the node can hand the account over.
func (f *Floor) Disown(accountID int64) {
	f.mu.Lock()
	sl := f.engines[accountID]
	if sl != nil {
		delete(f.engines, accountID)
	}
	f.mu.Unlock()
	if sl == nil {
		return
	}
	<-sl.done
	if sl.e != nil {
		sl.e.stop(errNotOwner(accountID))
	}
}

// Runs reports whether the account's engine runs here and decides: on a
// cluster node, whether the node owns the account now. An engine still
// starting, stopped or fenced does not.
func (f *Floor) Runs(accountID int64) bool {
	f.mu.Lock()
	sl := f.engines[accountID]
	f.mu.Unlock()
	if sl == nil {
		return false
	}
	select {
	case <-sl.done:
	default:
		return false
	}
	return sl.e != nil && sl.e.Err() == nil
}

// drop forgets sl if it is still the account's slot.
func (f *Floor) drop(accountID int64, sl *slot) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.engines[accountID] == sl {
		delete(f.engines, accountID)
	}
}

// Do submits an input to the account's engine.
func (f *Floor) Do(ctx context.Context, accountID int64, in Input) ([]callfloor.Event, error) {
	e, err := f.Engine(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return e.Do(ctx, in)
}

// View runs fn on the account's engine goroutine.
func (f *Floor) View(ctx context.Context, accountID int64, fn func(*State, *Config)) error {
	e, err := f.Engine(ctx, accountID)
	if err != nil {
		return err
	}
	return e.View(ctx, fn)
}

// Peek runs fn on the account's engine goroutine without waiting for
// the journal (see Engine.Peek).
func (f *Floor) Peek(ctx context.Context, accountID int64, fn func(*State, *Config)) error {
	e, err := f.Engine(ctx, accountID)
	if err != nil {
		return err
	}
	return e.Peek(ctx, fn)
}

// DoDecided submits an input, hearing its decision before its journal
// write (see Engine.DoDecided).
func (f *Floor) DoDecided(ctx context.Context, accountID int64, in Input, decided func(error)) ([]callfloor.Event, error) {
	e, err := f.Engine(ctx, accountID)
	if err != nil {
		decided(err)
		return nil, err
	}
	return e.DoDecided(ctx, in, decided)
}

// Reload makes a running engine reread its configuration, after an
// administrator changed something.
func (f *Floor) Reload(ctx context.Context, accountID int64) error {
	f.mu.Lock()
	sl := f.engines[accountID]
	if sl != nil {
		select {
		case <-sl.done:
		default:
			sl.reload = true // starting: its starter reloads once started
			f.mu.Unlock()
			return nil
		}
	}
	f.mu.Unlock()
	if sl == nil {
		return nil
	}
	if sl.e == nil {
		return nil
	}
	return sl.e.Reload(ctx)
}

// Close stops every engine.
func (f *Floor) Close() {
	f.mu.Lock()
	f.closed = true
	slots := f.engines
	f.engines = map[int64]*slot{}
	f.mu.Unlock()
	for _, sl := range slots {
		select {
		case <-sl.done:
			if sl.e != nil {
				sl.e.Close()
			}
		default: // starting: its starter closes it
		}
	}
}

// StoreConfig returns a LoadConfig reading the account from st.
func StoreConfig(st callfloor.Store) func(ctx context.Context, accountID int64) (*Config, error) {
	return func(ctx context.Context, accountID int64) (*Config, error) {
		acc, err := st.FindAccountByID(ctx, accountID)
		if err != nil {
			return nil, err
		}
		ctx = callfloor.SystemContext(ctx, accountID)
		exts, err := st.ListExtensions(ctx)
		if err != nil {
			return nil, err
		}
		users, err := st.ListUsers(ctx)
		if err != nil {
			return nil, err
		}
		reasons, err := st.ListPauseReasons(ctx)
		if err != nil {
			return nil, err
		}
		queues, err := st.ListQueues(ctx)
		if err != nil {
			return nil, err
		}
		campaigns, err := st.ListCampaigns(ctx)
		if err != nil {
			return nil, err
		}
		cfg := NewConfig(acc, exts, users, reasons, queues)
		cfg.AddCampaigns(campaigns)
		return cfg, nil
	}
}
