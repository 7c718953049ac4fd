package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/dialer"
	"github.com/callfloor/callfloor/floor"
	"github.com/callfloor/callfloor/sip/b2bua"
)

// runPower puts the preview campaign on hold and makes a power campaign
// of the same members with a list of n leads (none assigned to an
// agent), then runs the floor engine and the dialler on the store for d,
// with every member logged in. The telephony plane is simulated in
// process (sim): customers answer by their number's last digit as the
// simulated carrier does, after ringing 1 to 3 s; a connected agent
// talks for 5 to 15 s, hangs up and disposes of the call a second later.
// It prints how long an answered customer waited for the agent's phone
// to be rung, and the abandoned rate.
func runPower(ctx context.Context, st callfloor.Store, preview *callfloor.Campaign, agents []int64, n int, d time.Duration) error {
	if _, err := st.UpdateCampaign(ctx, preview.ID, func(x *callfloor.Campaign) error { x.Active = false; return nil }); err != nil {
		return err
	}
	c := callfloor.NewCampaign("Bench power", callfloor.CampaignPower)
	c.CallingHours = preview.CallingHours
	c.Members = preview.Members
	c.MaxRatio, c.AbandonTarget = 2, 3
	c.Outcomes = []callfloor.CampaignOutcome{
		{Outcome: callfloor.Outcome{Category: callfloor.CategorySuccess, Name: "Sold"}, Next: callfloor.NextDone},
		{Outcome: callfloor.Outcome{Category: callfloor.CategoryFail, Name: "Not interested"}, Next: callfloor.NextFailContact},
	}
	if err := st.CreateCampaign(ctx, c); err != nil {
		return err
	}
	list := &callfloor.CampaignList{CampaignID: c.ID, Name: "Power", Active: true}
	if err := st.CreateList(ctx, list); err != nil {
		return err
	}
	for start := 0; start < n; start += 10_000 {
		var leads []*callfloor.Lead
		for i := start; i < min(start+10_000, n); i++ {
			leads = append(leads, &callfloor.Lead{Name: fmt.Sprint("Power ", i),
				Numbers: []callfloor.LeadNumber{{Number: fmt.Sprintf("+4416329%05d", i)}}})
		}
		if err := st.CreateLeads(ctx, list.ID, leads); err != nil {
			return err
		}
	}
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	f := floor.New(floor.FloorConfig{Journal: st, Snapshots: st, Clock: callfloor.SystemClock{}, LoadConfig: floor.StoreConfig(st)})
	defer f.Close()
	for _, ext := range agents {
		if _, err := f.Do(ctx, account, floor.Login{Ext: ext}); err != nil {
			return err
		}
	}
	s := &sim{floor: f, answered: map[string]time.Time{}, rnd: rand.New(rand.NewPCG(3, 4))}
	dl := dialer.New(dialer.Config{Store: st, Floor: f, Phones: s, Journal: st, Clock: callfloor.SystemClock{}, Tick: 250 * time.Millisecond})
	rctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	s.ctx = rctx
	fmt.Printf("# power: %d agents for %s, ratio up to 2, abandoned target 3%%; customers answer by last digit (6 in 10 a person)\n", len(agents), d)
	dl.Run(rctx)
	dl.Wait()
	s.wg.Wait()

	s.mu.Lock()
	defer s.mu.Unlock()
	fig := dl.PowerFiguresOf(c.ID)
	slices.Sort(s.connect)
	q := func(p float64) float64 {
		if len(s.connect) == 0 {
			return 0
		}
		return float64(s.connect[int(p*float64(len(s.connect)-1))].Microseconds()) / 1000
	}
	live := len(s.connect) + s.abandoned
	rate := 0.0
	if live > 0 {
		rate = 100 * float64(s.abandoned) / float64(live)
	}
	fmt.Printf("# dialled %d, a person answered %d (connected %d, abandoned %d), machines %d; ratio at the end %.2f\n",
		s.dialled, live, len(s.connect), s.abandoned, s.machines, fig.Ratio)
	fmt.Printf("# connect p50 %.2f ms, max %.2f ms (answered to the agent's phone rung)\n", q(0.5), q(1))
	fmt.Printf("power_connect_p99: %.2f ms\n", q(0.99))
	fmt.Printf("abandoned_rate: %.2f %%\n", rate)
	return nil
}

// sim is the telephony plane of the benchmark, in process.
type sim struct {
	ctx   context.Context
	floor *floor.Floor
	wg    sync.WaitGroup

	mu        sync.Mutex
	rnd       *rand.Rand
	answered  map[string]time.Time
	connect   []time.Duration
	dialled   int
	abandoned int
	machines  int
}

func (s *sim) between(lo, hi time.Duration) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return lo + time.Duration(s.rnd.Int64N(int64(hi-lo)))
}

func (s *sim) DialAs(context.Context, int64, *callfloor.Extension, string, string, string) error {
	return fmt.Errorf("the benchmark places no preview calls")
}

func (s *sim) DialCustomer(ctx context.Context, cu b2bua.Customer) (b2bua.Reached, error) {
	s.mu.Lock()
	s.dialled++
	s.mu.Unlock()
	wait := func(d time.Duration) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-ctx.Done():
			return false
		}
	}
	last := cu.Number[len(cu.Number)-1]
	switch last {
	case '5':
		wait(200 * time.Millisecond)
		return b2bua.Reached{}, &b2bua.RingFailure{Reason: b2bua.ReasonRejected, Status: 486}
	case '6':
		wait(8 * time.Second)
		return b2bua.Reached{}, &b2bua.RingFailure{Reason: b2bua.ReasonNoAnswer}
	case '7':
		wait(200 * time.Millisecond)
		return b2bua.Reached{}, &b2bua.RingFailure{Reason: b2bua.ReasonRejected, Status: 503}
	}
	if !wait(s.between(time.Second, 3*time.Second)) {
		return b2bua.Reached{}, &b2bua.RingFailure{Reason: b2bua.ReasonCanceled}
	}
	if last == '8' {
		s.mu.Lock()
		s.machines++
		s.mu.Unlock()
		return b2bua.Reached{Machine: true}, nil
	}
	s.mu.Lock()
	s.answered[cu.CallID] = time.Now()
	s.mu.Unlock()
	return b2bua.Reached{}, nil
}

// Ring is the agent's phone rung: the connect time ends here. The phone
// answers; the agent talks, hangs up and disposes of the call.
func (s *sim) Ring(ctx context.Context, account int64, callID string, ext *callfloor.Extension, _ b2bua.RingOptions) error {
	s.mu.Lock()
	if at, ok := s.answered[callID]; ok {
		s.connect = append(s.connect, time.Since(at))
		delete(s.answered, callID)
	}
	s.mu.Unlock()
	if _, err := s.floor.Do(ctx, account, floor.Answer{Ext: ext.ID, CallID: callID}); err != nil {
		return err
	}
	talk := s.between(5*time.Second, 15*time.Second)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTimer(talk)
		select {
		case <-t.C:
		case <-s.ctx.Done():
			t.Stop()
		}
		bg := context.Background()
		if _, err := s.floor.Do(bg, account, floor.Hangup{Ext: ext.ID, CallID: callID, Reason: "callee_hangup"}); err != nil {
			return
		}
		time.Sleep(time.Second)
		outcome, cat := "Sold", callfloor.CategorySuccess
		if s.between(0, 2) == 1 {
			outcome, cat = "Not interested", callfloor.CategoryFail
		}
		_, _ = s.floor.Do(bg, account, floor.Dispose{Ext: ext.ID, CallID: callID, Category: cat, Outcome: outcome})
	}()
	return nil
}

func (s *sim) Drop(context.Context, int64, string, string) error { return nil }

func (s *sim) Abandon(int64, string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.abandoned++
	return nil
}
