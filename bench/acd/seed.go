package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/bus"
	"github.com/callfloor/callfloor/dispatch"
	"github.com/callfloor/callfloor/floor"
	"github.com/callfloor/callfloor/sqlstore"
	"github.com/callfloor/callfloor/telephony"
)

// bench is the server's ACD path in process, wired as callfloor serve
// wires it, with a fake B2BUA (phones.go) for the telephony plane.
type bench struct {
	st      *sqlstore.Store
	log     *slog.Logger
	answer  time.Duration
	talk    time.Duration
	useLink bool

	acc        int64
	queues     []*callfloor.Queue
	agents     []int64
	exts       map[int64]*callfloor.Extension
	loadConfig func(context.Context, int64) (*floor.Config, error)

	journal *floor.GroupWriter
	f       *floor.Floor
	hub     *bus.Hub
	d       *dispatch.Dispatcher
	link    *telephony.Link
	// acd is d for the floor's publish, which runs before d exists.
	acd atomic.Pointer[dispatch.Dispatcher]

	phones *phones
	probe  *probe
}

// seed creates the account in the store and its agent extensions and
// queues: agent i is a member of queue i % queues. By default the
// extensions and queues are built here and the floor reads them through
// floor.NewConfig, the configuration floor.StoreConfig would build from
// the same rows (as bench/engine does): creating 10,000 agent
// extensions through the store takes minutes, each insert counting the
// account's agents for its licence check. With viaStore they are created
// through the store, as an administrator would, and the floor reads them
// with floor.StoreConfig.
func (b *bench) seed(ctx context.Context, agents, queues int, viaStore bool) error {
	a := &callfloor.Account{Name: fmt.Sprintf("bench-acd-%d", time.Now().UnixNano()), TimeZone: "UTC",
		LicenceKind: callfloor.LicenceAgentExtensions, AgentLicences: agents}
	if err := b.st.CreateAccount(ctx, a); err != nil {
		return err
	}
	b.acc = a.ID
	exts := make([]*callfloor.Extension, agents)
	for i := range exts {
		number := fmt.Sprintf("1%06d", i)
		e := &callfloor.Extension{AccountID: a.ID, Number: number, Name: "Agent " + number, Agent: callfloor.DefaultAgentSettings(),
			SIPUsername: callfloor.NewSIPUsername(number), QueuesFeature: true}
		e.Agent.Enabled = true
		e.SetSIPSecret(callfloor.DefaultSIPRealm, callfloor.NewSIPSecret())
		if err := e.Validate(); err != nil {
			return err
		}
		exts[i] = e
	}
	if viaStore {
		if err := b.createExtensions(ctx, exts); err != nil {
			return err
		}
	} else {
		for i, e := range exts {
			e.ID = int64(i + 1)
		}
	}
	b.exts = map[int64]*callfloor.Extension{}
	b.agents = make([]int64, agents)
	for i, e := range exts {
		b.exts[e.ID] = e
		b.agents[i] = e.ID
	}
	for j := range queues {
		q := callfloor.NewQueue(fmt.Sprintf("8%06d", j), fmt.Sprintf("Bench queue %d", j))
		q.Strategy, q.RingTimeoutSeconds = callfloor.StrategyLongestIdle, 20
		for i := j; i < agents; i += queues {
			q.Members = append(q.Members, callfloor.QueueMember{ExtensionID: exts[i].ID, Number: exts[i].Number, Kind: callfloor.MemberAgent})
		}
		if err := q.Validate(); err != nil {
			return err
		}
		if viaStore {
			if err := b.st.CreateQueue(callfloor.SystemContext(ctx, a.ID), q); err != nil {
				return fmt.Errorf("queue %s: %w", q.Number, err)
			}
		} else {
			q.ID, q.AccountID = int64(j+1), a.ID
		}
		b.queues = append(b.queues, q)
	}
	if viaStore {
		b.loadConfig = floor.StoreConfig(b.st)
	} else {
		cfg := floor.NewConfig(a, exts, nil, nil, b.queues)
		b.loadConfig = func(context.Context, int64) (*floor.Config, error) { return cfg, nil }
	}
	return nil
}

// createExtensions stores the extensions. The store has one writer; a few
// goroutines keep it busy while the others prepare their next insert.
func (b *bench) createExtensions(ctx context.Context, exts []*callfloor.Extension) error {
	sctx := callfloor.SystemContext(ctx, b.acc)
	return parallel(len(exts), 4, func(i int) error {
		if err := b.st.CreateExtension(sctx, exts[i]); err != nil {
			return fmt.Errorf("agent %s: %w", exts[i].Number, err)
		}
		return nil
	})
}

// parallel runs fn for 0..n-1 on workers goroutines and returns the
// first error; a worker stops at its first error.
func parallel(n, workers int, fn func(i int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// start runs the floor (configuration read from the store, phones
// required) and the dispatcher, and brings every agent on the floor:
// phone registered (the input the registrar's watch gives), then logged
// in.
func (b *bench) start(ctx context.Context) error {
	// As callfloor serve: 100,000 events kept for reconnecting clients.
	b.hub = bus.NewHub(100000, 10000)
	b.journal = floor.NewGroupWriter(b.st)
	b.probe = &probe{}
	b.f = floor.New(floor.FloorConfig{
		Journal: timedJournal{b.journal, b.probe}, Snapshots: b.st, Clock: callfloor.SystemClock{}, Logger: b.log,
		// Every phone is registered (the fake B2BUA reaches them all).
		RequirePhone: true, Phones: func(int64, int64) floor.Phone { return floor.Phone{Softphone: true, Browser: true} },
		Publish:    b.publish,
		LoadConfig: b.loadConfig,
	})
	if err := b.f.StartAll(ctx, []int64{b.acc}); err != nil {
		return err
	}
	if b.useLink {
		b.link = telephony.NewLink(b.f, b.log)
	}
	b.phones = &phones{b: b, calls: map[string]*call{}}
	b.probe.f = b.f
	b.d = dispatch.New(dispatch.Config{Floor: b.probe, Phones: b.phones,
		Extension: func(_ context.Context, _, id int64) (*callfloor.Extension, error) {
			if e := b.exts[id]; e != nil {
				return e, nil
			}
			return nil, callfloor.Errorf(callfloor.ErrNotFound, "extension %d not found", id)
		},
		Publish: b.hub.Publish, Clock: callfloor.SystemClock{}, Logger: b.log})
	b.acd.Store(b.d)

	// Many clients at once, so the engine batches them.
	err := parallel(len(b.agents), 64, func(i int) error {
		for _, in := range []floor.Input{floor.Phone{Ext: b.agents[i], Softphone: true}, floor.Login{Ext: b.agents[i]}} {
			if _, err := b.f.Do(ctx, b.acc, in); err != nil {
				return fmt.Errorf("%T of agent %d: %w", in, b.agents[i], err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Every agent idle, phone up.
	free := 0
	err = b.f.View(ctx, b.acc, func(st *floor.State, cfg *floor.Config) {
		for _, ext := range b.agents {
			if a := st.Agent(ext); a.LoggedIn && a.State == callfloor.StateIdle && a.PhoneRegistered && cfg.Agents[ext] != nil {
				free++
			}
		}
	})
	if err != nil {
		return err
	}
	if free != len(b.agents) {
		return fmt.Errorf("%d of %d agents are free on the floor after login", free, len(b.agents))
	}
	return nil
}

// publish is the floor's Publish, as callfloor serve's: the realtime hub,
// and the ACD, which an agent becoming free wakes.
func (b *bench) publish(evs []callfloor.Event) {
	b.hub.Publish(evs)
	if d := b.acd.Load(); d != nil {
		d.OnFloorEvents(evs)
	}
}

// stop closes everything in the order callfloor serve does.
func (b *bench) stop() {
	b.d.Close()
	if b.link != nil {
		b.link.Close()
	}
	b.f.Close()
	b.journal.Close()
}
