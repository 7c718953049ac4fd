package sipview

import (
	"context"
	"fmt"
	"time"

	"github.com/callfloor/callfloor"
)

// loadTimeout bounds one Apply's look-up: it runs inside an API write.
const loadTimeout = 10 * time.Second

// Reload loads every account's extensions, trunks, inbound numbers and
// caller-ID pools and replaces the view's data with them. On error the view keeps what
// it had.
func (v *View) Reload(ctx context.Context) error {
	v.loading.Lock()
	defer v.loading.Unlock()
	d, err := v.loadAll(ctx)
	if err != nil {
		return err
	}
	v.mu.Lock()
	v.dir = d
	v.mu.Unlock()
	return nil
}

func (v *View) loadAll(ctx context.Context) (*directory, error) {
	accounts, err := v.src.ListAccounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("sipview: list accounts: %w", err)
	}
	d := newDirectory()
	for _, a := range accounts {
		actx := callfloor.SystemContext(ctx, a.ID)
		exts, err := v.src.ListExtensions(actx)
		if err != nil {
			return nil, fmt.Errorf("sipview: account %d extensions: %w", a.ID, err)
		}
		for _, e := range exts {
			d.putExtension(e)
		}
		trunks, err := v.src.ListTrunks(actx)
		if err != nil {
			return nil, fmt.Errorf("sipview: account %d trunks: %w", a.ID, err)
		}
		for _, t := range trunks {
			d.putTrunk(t)
		}
		numbers, err := v.src.ListInboundNumbers(actx)
		if err != nil {
			return nil, fmt.Errorf("sipview: account %d inbound numbers: %w", a.ID, err)
		}
		for _, n := range numbers {
			d.putInbound(n)
		}
		pools, err := v.src.ListCallerIDPools(actx)
		if err != nil {
			return nil, fmt.Errorf("sipview: account %d caller-ID pools: %w", a.ID, err)
		}
		for _, p := range pools {
			d.pools[p.ID] = copyPool(p)
		}
	}
	return d, nil
}

// Apply loads the object of a committed change again, or forgets it when
// it is gone, before it returns. When the load fails the object is
// forgotten too (a phone is refused rather than let in on old
// credentials) until the next Reload, and the error is returned.
func (v *View) Apply(ctx context.Context, ch callfloor.Change) error {
	ctx, cancel := context.WithTimeout(ctx, loadTimeout)
	defer cancel()
	v.loading.Lock()
	defer v.loading.Unlock()
	actx := callfloor.SystemContext(ctx, ch.AccountID)
	var err error
	switch ch.Kind {
	case callfloor.ChangeExtension:
		var e *callfloor.Extension
		e, err = v.src.FindExtensionByID(actx, ch.ID)
		v.install(func(d *directory) {
			d.removeExtension(ch.ID)
			if err == nil {
				d.putExtension(e)
			}
		})
	case callfloor.ChangeTrunk:
		var t *callfloor.Trunk
		t, err = v.src.FindTrunkByID(actx, ch.ID)
		v.install(func(d *directory) {
			d.removeTrunk(ch.ID)
			if err == nil {
				d.putTrunk(t)
			}
		})
	case callfloor.ChangeInboundNumber:
		var n *callfloor.InboundNumber
		n, err = v.src.FindInboundNumberByID(actx, ch.ID)
		v.install(func(d *directory) {
			d.removeInbound(ch.ID)
			if err == nil {
				d.putInbound(n)
			}
		})
	case callfloor.ChangeCallerIDPool:
		var p *callfloor.CallerIDPool
		p, err = v.src.FindCallerIDPoolByID(actx, ch.ID)
		v.install(func(d *directory) {
			delete(d.pools, ch.ID)
			if err == nil {
				d.pools[p.ID] = copyPool(p)
			}
		})
	case callfloor.ChangeAccount:
		// The account's agent activation is in its extensions' AgentStatus.
		var exts []*callfloor.Extension
		exts, err = v.src.ListExtensions(actx)
		v.install(func(d *directory) {
			for id, e := range d.exts {
				if e.AccountID == ch.AccountID {
					d.removeExtension(id)
				}
			}
			for _, e := range exts {
				d.putExtension(e)
			}
		})
	default:
		return fmt.Errorf("sipview: change of unknown kind %v", ch.Kind)
	}
	if callfloor.ErrorCode(err) == callfloor.ErrNotFound {
		return nil // gone: forgotten
	}
	if err != nil {
		v.log.Error("sip view: a changed object could not be loaded; it is refused until the next reload",
			"account", ch.AccountID, "change", ch.String(), "err", err)
		return fmt.Errorf("sipview: load %v: %w", ch, err)
	}
	return nil
}

// install changes the data under the write lock.
func (v *View) install(fn func(*directory)) {
	v.mu.Lock()
	defer v.mu.Unlock()
	fn(v.dir)
}

// Run reloads the view every interval until ctx is done, the safety net
// behind Apply; it logs a failed reload and tries again at the next.
func (v *View) Run(ctx context.Context, clock callfloor.TimerClock, every time.Duration) {
	for {
		t := clock.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		if err := v.Reload(ctx); err != nil && ctx.Err() == nil {
			v.log.Error("sip view reload failed", "err", err)
		}
	}
}

func (d *directory) putExtension(e *callfloor.Extension) {
	e = copyExtension(e)
	e.SIPSecret = "" // never kept
	d.exts[e.ID] = e
	d.byNumber[accountNumber{e.AccountID, e.Number}] = e
	d.byUser[e.SIPUsername] = e
}

func (d *directory) removeExtension(id int64) {
	e := d.exts[id]
	if e == nil {
		return
	}
	delete(d.exts, id)
	k := accountNumber{e.AccountID, e.Number}
	if d.byNumber[k] == e {
		delete(d.byNumber, k)
	}
	if d.byUser[e.SIPUsername] == e {
		delete(d.byUser, e.SIPUsername)
	}
}

func (d *directory) putTrunk(t *callfloor.Trunk) {
	t = copyTrunk(t)
	d.trunks[t.ID] = &trunk{t: t, sources: t.Sources()}
}

func (d *directory) removeTrunk(id int64) { delete(d.trunks, id) }

func (d *directory) putInbound(n *callfloor.InboundNumber) {
	n = copyInbound(n)
	d.numbers[n.ID] = n
	d.byKey[callfloor.InboundNumberKey(n.Number)] = n
}

func (d *directory) removeInbound(id int64) {
	n := d.numbers[id]
	if n == nil {
		return
	}
	delete(d.numbers, id)
	k := callfloor.InboundNumberKey(n.Number)
	if d.byKey[k] == n {
		delete(d.byKey, k)
	}
}
