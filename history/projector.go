package history

import (
	"context"
	"errors"
	"sync"

	"github.com/callfloor/callfloor"
)

// Store is what a Projector reads and writes: the journal and the rows.
type Store interface {
	ReadEvents(ctx context.Context, accountID, afterSeq int64, limit int) ([]callfloor.Event, error)
	callfloor.CallHistory
}

// batch is how many journal events one catch-up step folds.
const batch = 1000

// Projector keeps accounts' call history up with their journals.
type Projector struct {
	store Store

	mu    sync.Mutex
	locks map[int64]*sync.Mutex
}

// New returns a Projector over store.
func New(store Store) *Projector {
	return &Projector{store: store, locks: map[int64]*sync.Mutex{}}
}

func (p *Projector) lock(accountID int64) func() {
	p.mu.Lock()
	l := p.locks[accountID]
	if l == nil {
		l = &sync.Mutex{}
		p.locks[accountID] = l
	}
	p.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// CatchUp folds the account's journal events that its rows have not seen
// yet. Another process doing the same meanwhile is harmless: the cursor
// moves only from where this one read it, and a loser reads again.
func (p *Projector) CatchUp(ctx context.Context, accountID int64) error {
	defer p.lock(accountID)()
	return p.catchUp(ctx, accountID)
}

func (p *Projector) catchUp(ctx context.Context, accountID int64) error {
	for {
		from, err := p.store.CallHistoryCursor(ctx, accountID)
		if err != nil {
			return err
		}
		evs, err := p.store.ReadEvents(ctx, accountID, from, batch)
		if err != nil || len(evs) == 0 {
			return err
		}
		rows, err := p.load(ctx, accountID, evs)
		if err != nil {
			return err
		}
		changed := map[callfloor.CallKey]bool{}
		for i := range evs {
			if k, ok := Fold(rows, &evs[i]); ok {
				changed[k] = true
			}
		}
		out := make([]*callfloor.CallRow, 0, len(changed))
		for k := range changed {
			out = append(out, rows[k])
		}
		err = p.store.SaveCallRows(ctx, accountID, from, evs[len(evs)-1].Seq, out)
		switch {
		case errors.Is(err, callfloor.ErrHistoryMoved):
			continue
		case err != nil:
			return err
		case len(evs) < batch:
			return nil
		}
	}
}

// load reads the rows the events change.
func (p *Projector) load(ctx context.Context, accountID int64, evs []callfloor.Event) (Rows, error) {
	seen := map[callfloor.CallKey]bool{}
	var keys []callfloor.CallKey
	for i := range evs {
		if k, ok := Key(&evs[i]); ok && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	rows := Rows{}
	found, err := p.store.FindCallRows(ctx, accountID, keys)
	if err != nil {
		return nil, err
	}
	for _, r := range found {
		rows[callfloor.CallKey{ExtensionID: r.ExtensionID, CallID: r.CallID}] = r
	}
	return rows, nil
}

// Rebuild drops the account's rows and folds its whole journal again.
func (p *Projector) Rebuild(ctx context.Context, accountID int64) error {
	defer p.lock(accountID)()
	if err := p.store.ResetCallHistory(ctx, accountID); err != nil {
		return err
	}
	return p.catchUp(ctx, accountID)
}
