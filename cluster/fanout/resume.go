package fanout

import (
	"context"
	"errors"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/bus"
)

// ResumeConfig bounds Resume.
type ResumeConfig struct {
	// Wait is how long Resume waits for the hub to reach the floor's
	// sequence number (this node's receiver may be a few batches
	// behind the owner); 2s when 0.
	Wait time.Duration
	// Max is the most events Resume reads from the journal; a client
	// further behind gets bus.ErrTooOld and a snapshot. 10,000 when 0.
	Max int64
}

// Resume subscribes a client that knows the account's events up to
// after, when the floor is at current (see bus.Hub.Subscribe), on a node
// whose hub may not keep them: the hub started later than the client's
// last event, or the client comes from another node. What the hub keeps
// it gives as Subscribe does; what it does not is read from the journal
// and returned as missed, to be sent to the client before the
// subscription's batches. missed runs from after+1 to the seq the
// subscription starts after; the hub never sends the subscription an
// event of those.
//
// It fails with bus.ErrTooOld, as Subscribe does, when the client is
// more than Max events behind, when the hub has not reached current
// within Wait, or when the hub's ring moved past what was read meanwhile:
// the client takes a snapshot then.
func Resume(ctx context.Context, hub *bus.Hub, j Journal, cfg ResumeConfig, accountID, after, current int64) (missed []callfloor.Event, sub *bus.Subscription, err error) {
	if cfg.Wait <= 0 {
		cfg.Wait = 2 * time.Second
	}
	if cfg.Max <= 0 {
		cfg.Max = 10000
	}
	sub, err = hub.Subscribe(accountID, after, current)
	if err == nil || !errors.Is(err, bus.ErrTooOld) || after > current || after < 0 {
		return nil, sub, err
	}
	// The hub may be behind the floor: wait for it, rather than read
	// events it will then hand the subscription too.
	if hub.Last(accountID) < current {
		if err := WaitHub(ctx, hub, accountID, current, cfg.Wait); err != nil {
			return nil, nil, err
		}
		if sub, err = hub.Subscribe(accountID, after, current); err == nil || !errors.Is(err, bus.ErrTooOld) {
			return nil, sub, err
		}
	}
	upto := hub.Last(accountID)
	if upto-after > cfg.Max {
		return nil, nil, bus.ErrTooOld
	}
	missed, err = Backfill(ctx, j, accountID, after, upto)
	if err != nil {
		return nil, nil, err
	}
	// What the hub took meanwhile is still in its ring, unless there
	// was more than the ring holds.
	sub, err = hub.Subscribe(accountID, upto, upto)
	if err != nil {
		return nil, nil, err
	}
	return missed, sub, nil
}

// WaitHub waits until the hub has the account's events up to seq, or
// fails with bus.ErrTooOld after wait. On a node that does not own the
// account, the hub follows the owner's floor a few milliseconds late: a
// stream that sends a snapshot at seq must wait for the hub to reach seq
// before it subscribes, or the subscription would bring events the
// snapshot already holds.
func WaitHub(ctx context.Context, hub *bus.Hub, accountID, seq int64, wait time.Duration) error {
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if hub.Await(wctx, accountID, seq) {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return bus.ErrTooOld
}
