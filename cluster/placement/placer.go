package placement

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/cluster/lease"
)

// Owner takes and gives up accounts on this node; cluster/owner's
// Manager is one.
type Owner interface {
	// Own fails with callfloor.ErrLeaseHeld while another node holds the
	// account's lease.
	Own(ctx context.Context, accountID int64) (callfloor.Ownership, error)
	Disown(ctx context.Context, accountID int64) error
	Owned() []callfloor.Ownership
}

// Leases tells who holds each account's lease; cluster/lease's Leases
// is one. The keys are lease.AccountKey's.
type Leases interface {
	Holders(ctx context.Context) (map[string]string, error)
}

// Config wires a Placer.
type Config struct {
	// Node is this node's name, as it joined the Registry and as it
	// holds leases.
	Node     string
	Registry *Registry
	Owner    Owner
	Leases   Leases
	// Accounts lists every account the cluster runs.
	Accounts func(ctx context.Context) ([]int64, error)
	// Busy reports whether an account this node owns has work in
	// progress (calls): it is not given up while busy. Nil: never busy.
	Busy func(accountID int64) bool
	// Interval between rounds; 1 s when 0. A change of the registry (a
	// node joins or leaves, a drain) starts a round at once.
	Interval time.Duration
	// Grace is how long an account's lease must stay free before the
	// node second in the account's order takes it (2×Grace the third,
	// and so on); 3 intervals when 0.
	Grace time.Duration
	// Parallel bounds the Own and Disown calls in flight at once; 8
	// when 0.
	Parallel int
	// Clock drives the rounds and the grace; callfloor.SystemClock when
	// nil.
	Clock callfloor.TimerClock
	// Logger receives a line per account taken or given up; discarded
	// when nil.
	Logger *slog.Logger
}

// Placer drives one node's Owner toward the accounts placement gives it.
type Placer struct {
	cfg Config
	log *slog.Logger

	// Run's goroutine only:
	seen     map[int64]seenLease // each account's lease as last seen
	roundErr string              // the last round's failure, logged once

	mu      sync.Mutex
	status  Status
	retryAt map[int64]time.Time // accounts whose Own failed: not before
	keep    map[int64]time.Time // accounts taken ownerless: kept until
}

// seenLease is an account's lease as the placer last saw it: its holder,
// or, while free, since when and who held it last.
type seenLease struct {
	holder    string
	last      string
	freeSince time.Time
}

// Status is what the placer saw and did in its last round.
type Status struct {
	Node string
	// Round is when the last round began; zero before the first.
	Round time.Time
	// Err is why the last round did not finish; "" when it did.
	Err      string
	Nodes    []Node
	Draining []string
	// Owned is what the node owns now.
	Owned []callfloor.Ownership
	// Waiting are the accounts placed on this node that it did not own
	// at the end of the last round: another node still holds them (until
	// they are idle), or taking them failed.
	Waiting []int64
}

// New returns a Placer; Run runs it.
func New(cfg Config) *Placer {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 3 * cfg.Interval
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 8
	}
	if cfg.Busy == nil {
		cfg.Busy = func(int64) bool { return false }
	}
	if cfg.Clock == nil {
		cfg.Clock = callfloor.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Placer{cfg: cfg, log: cfg.Logger.With("node", cfg.Node),
		seen: map[int64]seenLease{}, retryAt: map[int64]time.Time{},
		keep: map[int64]time.Time{}, status: Status{Node: cfg.Node}}
}

// Status returns what the last round saw, and what the node owns now.
func (p *Placer) Status() Status {
	p.mu.Lock()
	st := p.status
	p.mu.Unlock()
	st.Owned = p.cfg.Owner.Owned()
	return st
}

// Run places accounts every interval, and at once when the registry
// changes, until ctx ends. It takes and gives up accounts but does not
// give up the ones it owns when it ends: close the Owner for that.
func (p *Placer) Run(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	changed := make(chan struct{}, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		p.cfg.Registry.watch(ctx, changed)
	}()
	defer wg.Wait()
	for {
		p.round(ctx)
		t := p.cfg.Clock.NewTimer(p.cfg.Interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		case <-changed:
			t.Stop()
		}
	}
}

// action is one account to take or give up, and why.
type action struct {
	account  int64
	from, to string
	why      string
	// ownerless: taken by a node next in line, not the designated one
	ownerless bool
}

// keepGraces is how many Graces a node keeps an account it took
// ownerless before it hands it to the designated node: when that node
// failed to take it, the account does not bounce between them every
// Grace.
const keepGraces = 10

// round reads the registry, the accounts and their leases, decides, and
// takes and gives up accounts, at most Parallel at once.
func (p *Placer) round(ctx context.Context) {
	now := p.cfg.Clock.Now()
	nodes, draining, plan, err := p.decide(ctx, now)
	st := Status{Node: p.cfg.Node, Round: now, Nodes: nodes, Draining: draining}
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		if msg := err.Error(); msg != p.roundErr {
			p.log.Warn("placement: a round failed; the next one tries again", "err", err)
			p.roundErr = msg
		}
		st.Err = err.Error()
		p.setStatus(st)
		return
	}
	if p.roundErr != "" {
		p.log.Info("placement: rounds go through again")
		p.roundErr = ""
	}
	// Give up first: it frees accounts for the nodes they belong on.
	p.each(ctx, plan.disown, p.disown)
	p.each(ctx, plan.own, func(ctx context.Context, a action) { p.own(ctx, a, now) })
	owned := ownedSet(p.cfg.Owner.Owned())
	for _, id := range plan.mine {
		if !owned[id] {
			st.Waiting = append(st.Waiting, id)
		}
	}
	p.setStatus(st)
}

func (p *Placer) setStatus(st Status) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status = st
}

// plan is a round's decisions.
type plan struct {
	own, disown []action
	mine        []int64 // the accounts placed on this node
}

// decide reads what a round needs and returns the live and draining
// nodes and what to do. It updates what the placer saw of the leases.
func (p *Placer) decide(ctx context.Context, now time.Time) ([]Node, []string, plan, error) {
	reg := p.cfg.Registry
	nodes, err := reg.Nodes(ctx)
	if err != nil {
		return nil, nil, plan{}, err
	}
	draining, err := reg.Draining(ctx)
	if err != nil {
		return nodes, nil, plan{}, err
	}
	accounts, err := p.cfg.Accounts(ctx)
	if err != nil {
		return nodes, draining, plan{}, err
	}
	holders, err := p.cfg.Leases.Holders(ctx)
	if err != nil {
		return nodes, draining, plan{}, err
	}
	live := make([]string, len(nodes))
	for i, n := range nodes {
		live[i] = n.Name
	}
	if !slices.Contains(live, p.cfg.Node) {
		// Until the others see this node, it would place accounts as
		// they would not: it waits.
		return nodes, draining, plan{}, errors.New("this node is not in the registry (yet)")
	}
	candidates := slices.DeleteFunc(slices.Clone(live), func(n string) bool { return slices.Contains(draining, n) })
	if len(candidates) == 0 {
		candidates = live // all drain: better drained nodes than no owner
	}
	owned := ownedSet(p.cfg.Owner.Owned())
	var pl plan
	seen := make(map[int64]seenLease, len(accounts))
	for _, id := range accounts {
		s := p.seen[id]
		if h := holders[lease.AccountKey(id)]; h != "" {
			s = seenLease{holder: h}
		} else if s.holder != "" || s.freeSince.IsZero() {
			s = seenLease{last: s.holder, freeSince: now}
		}
		seen[id] = s
		order := rank(id, candidates)
		if order[0] == p.cfg.Node {
			pl.mine = append(pl.mine, id)
		}
		if a, ok := p.next(id, order, s, owned[id], now, slices.Contains(draining, p.cfg.Node)); ok {
			if a.from == p.cfg.Node {
				pl.disown = append(pl.disown, a)
			} else {
				pl.own = append(pl.own, a)
			}
		}
	}
	p.seen = seen
	p.mu.Lock()
	for id := range p.retryAt {
		if _, ok := seen[id]; !ok {
			delete(p.retryAt, id)
		}
	}
	for id := range p.keep {
		if !owned[id] {
			delete(p.keep, id)
		}
	}
	p.mu.Unlock()
	// An account that is no more is given up once idle.
	for id := range owned {
		if _, ok := seen[id]; !ok && !p.cfg.Busy(id) {
			pl.disown = append(pl.disown, action{account: id, from: p.cfg.Node, why: "not an account any more"})
		}
	}
	return nodes, draining, pl, nil
}

// next is the rule for one account: what this node does with it, if
// anything. order is the account's candidates, its designated node
// first; s its lease; mine whether this node owns it.
func (p *Placer) next(id int64, order []string, s seenLease, mine bool, now time.Time, draining bool) (action, bool) {
	me := p.cfg.Node
	switch {
	case mine && order[0] == me:
		return action{}, false
	case mine:
		if p.cfg.Busy(id) {
			return action{}, false // not mid-call: once it is idle
		}
		if !draining && p.kept(id, now) {
			return action{}, false
		}
		why := "placed on " + order[0]
		if draining {
			why = "draining"
		}
		return action{account: id, from: me, to: order[0], why: why}, true
	case s.holder != "":
		// Another node holds it (it gives it up when idle, or its lease
		// expires if it died), or this node's manager is still letting
		// it go.
		return action{}, false
	case p.waitRetry(id, now):
		return action{}, false
	}
	r := slices.Index(order, me)
	switch {
	case r == 0:
		return action{account: id, from: s.last, to: me, why: "placed here"}, true
	case r > 0 && now.Sub(s.freeSince) >= time.Duration(r)*p.cfg.Grace:
		return action{account: id, from: s.last, to: me, why: "ownerless for " + now.Sub(s.freeSince).String() + "; next in line", ownerless: true}, true
	}
	return action{}, false
}

// kept reports whether the node took the account ownerless less than
// keepGraces Graces ago.
func (p *Placer) kept(id int64, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return now.Before(p.keep[id])
}

// waitRetry reports whether taking the account failed less than a Grace
// ago.
func (p *Placer) waitRetry(id int64, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return now.Before(p.retryAt[id])
}

// own takes an account; a lease another node holds is not an error (it
// is tried again next round), another failure waits a Grace.
func (p *Placer) own(ctx context.Context, a action, now time.Time) {
	o, err := p.cfg.Owner.Own(ctx, a.account)
	switch code := callfloor.ErrorCode(err); {
	case err == nil:
		p.mu.Lock()
		delete(p.retryAt, a.account)
		if a.ownerless {
			p.keep[a.account] = now.Add(keepGraces * p.cfg.Grace)
		}
		p.mu.Unlock()
		p.log.Info("placement: account taken", "account", a.account, "from", a.from, "to", a.to, "why", a.why, "epoch", o.Epoch)
	case code == callfloor.ErrLeaseHeld || code == callfloor.ErrInUse || ctx.Err() != nil:
	default:
		p.mu.Lock()
		p.retryAt[a.account] = now.Add(p.cfg.Grace)
		p.mu.Unlock()
		p.log.Warn("placement: taking an account failed; trying again later", "account", a.account, "from", a.from, "why", a.why, "err", err)
	}
}

// disown gives an account up.
func (p *Placer) disown(ctx context.Context, a action) {
	if err := p.cfg.Owner.Disown(ctx, a.account); err != nil {
		if ctx.Err() == nil {
			p.log.Warn("placement: giving an account up failed", "account", a.account, "to", a.to, "why", a.why, "err", err)
		}
		return
	}
	p.log.Info("placement: account given up", "account", a.account, "from", a.from, "to", a.to, "why", a.why)
}

// each runs fn on every action, at most Parallel at once, and returns
// when all are done.
func (p *Placer) each(ctx context.Context, actions []action, fn func(context.Context, action)) {
	sem := make(chan struct{}, p.cfg.Parallel)
	var wg sync.WaitGroup
	for _, a := range actions {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			fn(ctx, a)
		}()
	}
	wg.Wait()
}

func ownedSet(os []callfloor.Ownership) map[int64]bool {
	m := make(map[int64]bool, len(os))
	for _, o := range os {
		m[o.AccountID] = true
	}
	return m
}
