package registrar

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// The keepalive (what Asterisk calls qualify): every Keepalive interval
// each binding is sent an OPTIONS over the flow it registered on (its
// source address and transport, like the B2BUA's INVITEs), and a binding
// that leaves KeepaliveFailures of them in a row unanswered is removed,
// so a phone that vanished without unregistering goes offline in
// minutes, not at the end of its registration. Any answer, even 404 or
// 405, shows the phone is there. A binding whose connection (TCP, TLS,
// WS, WSS) is gone cannot be reached at all: that counts as unanswered
// without sending anything, since dialling a phone's source port back is
// pointless.
//
// One goroutine owns the counters and every timer (from the registrar's
// clock); each probe runs in a goroutine of its own and reports back.

// flow identifies a binding as one registration over one path: a phone
// that registers again from elsewhere starts afresh.
type flow struct {
	aor
	contact, source, transport string
}

func flowOf(b Binding) flow {
	return flow{aor{b.AccountID, b.ExtensionID}, b.Contact, b.Source, b.Transport}
}

func (f flow) matches(b Binding) bool { return flowOf(b) == f }

// errNoFlow: the connection the binding registered over is closed.
var errNoFlow = errors.New("registration's connection is closed")

// keepaliveEvent is what the loop did in one step, for tests (Config.trace).
type keepaliveEvent struct {
	// Probes is how many OPTIONS a round sent (-1: not a round).
	Probes int
	// Contact, Status and Missed report one probe's outcome: Status 0 is
	// no answer; Missed the unanswered ones in a row; Removed whether
	// the binding was removed for it.
	Contact string
	Status  int
	Missed  int
	Removed bool
}

type probeResult struct {
	flow   flow
	status int // 0: no answer
	err    error
}

type inflight struct {
	deadline time.Time
	cancel   context.CancelFunc
	expired  bool // canceled at its deadline; its result is on the way
}

type keepalive struct {
	r         *Registrar
	client    *sipgo.Client
	every     time.Duration
	timeout   time.Duration
	maxMissed int
	trace     func(keepaliveEvent)

	// Owned by run.
	next    time.Time // the next round
	missed  map[flow]int
	probes  map[flow]*inflight
	pending []keepaliveEvent

	results chan probeResult
	wg      sync.WaitGroup
}

func newKeepalive(r *Registrar) (*keepalive, error) {
	client, err := sipgo.NewClient(r.ua, sipgo.WithClientLogger(redacted(r.log)))
	if err != nil {
		return nil, err
	}
	c := &r.cfg
	return &keepalive{
		r: r, client: client, every: c.Keepalive, timeout: c.KeepaliveTimeout,
		maxMissed: c.KeepaliveFailures, trace: c.trace,
		next:   r.clock.Now().Add(c.Keepalive),
		missed: map[flow]int{}, probes: map[flow]*inflight{},
		results: make(chan probeResult),
	}, nil
}

// run probes until done is closed, then cancels the probes in flight and
// waits for them.
func (k *keepalive) run(done <-chan struct{}) {
	defer func() {
		for _, p := range k.probes {
			p.cancel()
		}
		k.wg.Wait()
	}()
	clock := k.r.clock
	for {
		now := clock.Now()
		if !now.Before(k.next) {
			k.round(now, done)
			k.next = now.Add(k.every)
		}
		wake := k.next
		for _, p := range k.probes {
			switch {
			case p.expired:
			case !now.Before(p.deadline):
				p.cancel()
				p.expired = true
			case p.deadline.Before(wake):
				wake = p.deadline
			}
		}
		t := timerAt(clock, wake)
		// Reported once the timer is armed, so a test that advances the
		// clock next fires it.
		if k.trace != nil {
			for _, e := range k.pending {
				k.trace(e)
			}
		}
		k.pending = k.pending[:0]
		select {
		case <-t.C():
		case res := <-k.results:
			t.Stop()
			k.record(res)
		case <-done:
			t.Stop()
			return
		}
	}
}

// round sends an OPTIONS to every binding that has none in flight and
// forgets the counters of bindings that are gone.
func (k *keepalive) round(now time.Time, done <-chan struct{}) {
	live := map[flow]bool{}
	sent := 0
	for _, b := range k.r.table.all(now) {
		f := flowOf(b)
		live[f] = true
		if _, busy := k.probes[f]; busy {
			continue
		}
		ctx, cancel := context.WithCancel(context.Background())
		k.probes[f] = &inflight{deadline: now.Add(k.timeout), cancel: cancel}
		k.wg.Add(1)
		go func() {
			defer k.wg.Done()
			defer cancel()
			status, err := k.probe(ctx, b)
			select {
			case k.results <- probeResult{flow: f, status: status, err: err}:
			case <-done:
			}
		}()
		sent++
	}
	for f := range k.missed {
		if !live[f] {
			delete(k.missed, f)
		}
	}
	k.pending = append(k.pending, keepaliveEvent{Probes: sent})
}

// record counts one probe's outcome and removes the binding after too
// many misses in a row.
func (k *keepalive) record(res probeResult) {
	delete(k.probes, res.flow)
	f := res.flow
	e := keepaliveEvent{Probes: -1, Contact: f.contact, Status: res.status}
	log := k.r.log.With("account", f.account, "ext", f.ext, "source", f.source, "transport", f.transport)
	if res.status != 0 {
		delete(k.missed, f)
		k.pending = append(k.pending, e)
		return
	}
	k.missed[f]++
	e.Missed = k.missed[f]
	log.Debug("sip keepalive unanswered", "missed", e.Missed, "err", res.err)
	if e.Missed >= k.maxMissed {
		delete(k.missed, f)
		if k.r.table.remove(f.aor, f.matches) {
			e.Removed = true
			log.Info("sip binding removed: keepalives unanswered", "missed", e.Missed)
		}
	}
	k.pending = append(k.pending, e)
}

// probe sends one OPTIONS to b over its flow and returns the status of
// the answer (0 and an error when there is none).
func (k *keepalive) probe(ctx context.Context, b Binding) (int, error) {
	if !strings.EqualFold(b.Transport, "UDP") {
		// A connection cannot be opened back to a phone: use the one it
		// registered over, or none.
		pool := k.r.ua.TransportLayer().Pool(b.Transport)
		if pool == nil {
			return 0, errNoFlow
		}
		c := pool.Get(b.Source)
		if c == nil {
			return 0, errNoFlow
		}
		c.TryClose() // Get took a reference
	}
	var target sip.Uri
	if err := sip.ParseUri(b.Contact, &target); err != nil {
		return 0, err
	}
	req := sip.NewRequest(sip.OPTIONS, target)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "callfloor", Host: k.r.cfg.Realm}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: target.Scheme, User: target.User, Host: target.Host, Port: target.Port}})
	req.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
	req.SetDestination(b.Source)
	req.SetTransport(b.Transport)
	res, err := k.client.Do(ctx, req)
	if err != nil {
		return 0, err
	}
	return res.StatusCode, nil
}
