package history

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/callfloor/callfloor"
)

// Store is what a Projector reads and writes: the journal, the account
// (its time zone) and the rows.
type Store interface {
	ReadEvents(ctx context.Context, accountID, afterSeq int64, limit int) ([]callfloor.Event, error)
	FindAccountByID(ctx context.Context, id int64) (*callfloor.Account, error)
	callfloor.CallHistory
}

// batch is how many journal events one catch-up step folds, in one
// transaction. A rebuild commits (and syncs) once a step: 4,000 events
// fold some 40% faster than 1,000 (make bench-reports), and a step still
// holds SQLite's one writer for only a fraction of a second.
const batch = 4000

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
// moves only from where this one read it, and a loser reads again. When
// the rollups are dated in another zone than the account's (it changed),
// the account's history starts over from the journal's first event.
func (p *Projector) CatchUp(ctx context.Context, accountID int64) error {
	defer p.lock(accountID)()
	return p.catchUp(ctx, accountID)
}

func (p *Projector) catchUp(ctx context.Context, accountID int64) error {
	acc, err := p.store.FindAccountByID(ctx, accountID)
	if err != nil {
		return err
	}
	loc := acc.Location()
	zone := loc.String()
	for {
		cur, err := p.store.CallHistoryCursor(ctx, accountID)
		if err != nil {
			return err
		}
		if cur.Seq != 0 && cur.TimeZone != zone {
			if err := p.store.ResetCallHistory(ctx, accountID); err != nil {
				return err
			}
			continue
		}
		evs, err := p.store.ReadEvents(ctx, accountID, cur.Seq, batch)
		if err != nil || len(evs) == 0 {
			return err
		}
		rows, err := p.load(ctx, accountID, evs)
		if err != nil {
			return err
		}
		out, days := Apply(rows, evs, loc)
		b := callfloor.HistoryBatch{From: cur.Seq, To: evs[len(evs)-1].Seq, TimeZone: zone, Rows: out, Days: days}
		b.LastAt, b.LateSeq, b.LateFrom = Late(cur, evs, loc)
		err = p.store.SaveCallRows(ctx, accountID, b)
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

// Late follows the cursor's LastAt and LateSeq over evs (see
// callfloor.HistoryCursor): an agent's event dated in loc before the date
// of the latest event folded before it came late. It returns them, and
// the earliest date of the late events ("" for none).
func Late(cur callfloor.HistoryCursor, evs []callfloor.Event, loc *time.Location) (time.Time, int64, string) {
	last, lateSeq, from := cur.LastAt, cur.LateSeq, ""
	day := func(t time.Time) (time.Time, time.Time) {
		l := t.In(loc)
		return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc), time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, loc)
	}
	start, next := day(last)
	for i := range evs {
		e := &evs[i]
		if e.ExtensionID != 0 && e.At.Before(start) {
			lateSeq = e.Seq
			if date := e.At.In(loc).Format(time.DateOnly); from == "" || date < from {
				from = date
			}
		}
		if e.At.After(last) {
			last = e.At
			if !last.Before(next) {
				start, next = day(last)
			}
		}
	}
	return last, lateSeq, from
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

// Rebuild drops the account's rows and rollups and folds its whole
// journal again.
func (p *Projector) Rebuild(ctx context.Context, accountID int64) error {
	defer p.lock(accountID)()
	if err := p.store.ResetCallHistory(ctx, accountID); err != nil {
		return err
	}
	return p.catchUp(ctx, accountID)
}
