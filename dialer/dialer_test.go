package dialer_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/clocktest"
	"github.com/callfloor/callfloor/dialer"
	"github.com/callfloor/callfloor/floor"
	"github.com/callfloor/callfloor/sip/b2bua"
	"github.com/callfloor/callfloor/sqlite"
	"github.com/callfloor/callfloor/sqlstore"
)

// phones records the calls the dialler asks for. A power campaign's
// customer answers by the number's last digit, as the simulated carrier
// does (5 busy, 6 no answer, 7 unreachable, 8 a machine, else a person),
// once gate lets the call through (nil: at once); a member's phone
// answers at once (the floor hears it, as from the B2BUA) unless
// ringFail.
type phones struct {
	mu    sync.Mutex
	calls []dialled
	fail  error

	floor     *floor.Floor
	gate      chan struct{}
	ringFail  bool
	customers []b2bua.Customer
	rings     []int64 // the members rung, in order
	dropped   []string
	abandoned []string
}

func (p *phones) DialCustomer(ctx context.Context, cu b2bua.Customer) (b2bua.Reached, error) {
	p.mu.Lock()
	p.customers = append(p.customers, cu)
	gate := p.gate
	p.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return b2bua.Reached{}, &b2bua.RingFailure{Reason: b2bua.ReasonCanceled}
		}
	}
	switch cu.Number[len(cu.Number)-1] {
	case '5':
		return b2bua.Reached{}, &b2bua.RingFailure{Reason: b2bua.ReasonRejected, Status: 486}
	case '6':
		return b2bua.Reached{}, &b2bua.RingFailure{Reason: b2bua.ReasonNoAnswer}
	case '7':
		return b2bua.Reached{}, &b2bua.RingFailure{Reason: b2bua.ReasonRejected, Status: 503}
	case '8':
		return b2bua.Reached{Machine: true}, nil
	}
	return b2bua.Reached{}, nil
}

func (p *phones) Ring(ctx context.Context, account int64, callID string, ext *callfloor.Extension, _ b2bua.RingOptions) error {
	p.mu.Lock()
	p.rings = append(p.rings, ext.ID)
	fail := p.ringFail
	p.mu.Unlock()
	if fail {
		return &b2bua.RingFailure{Reason: b2bua.ReasonNoAnswer}
	}
	_, err := p.floor.Do(ctx, account, floor.Answer{Ext: ext.ID, CallID: callID})
	return err
}

func (p *phones) Drop(_ context.Context, _ int64, callID, _ string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropped = append(p.dropped, callID)
	return nil
}

func (p *phones) Abandon(_ int64, callID string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.abandoned = append(p.abandoned, callID)
	return nil
}

// snapshot returns what the phones were asked so far.
func (p *phones) snapshot() (customers []b2bua.Customer, rings []int64, dropped, abandoned []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.customers), slices.Clone(p.rings), slices.Clone(p.dropped), slices.Clone(p.abandoned)
}

type dialled struct {
	ext                      int64
	callID, number, callerID string
}

func (p *phones) DialAs(_ context.Context, _ int64, ext *callfloor.Extension, callID, number, callerID string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return p.fail
	}
	p.calls = append(p.calls, dialled{ext.ID, callID, number, callerID})
	return nil
}

func (p *phones) last(t *testing.T) dialled {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.calls) == 0 {
		t.Fatal("nothing was dialled")
	}
	return p.calls[len(p.calls)-1]
}

func (p *phones) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.calls)
}

// rig is one account with an agent (logged in) in a preview campaign.
type rig struct {
	t      *testing.T
	ctx    context.Context
	st     *sqlstore.Store
	f      *floor.Floor
	clock  *clocktest.Clock
	phones *phones
	d      *dialer.Dialer
	acc    int64
	agent  *callfloor.Extension
	c      *callfloor.Campaign
	list   *callfloor.CampaignList
}

// monday noon in London.
var t0 = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

func newRig(t *testing.T) *rig {
	t.Helper()
	clock := clocktest.New(t0)
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"), sqlstore.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	acc := &callfloor.Account{Name: "acme", TimeZone: "Europe/London", LicenceKind: callfloor.LicenceAgentExtensions, AgentLicences: 5}
	must(t, st.CreateAccount(context.Background(), acc))
	ctx := callfloor.SystemContext(context.Background(), acc.ID)
	agent := &callfloor.Extension{Number: "201", Name: "Agent", SIPUsername: callfloor.NewSIPUsername("201"),
		QueuesFeature: true, Agent: callfloor.DefaultAgentSettings()}
	agent.Agent.Enabled = true
	agent.SetSIPSecret(callfloor.DefaultSIPRealm, callfloor.NewSIPSecret())
	must(t, st.CreateExtension(ctx, agent))
	c := callfloor.NewCampaign("Renewals", callfloor.CampaignPreview)
	c.PreviewSeconds, c.SkipAllowed = 10, true
	c.Members = []callfloor.CampaignMember{{ExtensionID: agent.ID}}
	c.Fields = []callfloor.CustomField{{Name: "policy", Label: "Policy"}}
	c.Outcomes = []callfloor.CampaignOutcome{
		{Outcome: callfloor.Outcome{Category: callfloor.CategorySuccess, Name: "Renewed"}, Next: callfloor.NextDone},
		{Outcome: callfloor.Outcome{Category: callfloor.CategoryFail, Name: "Wrong number"}, Next: callfloor.NextFailNumber},
		{Outcome: callfloor.Outcome{Category: callfloor.CategoryUnsure, Name: "Call me back"}, Next: callfloor.NextCallback, CallbackScope: callfloor.CallbackAgent},
	}
	must(t, st.CreateCampaign(ctx, c))
	list := &callfloor.CampaignList{CampaignID: c.ID, Name: "January", Active: true}
	must(t, st.CreateList(ctx, list))
	f := floor.New(floor.FloorConfig{Journal: st, Snapshots: st, Clock: clock, LoadConfig: floor.StoreConfig(st)})
	t.Cleanup(func() { f.Close() })
	r := &rig{t: t, ctx: ctx, st: st, f: f, clock: clock, phones: &phones{floor: f}, acc: acc.ID, agent: agent, c: c, list: list}
	r.d = r.newDialer()
	r.do(floor.Login{Ext: agent.ID})
	return r
}

func (r *rig) newDialer() *dialer.Dialer {
	return dialer.New(dialer.Config{Store: r.st, Floor: r.f, Phones: r.phones, Journal: r.st, Clock: r.clock})
}

func (r *rig) do(in floor.Input) {
	r.t.Helper()
	if _, err := r.f.Do(context.Background(), r.acc, in); err != nil {
		r.t.Fatalf("%T: %v", in, err)
	}
}

func (r *rig) leads(ls ...*callfloor.Lead) {
	r.t.Helper()
	must(r.t, r.st.CreateLeads(r.ctx, r.list.ID, ls))
}

func (r *rig) lead(id int64) *callfloor.Lead {
	r.t.Helper()
	l, err := r.st.FindLeadByID(r.ctx, id)
	must(r.t, err)
	return l
}

func (r *rig) agentNow() floor.Agent {
	var a floor.Agent
	must(r.t, r.f.View(context.Background(), r.acc, func(s *floor.State, _ *floor.Config) { a = *s.Agent(r.agent.ID) }))
	return a
}

func (r *rig) tick(d time.Duration) {
	r.clock.Advance(d)
	r.d.Tick(context.Background())
}

func lead(name string, prio int, numbers ...string) *callfloor.Lead {
	l := &callfloor.Lead{Name: name, Priority: prio, Fields: map[string]string{"policy": "P-" + name}}
	for _, n := range numbers {
		l.Numbers = append(l.Numbers, callfloor.LeadNumber{Number: n})
	}
	return l
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestPreviewCountdownDialsThenTheOutcomeClosesTheLead: the idle agent is
// shown the best lead; nothing is dialled before the countdown ends;
// then the lead's number is dialled as a campaign call for the agent,
// the attempt counted; the agent's outcome, from the journal, closes it;
// the next round shows the next lead.
func TestPreviewCountdownDialsThenTheOutcomeClosesTheLead(t *testing.T) {
	r := newRig(t)
	low, high := lead("Low", 1, "+442079460601"), lead("High", 9, "+442079460602")
	r.leads(low, high)
	r.tick(0)
	a := r.agentNow()
	if a.Preview == nil || a.Preview.LeadID != high.ID || a.State != callfloor.StatePreview {
		t.Fatalf("agent after the first round: %+v", a)
	}
	if p := r.d.PreviewOf(r.acc, r.agent.ID); p == nil || p.Number != "+442079460602" || !p.DialAt.Equal(t0.Add(10*time.Second)) {
		t.Fatalf("preview %+v", p)
	}
	r.tick(9 * time.Second)
	if r.phones.count() != 0 {
		t.Fatal("dialled before the countdown ended")
	}
	r.tick(time.Second)
	call := r.phones.last(t)
	if call.number != "+442079460602" || call.ext != r.agent.ID {
		t.Fatalf("dialled %+v", call)
	}
	if l := r.lead(high.ID); l.Status != callfloor.LeadActive || l.Attempts != 1 {
		t.Fatalf("lead while dialled: %+v", l)
	}
	a = r.agentNow()
	if len(a.Lines) != 1 || a.Lines[0].Call.LeadID != high.ID || a.Lines[0].Call.Direction != callfloor.DirCampaign {
		t.Fatalf("agent's line %+v", a.Lines)
	}
	// The customer answers, talks, hangs up; the agent disposes.
	r.do(floor.Answer{Ext: r.agent.ID, CallID: call.callID})
	r.do(floor.Hangup{Ext: r.agent.ID, CallID: call.callID, Reason: "callee_hangup"})
	r.do(floor.Dispose{Ext: r.agent.ID, CallID: call.callID, Category: callfloor.CategorySuccess, Outcome: "Renewed"})
	r.tick(time.Second)
	if l := r.lead(high.ID); l.Status != callfloor.LeadDone || l.LastResult != "Renewed" {
		t.Fatalf("lead after its outcome: %+v", l)
	}
	if a := r.agentNow(); a.Preview == nil || a.Preview.LeadID != low.ID {
		t.Fatalf("the next lead is not in preview: %+v", a.Preview)
	}
	// A second new dialler (a restart) reads nothing twice: the lead
	// stays done, and the agent's preview restarts its countdown.
	r.d = r.newDialer()
	r.tick(time.Second)
	if l := r.lead(high.ID); l.Status != callfloor.LeadDone {
		t.Fatalf("lead after a restart: %+v", l)
	}
	if p := r.d.PreviewOf(r.acc, r.agent.ID); p == nil || p.Lead.ID != low.ID || !p.DialAt.Equal(r.clock.Now().Add(10*time.Second)) {
		t.Fatalf("preview after a restart: %+v", p)
	}
}

// TestPreviewSkipDNCAndFailedNumbers: a lead whose number is on the
// do-not-call list is passed over (that number fails); skipping puts the
// lead back with no attempt; a wrong number moves to the lead's next one,
// dialled next by the same agent; an unanswered call retries later.
func TestPreviewSkipDNCAndFailedNumbers(t *testing.T) {
	r := newRig(t)
	dnc, two := lead("DNC", 9, "+442079460609"), lead("Two", 5, "+442079460601", "+447700900001")
	r.leads(dnc, two)
	must(t, r.st.AddDNC(r.ctx, &callfloor.DNCEntry{Number: "+442079460609"}))
	r.tick(0)
	if l := r.lead(dnc.ID); l.Status != callfloor.LeadFailed || !l.Numbers[0].Failed || l.LastResult != "dnc" {
		t.Fatalf("the do-not-call lead %+v", l)
	}
	if a := r.agentNow(); a.Preview == nil || a.Preview.LeadID != two.ID {
		t.Fatalf("preview %+v", a.Preview)
	}
	must(t, r.d.Skip(context.Background(), r.acc, r.agent.ID))
	if l := r.lead(two.ID); l.Status != callfloor.LeadNew || l.Attempts != 0 || !l.NextAt.Equal(r.clock.Now().Add(dialer.SkipRest)) {
		t.Fatalf("a skipped lead %+v", l)
	}
	r.tick(time.Second)
	if a := r.agentNow(); a.Preview != nil {
		t.Fatal("a skipped lead came back at once")
	}
	r.tick(dialer.SkipRest) // shown again: the only one
	must(t, r.d.DialNow(context.Background(), r.acc, r.agent.ID))
	call := r.phones.last(t)
	r.do(floor.Answer{Ext: r.agent.ID, CallID: call.callID})
	r.do(floor.Hangup{Ext: r.agent.ID, CallID: call.callID, Reason: "callee_hangup"})
	r.do(floor.Dispose{Ext: r.agent.ID, CallID: call.callID, Category: callfloor.CategoryFail, Outcome: "Wrong number"})
	r.tick(time.Second)
	// The same round shows it again, to the same agent, with its next
	// number.
	l := r.lead(two.ID)
	if !l.Numbers[0].Failed || l.Status != callfloor.LeadActive || l.LastResult != "Wrong number" || l.CallbackExtID == nil || *l.CallbackExtID != r.agent.ID {
		t.Fatalf("after a wrong number %+v", l)
	}
	if p := r.d.PreviewOf(r.acc, r.agent.ID); p == nil || p.Lead.ID != two.ID || p.Number != "+447700900001" {
		t.Fatalf("the next number is not previewed next: %+v", p)
	}
	// Busy: retried after the campaign's busy delay, no wrap-up.
	must(t, r.d.DialNow(context.Background(), r.acc, r.agent.ID))
	call = r.phones.last(t)
	r.do(floor.Hangup{Ext: r.agent.ID, CallID: call.callID, Reason: "rejected"})
	r.tick(time.Second)
	l = r.lead(two.ID)
	if l.Status != callfloor.LeadRetry || l.NextAt == nil || !l.NextAt.Equal(r.clock.Now().Add(-time.Second).Add(15*time.Minute)) || l.Attempts != 2 {
		t.Fatalf("after busy %+v (now %v)", l, r.clock.Now())
	}
}

// TestNoPreviewOutsideHoursOnHoldOrPaused: outside the calling hours in
// the lead's zone, on campaign hold, paused, or with the campaign on
// hold, nothing is shown.
func TestNoPreviewOutsideHoursOnHoldOrPaused(t *testing.T) {
	r := newRig(t)
	tokyo := lead("Tokyo", 1, "+81312345678")
	tokyo.TimeZone = "Asia/Tokyo" // 21:00 there at t0
	r.leads(tokyo)
	r.tick(0)
	if a := r.agentNow(); a.Preview != nil {
		t.Fatalf("a lead outside its calling hours was shown: %+v", a.Preview)
	}
	london := lead("London", 1, "+442079460601")
	r.leads(london)
	for _, tc := range []struct {
		name       string
		set, unset func()
	}{
		{"campaign on hold", func() { r.setCampaign(func(c *callfloor.Campaign) { c.Active = false }) }, func() { r.setCampaign(func(c *callfloor.Campaign) { c.Active = true }) }},
		{"agent on campaign hold", func() { r.setCampaign(func(c *callfloor.Campaign) { c.Members[0].OnHold = true }) },
			func() { r.setCampaign(func(c *callfloor.Campaign) { c.Members[0].OnHold = false }) }},
		{"agent paused", func() { r.do(floor.Pause{Ext: r.agent.ID, ReasonID: r.reason()}) }, func() { r.do(floor.Unpause{Ext: r.agent.ID}) }},
	} {
		tc.set()
		r.tick(16 * time.Second) // the new lead's zone is known within 15 s
		if a := r.agentNow(); a.Preview != nil {
			t.Fatalf("%s: a lead was shown", tc.name)
		}
		tc.unset()
	}
	r.tick(time.Second)
	if a := r.agentNow(); a.Preview == nil || a.Preview.LeadID != london.ID {
		t.Fatalf("after all: %+v", a.Preview)
	}
}

func (r *rig) setCampaign(fn func(*callfloor.Campaign)) {
	r.t.Helper()
	_, err := r.st.UpdateCampaign(r.ctx, r.c.ID, func(c *callfloor.Campaign) error { fn(c); return nil })
	must(r.t, err)
	must(r.t, r.f.Reload(context.Background(), r.acc))
}

func (r *rig) reason() int64 {
	r.t.Helper()
	reasons, err := r.st.ListPauseReasons(r.ctx)
	must(r.t, err)
	for _, p := range reasons {
		if !p.System {
			return p.ID
		}
	}
	p := &callfloor.PauseReason{Name: "Lunch", Code: 1}
	must(r.t, r.st.CreatePauseReason(r.ctx, p))
	must(r.t, r.f.Reload(context.Background(), r.acc))
	return p.ID
}

// TestALeadLeftActiveIsPutBack: a lead reserved by a dialler that then
// died (no preview, no call on the floor) is put back after a minute.
func TestALeadLeftActiveIsPutBack(t *testing.T) {
	r := newRig(t)
	l := lead("A", 1, "+442079460601")
	r.leads(l)
	_, err := r.st.ReserveLead(r.ctx, l.ID, t0)
	must(t, err)
	r.do(floor.Logoff{Ext: r.agent.ID})
	r.tick(30 * time.Second)
	if got := r.lead(l.ID); got.Status != callfloor.LeadActive {
		t.Fatalf("put back too soon: %+v", got)
	}
	r.tick(31 * time.Second)
	if got := r.lead(l.ID); got.Status != callfloor.LeadRetry || got.LastResult != "lost" {
		t.Fatalf("not put back: %+v", got)
	}
}

// TestAgentHangsUpWhileItRings: the agent gives up on a call before the
// customer answers: no disposition comes, and the lead is retried after
// the campaign's no-answer delay; an answered call the agent hangs up
// gets its outcome from the disposition, which comes after.
func TestAgentHangsUpWhileItRings(t *testing.T) {
	r := newRig(t)
	l := lead("A", 1, "+442079460601")
	r.leads(l)
	r.tick(0)
	must(t, r.d.DialNow(context.Background(), r.acc, r.agent.ID))
	call := r.phones.last(t)
	r.do(floor.Hangup{Ext: r.agent.ID, CallID: call.callID, Reason: "hangup"})
	r.tick(time.Second)
	// Due an hour after the hang-up (at t0).
	got := r.lead(l.ID)
	if got.Status != callfloor.LeadRetry || got.LastResult != "no_answer" || !got.NextAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("after the agent gave up: %+v", got)
	}
	r.tick(time.Hour)
	must(t, r.d.DialNow(context.Background(), r.acc, r.agent.ID))
	call = r.phones.last(t)
	r.do(floor.Answer{Ext: r.agent.ID, CallID: call.callID})
	r.do(floor.Hangup{Ext: r.agent.ID, CallID: call.callID, Reason: "hangup"})
	r.do(floor.Dispose{Ext: r.agent.ID, CallID: call.callID, Category: callfloor.CategorySuccess, Outcome: "Renewed"})
	r.tick(time.Second)
	if got := r.lead(l.ID); got.Status != callfloor.LeadDone || got.Attempts != 2 {
		t.Fatalf("after an answered call and its outcome: %+v", got)
	}
}

// TestMappingsSayWhyNoLeads: the agent's mappings count the leads each of
// their campaigns holds for them, and say why none is given, for each
// reason in turn.
func TestMappingsSayWhyNoLeads(t *testing.T) {
	r := newRig(t)
	codes := func() []string {
		ms, err := r.d.Mappings(context.Background(), r.acc, r.agent.ID)
		must(t, err)
		if len(ms) != 1 {
			t.Fatalf("mappings %+v", ms)
		}
		out := []string{}
		for _, x := range ms[0].Reasons {
			out = append(out, x.Code)
		}
		return out
	}
	want := func(what string, got []string, codes ...string) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(append([]string{}, codes...)) {
			t.Fatalf("%s: reasons %v, want %v", what, got, codes)
		}
	}
	want("an empty list, no trunk", codes(), dialer.ReasonNoLeads, dialer.ReasonNoTrunk)
	tr := callfloor.NewTrunk("Carrier", "127.0.0.1:5999")
	tr.Username, tr.Password = "acme", "trunk-pass-1"
	must(t, r.st.CreateTrunk(r.ctx, tr))
	want("a trunk with no caller ID", codes(), dialer.ReasonNoLeads, dialer.ReasonNoCallerID)
	_, err := r.st.UpdateTrunk(r.ctx, tr.ID, func(x *callfloor.Trunk) error { x.DefaultCallerID = "+441632960000"; return nil })
	must(t, err)
	want("an empty list", codes(), dialer.ReasonNoLeads)
	l := lead("A", 1, "+442079460601")
	r.leads(l)
	r.clock.Advance(20 * time.Second) // the zone cache
	want("a lead", codes())
	ms, _ := r.d.Mappings(context.Background(), r.acc, r.agent.ID)
	if ms[0].Counts.Pool != 1 || ms[0].ActiveLists != 1 {
		t.Fatalf("counts %+v", ms[0])
	}
	r.setCampaign(func(c *callfloor.Campaign) { c.Active, c.Members[0].OnHold = false, true })
	want("on hold", codes(), dialer.ReasonCampaignOnHold, dialer.ReasonAgentOnHold)
	r.setCampaign(func(c *callfloor.Campaign) { c.Active, c.Members[0].OnHold = true, false })
	r.clock.Set(t0.Add(time.Minute))
	_, err = r.st.UpdateLead(r.ctx, l.ID, func(x *callfloor.Lead) error {
		next := t0.Add(time.Hour)
		x.Status, x.NextAt = callfloor.LeadRetry, &next
		return nil
	})
	must(t, err)
	want("a retry later", codes(), dialer.ReasonWaitingRetry)
	r.clock.Set(time.Date(2026, 3, 2, 21, 0, 0, 0, time.UTC)) // 21:00 in London; the retry is due
	want("after hours", codes(), dialer.ReasonOutsideHours)
	_, err = r.st.UpdateList(r.ctx, r.list.ID, func(x *callfloor.CampaignList) error { x.Active = false; return nil })
	must(t, err)
	want("no active list", codes(), dialer.ReasonNoActiveLists)
}

// TestCampaignCallerIDInTurn: campaign calls show the campaign's caller-ID
// pool's numbers in turn.
func TestCampaignCallerIDInTurn(t *testing.T) {
	r := newRig(t)
	pool := &callfloor.CallerIDPool{Name: "Outbound", Numbers: []string{"+441632960001", "+441632960002"}}
	must(t, r.st.CreateCallerIDPool(r.ctx, pool))
	r.setCampaign(func(c *callfloor.Campaign) { c.CallerIDPoolID = &pool.ID })
	r.leads(lead("A", 3, "+442079460601"), lead("B", 2, "+442079460602"), lead("C", 1, "+442079460603"))
	var shown []string
	for range 3 {
		r.tick(time.Second)
		must(t, r.d.DialNow(context.Background(), r.acc, r.agent.ID))
		call := r.phones.last(t)
		shown = append(shown, call.callerID)
		r.do(floor.Hangup{Ext: r.agent.ID, CallID: call.callID, Reason: "rejected"})
	}
	if fmt.Sprint(shown) != "[+441632960001 +441632960002 +441632960001]" {
		t.Fatalf("caller IDs %v", shown)
	}
}

// TestWorksOnlyOwnedAccounts: a cluster node's dialler works the
// campaigns of the accounts it owns only: none shown nor dialled while
// another node owns the account; shown once it is owned here; and what
// it kept of the account is dropped when it is given up, so a later
// return starts from the journal, not from a stale preview.
func TestWorksOnlyOwnedAccounts(t *testing.T) {
	r := newRig(t)
	owned := false
	r.d = dialer.New(dialer.Config{Store: r.st, Floor: r.f, Phones: r.phones, Journal: r.st, Clock: r.clock,
		Owns: func(id int64) bool { return owned && id == r.acc }})
	r.leads(lead("High", 9, "+442079460602"))
	r.tick(0)
	if a := r.agentNow(); a.Preview != nil {
		t.Fatalf("a lead shown for an account another node owns: %+v", a.Preview)
	}
	owned = true
	r.tick(time.Second)
	if p := r.d.PreviewOf(r.acc, r.agent.ID); p == nil || p.Number != "+442079460602" {
		t.Fatalf("no preview once the account is owned here: %+v", p)
	}
	owned = false
	r.tick(time.Second)
	if p := r.d.PreviewOf(r.acc, r.agent.ID); p != nil {
		t.Fatalf("the preview of an account given up is still kept: %+v", p)
	}
	r.tick(20 * time.Second)
	if r.phones.count() != 0 {
		t.Fatal("dialled a lead of an account another node owns")
	}
}
