package floor

import (
	"context"
	"log/slog"
	"sync"

	"github.com/callfloor/callfloor"
)

// Floor runs one Engine per account. Every account's engine is started at
// boot (StartAll) so that its timers run even when nobody touches it.
type Floor struct {
	fc FloorConfig

	mu      sync.Mutex
	engines map[int64]*Engine
	closed  bool
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
	// PhoneRegistered tells whether an extension's phone is registered.
	PhoneRegistered func(accountID, ext int64) bool
	// RequirePhone: see Config.RequirePhone.
	RequirePhone bool
}

// New returns a Floor with no engine started.
func New(fc FloorConfig) *Floor {
	if fc.Logger == nil {
		fc.Logger = slog.New(slog.DiscardHandler)
	}
	return &Floor{fc: fc, engines: map[int64]*Engine{}}
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
// state) if it is not running.
func (f *Floor) Engine(ctx context.Context, accountID int64) (*Engine, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, ErrEngineStopped
	}
	if e := f.engines[accountID]; e != nil {
		select {
		case <-e.Stopped():
			f.fc.Logger.Warn("restarting a stopped floor engine", "account", accountID)
		default:
			return e, nil
		}
	}
	fc := f.fc
	ec := EngineConfig{
		AccountID: accountID, Journal: fc.Journal, Clock: fc.Clock, Logger: fc.Logger, Publish: fc.Publish,
		Snapshots: fc.Snapshots, LiveCalls: fc.LiveCalls,
		LoadConfig: func(ctx context.Context) (*Config, error) {
			cfg, err := fc.LoadConfig(ctx, accountID)
			if err == nil {
				cfg.RequirePhone = fc.RequirePhone
			}
			return cfg, err
		},
	}
	if fc.PhoneRegistered != nil {
		ec.PhoneRegistered = func(ext int64) bool { return fc.PhoneRegistered(accountID, ext) }
	}
	e, err := Start(ctx, ec)
	if err != nil {
		return nil, err
	}
	f.engines[accountID] = e
	return e, nil
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
	e := f.engines[accountID]
	f.mu.Unlock()
	if e == nil {
		return nil
	}
	return e.Reload(ctx)
}

// Close stops every engine.
func (f *Floor) Close() {
	f.mu.Lock()
	f.closed = true
	engines := f.engines
	f.engines = map[int64]*Engine{}
	f.mu.Unlock()
	for _, e := range engines {
		e.Close()
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
		return NewConfig(acc, exts, users, reasons, queues), nil
	}
}
