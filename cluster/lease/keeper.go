package lease

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/callfloor/callfloor"
)

// Keeper renews one lease in a goroutine of its own until it is stopped
// or the lease is lost.
type Keeper struct {
	l     *Lease
	every time.Duration
	clock callfloor.TimerClock
	renew func(ctx context.Context, l *Lease) error
	lost  func(error)
	log   *slog.Logger

	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

// Keep starts renewing l every TTL/3. When a renewal fails, or none came
// back before the lease's Deadline, lost is called once, at that moment,
// from the keeper's goroutine, with an error of code
// callfloor.ErrLeaseLost (wrapping the cause), and the keeper ends: the
// node must stop deciding for what the lease covered. A renewal still on
// its way when the deadline passes is cut short. ctx ending stops the
// keeper as Stop does. Stop the keeper before releasing the lease.
func (ls *Leases) Keep(ctx context.Context, l *Lease, lost func(error)) *Keeper {
	k := &Keeper{l: l, every: ls.ttl / 3, clock: ls.clock, renew: ls.Renew, lost: lost,
		log: ls.log.With("lease", l.Key, "node", l.Node)}
	k.start(ctx)
	return k
}

func (k *Keeper) start(ctx context.Context) {
	k.stop = make(chan struct{})
	k.done = make(chan struct{})
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-ctx.Done():
			k.halt()
		case <-k.done:
		}
		cancel()
	}()
	go k.run(ctx)
}

// halt closes stop once (Stop and the context may both call it).
func (k *Keeper) halt() { k.stopOnce.Do(func() { close(k.stop) }) }

// Stop ends the renewals, without releasing the lease, and returns once
// the keeper's goroutine has ended: lost is not called after it.
func (k *Keeper) Stop() {
	select {
	case <-k.done:
		return
	default:
	}
	k.halt()
	<-k.done
}

// Done is closed when the keeper has ended, stopped or lost.
func (k *Keeper) Done() <-chan struct{} { return k.done }

// errDeadline is the cause of a loss when no renewal came back in time.
var errDeadline = errors.New("no renewal came back before the lease's deadline")

// run waits for the next renewal or the deadline, whichever comes
// first, and renews, racing the deadline, until one is missed.
func (k *Keeper) run(ctx context.Context) {
	defer close(k.done)
	for {
		sent, deadline := k.l.times()
		now := k.clock.Now()
		renewT := k.clock.NewTimer(sent.Add(k.every).Sub(now))
		deadT := k.clock.NewTimer(deadline.Sub(now))
		select {
		case <-k.stop:
			renewT.Stop()
			deadT.Stop()
			return
		case <-deadT.C():
			renewT.Stop()
			k.lose(errDeadline)
			return
		case <-renewT.C():
		}
		// A late wake (a paused process) may find the deadline gone by.
		if !k.clock.Now().Before(deadline) {
			deadT.Stop()
			k.lose(errDeadline)
			return
		}
		if !k.renewBefore(ctx, deadT) {
			return
		}
	}
}

// renewBefore renews once, racing deadT. It reports whether the keeper
// goes on: not when the renewal failed or came too late (lost is called
// at that moment, before the renewal's goroutine is waited for), nor when
// the keeper was stopped meanwhile.
func (k *Keeper) renewBefore(ctx context.Context, deadT callfloor.Timer) bool {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	res := make(chan error, 1)
	go func() { res <- k.renew(rctx, k.l) }()
	select {
	case err := <-res:
		deadT.Stop()
		if err != nil {
			k.lose(err)
			return false
		}
		return !k.stopped()
	case <-deadT.C():
		cancel()
		k.lose(errDeadline)
		<-res
		return false
	case <-k.stop:
		deadT.Stop()
		cancel()
		<-res
		return false
	}
}

func (k *Keeper) stopped() bool {
	select {
	case <-k.stop:
		return true
	default:
		return false
	}
}

// lose tells the holder, unless it already stopped the keeper.
func (k *Keeper) lose(cause error) {
	if k.stopped() {
		return
	}
	err := cause
	if callfloor.ErrorCode(cause) != callfloor.ErrLeaseLost {
		err = fmt.Errorf("%w: %w", callfloor.Errorf(callfloor.ErrLeaseLost, "lease %s lost", k.l.Key), cause)
	}
	k.log.Warn("lease lost", "err", err)
	k.lost(err)
}
