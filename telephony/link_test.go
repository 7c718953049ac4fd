package telephony

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/floor"
	"github.com/callfloor/callfloor/sip/b2bua"
	"github.com/callfloor/callfloor/sqlite"
	"github.com/callfloor/callfloor/sqlstore"
)

type rig struct {
	t                 *testing.T
	f                 *floor.Floor
	link              *Link
	acc               int64
	alice, bob, plain *callfloor.Extension
	lunch             int64
	store             callfloor.Journal
	st                callfloor.Store
}

// newRig is an account with two agents (alice 201, bob 202) and a plain
// extension (300), on a real store and floor.
func newRig(t *testing.T) *rig {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	acc := &callfloor.Account{Name: "acme", TimeZone: "UTC", LicenceKind: callfloor.LicenceAgentExtensions, AgentLicences: 5}
	if err := st.CreateAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	sctx := callfloor.SystemContext(ctx, acc.ID)
	r := &rig{t: t, acc: acc.ID, store: st, st: st}
	mk := func(num string, agent bool) *callfloor.Extension {
		e := &callfloor.Extension{Number: num, Agent: callfloor.DefaultAgentSettings(), SIPUsername: callfloor.NewSIPUsername(num)}
		e.Agent.Enabled = agent
		e.SetSIPSecret("callfloor", "secret-123456")
		if err := st.CreateExtension(sctx, e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	r.alice, r.bob, r.plain = mk("201", true), mk("202", true), mk("300", false)
	p := &callfloor.PauseReason{Name: "Lunch", Code: 1}
	if err := st.CreatePauseReason(sctx, p); err != nil {
		t.Fatal(err)
	}
	r.lunch = p.ID
	r.f = floor.New(floor.FloorConfig{Journal: st, Clock: callfloor.SystemClock{}, LoadConfig: floor.StoreConfig(st)})
	t.Cleanup(r.f.Close)
	r.link = NewLink(r.f, nil)
	t.Cleanup(r.link.Close)
	return r
}

func (r *rig) do(in floor.Input) {
	r.t.Helper()
	if _, err := r.f.Do(context.Background(), r.acc, in); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) state(ext int64) callfloor.AgentState {
	var st callfloor.AgentState
	r.f.View(context.Background(), r.acc, func(s *floor.State, _ *floor.Config) { st = s.Agent(ext).State })
	return st
}

// waitState waits for the link's goroutine to bring ext to want.
func (r *rig) waitState(ext int64, want callfloor.AgentState) {
	r.t.Helper()
	for deadline := time.Now().Add(3 * time.Second); r.state(ext) != want; time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			r.t.Fatalf("extension %d is %s, want %s", ext, r.state(ext), want)
		}
	}
}

func (r *rig) admit(id string, from, to *callfloor.Extension) error {
	_, err := r.link.Admit(context.Background(), b2bua.Admission{Kind: b2bua.KindCall, CallID: id, AccountID: r.acc, Caller: from, Callee: to, Number: to.Number})
	return err
}

func TestCallBetweenAgentsFollowsOnTheFloor(t *testing.T) {
	r := newRig(t)
	r.do(floor.Login{Ext: r.alice.ID})
	r.do(floor.Login{Ext: r.bob.ID})
	if err := r.admit("c1", r.alice, r.bob); err != nil {
		t.Fatal(err)
	}
	if a, b := r.state(r.alice.ID), r.state(r.bob.ID); a != callfloor.StateOnCall || b != callfloor.StateRinging {
		t.Fatalf("after admission: alice %s, bob %s", a, b)
	}
	r.link.OnEvent(b2bua.Event{Kind: b2bua.Answered, CallID: "c1", AccountID: r.acc, From: r.alice.ID, To: r.bob.ID})
	r.waitState(r.bob.ID, callfloor.StateOnCall)
	r.link.OnEvent(b2bua.Event{Kind: b2bua.Ended, CallID: "c1", AccountID: r.acc, From: r.alice.ID, To: r.bob.ID, Reason: b2bua.ReasonCallerHangup})
	r.waitState(r.bob.ID, callfloor.StateIdle)
	r.waitState(r.alice.ID, callfloor.StateIdle)

	// The call's steps are in the journal, durable.
	// Records go in before the agents' inputs of the same call event, so
	// they are in once both agents are idle.
	evs, err := r.store.ReadEvents(context.Background(), r.acc, 0, 1000)
	if err != nil {
		r.t.Fatal(err)
	}
	var steps []string
	for _, e := range evs {
		if e.Type == callfloor.EventCallRecord && e.Record.CallID == "c1" {
			steps = append(steps, e.Record.Step+":"+e.Record.Reason)
		}
	}
	if got := strings.Join(steps, ","); got != "answered:,ended:"+b2bua.ReasonCallerHangup {
		t.Fatalf("journaled call records %q", got)
	}
}

func TestFloorRulesRefuseCalls(t *testing.T) {
	r := newRig(t)
	refusal := func(err error) int {
		var ref *b2bua.Refusal
		if !errors.As(err, &ref) {
			t.Fatalf("err %v is not a refusal", err)
		}
		return ref.Status
	}
	// A logged-off agent cannot call out.
	if s := refusal(r.admit("c1", r.alice, r.bob)); s != sip.StatusForbidden {
		t.Fatalf("logged-off caller: %d", s)
	}
	// A paused callee does not ring, and the caller's line ends with it.
	r.do(floor.Login{Ext: r.alice.ID})
	r.do(floor.Login{Ext: r.bob.ID})
	r.do(floor.Pause{Ext: r.bob.ID, ReasonID: r.lunch})
	if s := refusal(r.admit("c2", r.alice, r.bob)); s != sip.StatusTemporarilyUnavailable {
		t.Fatalf("paused callee: %d", s)
	}
	if st := r.state(r.alice.ID); st != callfloor.StateIdle {
		t.Fatalf("caller after a refused call: %s", st)
	}
	// A busy callee answers busy.
	r.do(floor.Unpause{Ext: r.bob.ID})
	if err := r.admit("c3", r.plain, r.bob); err != nil {
		t.Fatal(err)
	}
	if s := refusal(r.admit("c4", r.alice, r.bob)); s != sip.StatusBusyHere {
		t.Fatalf("busy callee: %d", s)
	}
	// Extensions that are not agents are not the floor's business.
	if err := r.admit("c5", r.plain, r.alice); err != nil {
		t.Fatalf("plain extension calling an idle agent: %v", err)
	}
}

func TestHoldAndTransferFollowOnTheFloor(t *testing.T) {
	r := newRig(t)
	r.do(floor.Login{Ext: r.alice.ID})
	r.do(floor.Login{Ext: r.bob.ID})
	if err := r.admit("c1", r.plain, r.alice); err != nil {
		t.Fatal(err)
	}
	r.link.OnEvent(b2bua.Event{Kind: b2bua.Answered, CallID: "c1", AccountID: r.acc, Parties: []int64{r.alice.ID}})
	r.waitState(r.alice.ID, callfloor.StateOnCall)

	r.link.OnEvent(b2bua.Event{Kind: b2bua.Held, CallID: "c1", AccountID: r.acc, Ext: r.alice.ID, Held: true})
	r.waitFor("alice's line held", func(st *floor.State) bool {
		a := st.Agent(r.alice.ID)
		return len(a.Lines) == 1 && a.Lines[0].Held
	})

	// Alice transfers the call to Bob: Bob is offered it, Alice leaves,
	// Bob joins.
	adm, err := r.link.Admit(context.Background(), b2bua.Admission{Kind: b2bua.KindTransfer, CallID: "c1", AccountID: r.acc,
		Caller: r.alice, Callee: r.bob, Number: r.bob.Number})
	if err != nil {
		t.Fatal(err)
	}
	if adm.AutoAnswer {
		t.Fatal("auto answer for an agent whose Agent tab says off")
	}
	if st := r.state(r.bob.ID); st != callfloor.StateRinging {
		t.Fatalf("transfer target %s, want ringing", st)
	}
	r.link.OnEvent(b2bua.Event{Kind: b2bua.Left, CallID: "c1", AccountID: r.acc, Ext: r.alice.ID, Reason: b2bua.ReasonTransferred})
	r.link.OnEvent(b2bua.Event{Kind: b2bua.Joined, CallID: "c1", AccountID: r.acc, Ext: r.bob.ID})
	r.waitState(r.alice.ID, callfloor.StateIdle)
	r.waitState(r.bob.ID, callfloor.StateOnCall)

	// A transfer to a paused agent is refused with the floor's code.
	r.do(floor.Pause{Ext: r.alice.ID, ReasonID: r.lunch})
	_, err = r.link.Admit(context.Background(), b2bua.Admission{Kind: b2bua.KindTransfer, CallID: "c1", AccountID: r.acc,
		Caller: r.bob, Callee: r.alice, Number: r.alice.Number})
	var ref *b2bua.Refusal
	if !errors.As(err, &ref) || ref.Code != callfloor.ErrAgentPaused {
		t.Fatalf("transfer to a paused agent: %v", err)
	}
	if st := r.state(r.bob.ID); st != callfloor.StateOnCall {
		t.Fatalf("the transferring agent's call ended: %s", st)
	}
}

// waitFor waits until cond holds on the floor.
func (r *rig) waitFor(what string, cond func(*floor.State) bool) {
	r.t.Helper()
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		ok := false
		if err := r.f.View(context.Background(), r.acc, func(st *floor.State, _ *floor.Config) { ok = cond(st) }); err != nil {
			r.t.Fatal(err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestSettleWaitsForTheFloor: once Settle returns, the events queued
// before it are on the floor, so a control's answer shows their effect.
func TestSettleWaitsForTheFloor(t *testing.T) {
	r := newRig(t)
	r.do(floor.Login{Ext: r.alice.ID})
	if err := r.admit("c1", r.plain, r.alice); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i, held := range []bool{true, false, true} {
		if i == 0 {
			r.link.OnEvent(b2bua.Event{Kind: b2bua.Answered, CallID: "c1", AccountID: r.acc, Parties: []int64{r.alice.ID}})
		}
		r.link.OnEvent(b2bua.Event{Kind: b2bua.Held, CallID: "c1", AccountID: r.acc, Ext: r.alice.ID, Held: held})
		if err := r.link.Settle(ctx); err != nil {
			t.Fatal(err)
		}
		var got *floor.Line
		r.f.View(ctx, r.acc, func(s *floor.State, _ *floor.Config) {
			if a := s.Agent(r.alice.ID); len(a.Lines) == 1 {
				l := *a.Lines[0]
				got = &l
			}
		})
		if got == nil || !got.Answered || got.Held != held {
			t.Fatalf("after settling hold=%v: line %+v", held, got)
		}
	}
	// With nothing queued it returns at once; a done context stops a wait.
	if err := r.link.Settle(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestCallToAnAccountOwnedElsewhere: on a cluster node that does not own
// the account (the SIP proxy's owner cache is behind a move), a call is
// refused with 503, on which the proxy tries another node, not 403.
func TestCallToAnAccountOwnedElsewhere(t *testing.T) {
	r := newRig(t)
	f := floor.New(floor.FloorConfig{Journal: r.store, Clock: callfloor.SystemClock{}, Owned: true,
		LoadConfig: func(context.Context, int64) (*floor.Config, error) { return nil, errors.New("never: no engine starts") }})
	t.Cleanup(f.Close)
	link := NewLink(f, nil)
	t.Cleanup(link.Close)
	_, err := link.Admit(context.Background(), b2bua.Admission{Kind: b2bua.KindCall, CallID: "c1", AccountID: r.acc, Caller: r.alice, Callee: r.bob, Number: r.bob.Number})
	var ref *b2bua.Refusal
	if !errors.As(err, &ref) || ref.Status != sip.StatusServiceUnavailable || ref.Code != callfloor.ErrNotOwner {
		t.Fatalf("admission on a node that does not own the account: %v", err)
	}
	_, err = link.Admit(context.Background(), b2bua.Admission{Kind: b2bua.KindCall, CallID: "c2", AccountID: r.acc, Callee: r.bob, Number: r.bob.Number})
	if !errors.As(err, &ref) || ref.Status != sip.StatusServiceUnavailable {
		t.Fatalf("an inbound call on a node that does not own the account: %v", err)
	}
}
