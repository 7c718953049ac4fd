// Package owner runs, on one node of a cluster, the floors of the
// accounts the node owns.
//
// Own takes an account in three steps, in this order: it acquires the
// account's lease (cluster/lease) and keeps it renewed, takes the
// journal's next ownership epoch for the node (TakeOwnership), and starts
// the account's engine on the Floor under that epoch, which recovers the
// account's state from the journal. From then on the engine decides for
// the account until one of these ends it:
//
//   - the lease's keeper reports the lease lost: the engine stops at
//     once (the keeper's deadline comes before any other node could
//     acquire the lease), and nothing is released, since nothing is held;
//   - the journal refuses one of the engine's appends as fenced (another
//     node took a later epoch): the engine has stopped already; the
//     manager stops renewing the lease and releases it, under its
//     revision, so a lease another node holds is left alone;
//   - Disown, a clean hand-over: the engine stops deciding, its last
//     appends finish, then the lease is released.
//
// Which node should own which account (placement, rebalancing,
// draining) and forwarding commands to the owner are not here.
package owner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/cluster/lease"
	"github.com/callfloor/callfloor/floor"
)

// Ownerships hands out ownership epochs (the stores implement it).
type Ownerships interface {
	TakeOwnership(ctx context.Context, accountID int64, node string) (callfloor.Ownership, error)
}

// Config wires a Manager.
type Config struct {
	// Node is this node's name, written in the leases and the journal's
	// owner rows.
	Node   string
	Leases *lease.Leases
	Store  Ownerships
	// Floor must run owned accounts only (floor.FloorConfig.Owned).
	Floor *floor.Floor
	// Logger; discarded when nil.
	Logger *slog.Logger
}

// Manager owns accounts for one node.
type Manager struct {
	cfg Config
	log *slog.Logger

	mu       sync.Mutex
	accounts map[int64]*owned
	closed   bool
}

// owned is an account the node owns, or is taking, or giving up.
type owned struct {
	id int64
	// ready is closed when Own finished, with the fields below set
	// (or failed).
	ready  chan struct{}
	own    callfloor.Ownership
	lease  *lease.Lease
	keeper *lease.Keeper
	engine *floor.Engine

	// ending (m.mu): the ownership is being given up; whoever set it
	// does so, once. lost (m.mu): the lease was lost.
	ending bool
	lost   bool
	// quit ends the engine's watch (end).
	quit     chan struct{}
	quitOnce sync.Once
	// gone is closed when the manager forgot the account (forget).
	gone chan struct{}
}

// end closes quit, once.
func (o *owned) end() { o.quitOnce.Do(func() { close(o.quit) }) }

// New returns a Manager that owns no account yet.
func New(cfg Config) *Manager {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Manager{cfg: cfg, log: cfg.Logger.With("node", cfg.Node), accounts: map[int64]*owned{}}
}

// releaseTimeout bounds the release of a lease the manager gives up by
// itself (after a fence); the lease expires anyway.
const releaseTimeout = 5 * time.Second

// Own makes the node the account's owner: lease, epoch, then engine. It
// fails with callfloor.ErrLeaseHeld while another node holds the lease,
// and with callfloor.ErrLeaseLost when the lease was lost before the
// engine started. An account the node owns, or is taking, is an error
// of code callfloor.ErrInUse; one it is giving up is waited for.
func (m *Manager) Own(ctx context.Context, accountID int64) (callfloor.Ownership, error) {
	m.mu.Lock()
	for {
		if m.closed {
			m.mu.Unlock()
			return callfloor.Ownership{}, floor.ErrEngineStopped
		}
		old := m.accounts[accountID]
		if old == nil {
			break
		}
		if !old.ending {
			m.mu.Unlock()
			return callfloor.Ownership{}, callfloor.Errorf(callfloor.ErrInUse, "node %s owns account %d, or is taking it", m.cfg.Node, accountID)
		}
		m.mu.Unlock()
		select {
		case <-old.gone:
		case <-ctx.Done():
			return callfloor.Ownership{}, ctx.Err()
		}
		m.mu.Lock()
	}
	o := &owned{id: accountID, ready: make(chan struct{}), quit: make(chan struct{}), gone: make(chan struct{})}
	m.accounts[accountID] = o
	m.mu.Unlock()

	err := m.take(ctx, o)
	m.mu.Lock()
	lost := o.lost
	if lost {
		err = errors.Join(callfloor.Errorf(callfloor.ErrLeaseLost, "the lease of account %d was lost while the node took it", accountID), err)
	}
	if err != nil {
		o.ending = true
	}
	m.mu.Unlock()
	close(o.ready)
	if err != nil {
		m.undo(o, lost)
		return callfloor.Ownership{}, err
	}
	m.log.Info("account owned", "account", accountID, "epoch", o.own.Epoch)
	go m.watch(o)
	return o.own, nil
}

// take acquires the lease and keeps it, takes the epoch and starts the
// engine, filling o as it goes.
func (m *Manager) take(ctx context.Context, o *owned) error {
	l, err := m.cfg.Leases.Acquire(ctx, lease.AccountKey(o.id), m.cfg.Node)
	if err != nil {
		return err
	}
	o.lease = l
	// The keeper outlives this call's context.
	o.keeper = m.cfg.Leases.Keep(context.WithoutCancel(ctx), l, func(err error) { m.lose(o, err) })
	if o.own, err = m.cfg.Store.TakeOwnership(ctx, o.id, m.cfg.Node); err != nil {
		return fmt.Errorf("owner: taking the ownership epoch of account %d: %w", o.id, err)
	}
	if o.engine, err = m.cfg.Floor.Own(ctx, o.id, o.own.Epoch); err != nil {
		return fmt.Errorf("owner: starting the floor of account %d under epoch %d: %w", o.id, o.own.Epoch, err)
	}
	return nil
}

// undo gives up what a failed Own took: the engine if it started, the
// keeper, and the lease unless it was lost.
func (m *Manager) undo(o *owned, lost bool) {
	m.cfg.Floor.Disown(o.id)
	if o.keeper != nil {
		o.keeper.Stop()
	}
	if o.lease != nil && !lost {
		ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
		m.release(ctx, o)
		cancel()
	}
	m.forget(o)
}

// lose is the keeper's report that the lease is lost: the engine stops
// at once. It runs on the keeper's goroutine, which ends after it.
func (m *Manager) lose(o *owned, err error) {
	m.mu.Lock()
	o.lost = true
	claimed := !o.ending
	o.ending = true
	m.mu.Unlock()
	if !claimed {
		return // Disown or a fence is giving it up already
	}
	m.log.Warn("account lease lost; the floor stops deciding for it", "account", o.id, "err", err)
	// During Own, Disown stops an engine being started, and Own, which
	// sees lost unless its engine had started (and is stopped here),
	// stops one it starts after this. Own does not wait for this
	// goroutine before ready: its undo stops the keeper after.
	m.cfg.Floor.Disown(o.id)
	<-o.ready
	o.end()
	m.forget(o)
}

// watch gives the account up when its engine stops by itself: the
// journal fenced it, or could not be read to rebuild it.
func (m *Manager) watch(o *owned) {
	select {
	case <-o.quit:
		return
	case <-o.engine.Stopped():
	}
	m.mu.Lock()
	claimed := !o.ending
	o.ending = true
	m.mu.Unlock()
	if !claimed {
		return
	}
	m.log.Warn("account's floor stopped; giving the account up", "account", o.id, "epoch", o.own.Epoch, "err", o.engine.Err())
	o.keeper.Stop()
	m.cfg.Floor.Disown(o.id)
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	m.release(ctx, o)
	m.forget(o)
}

// Disown hands the account over cleanly: the engine stops deciding, the
// appends it decided finish, then the keeper stops and the lease is
// released, so another node can acquire it at once. An account the node
// does not own (or is giving up already) is not an error.
func (m *Manager) Disown(ctx context.Context, accountID int64) error {
	m.mu.Lock()
	o := m.accounts[accountID]
	m.mu.Unlock()
	if o == nil {
		return nil
	}
	select {
	case <-o.ready:
	case <-ctx.Done():
		return ctx.Err()
	}
	m.mu.Lock()
	claimed := !o.ending
	o.ending = true
	m.mu.Unlock()
	if !claimed {
		return nil
	}
	o.end()
	m.cfg.Floor.Disown(accountID)
	o.keeper.Stop()
	err := m.release(ctx, o)
	m.forget(o)
	m.log.Info("account disowned", "account", accountID, "epoch", o.own.Epoch)
	return err
}

// release deletes the lease under its revision: a lease that expired or
// another node took is left alone, and is not an error.
func (m *Manager) release(ctx context.Context, o *owned) error {
	err := m.cfg.Leases.Release(ctx, o.lease)
	if callfloor.ErrorCode(err) == callfloor.ErrLeaseLost {
		return nil
	}
	if err != nil {
		m.log.Warn("releasing an account's lease failed; it expires by itself", "account", o.id, "err", err)
	}
	return err
}

func (m *Manager) forget(o *owned) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.accounts[o.id] == o {
		delete(m.accounts, o.id)
		close(o.gone)
	}
}

// Owned returns the accounts the node owns now, by account.
func (m *Manager) Owned() []callfloor.Ownership {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []callfloor.Ownership
	for _, o := range m.accounts {
		select {
		case <-o.ready:
			if !o.ending {
				out = append(out, o.own)
			}
		default:
		}
	}
	slices.SortFunc(out, func(a, b callfloor.Ownership) int { return int(a.AccountID - b.AccountID) })
	return out
}

// Close disowns every account (see Disown); Own fails after it.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	m.closed = true
	ids := make([]int64, 0, len(m.accounts))
	for id := range m.accounts {
		ids = append(ids, id)
	}
	m.mu.Unlock()
	var errs []error
	for _, id := range ids {
		if err := m.Disown(ctx, id); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
