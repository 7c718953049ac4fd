package floor

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

// TestRandomSequences drives the engine with random inputs in every order
// (offers, answers, holds, hangups, transfers, dials, pauses, logoffs,
// dispositions, previews, wrap-up timeouts, midnights) and checks that every
// call ends with exactly one record and at most one disposition, that no
// agent stays stuck, and that replaying the events rebuilds the same state.
func TestRandomSequences(t *testing.T) {
	for seed := uint64(1); seed <= 300; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { randomRun(t, seed, 250) })
	}
}

func randomRun(t *testing.T, seed uint64, steps int) {
	r := rand.New(rand.NewPCG(seed, 42))
	f := newFloor(t)
	agents := []int64{agentA, agentB, agentC}
	calls := 0
	pick := func(a *Agent) string {
		if len(a.Lines) == 0 {
			return "none"
		}
		return a.Lines[r.IntN(len(a.Lines))].Call.ID
	}
	for i := 0; i < steps; i++ {
		ext := agents[r.IntN(len(agents))]
		a := f.s.Agent(ext)
		var in Input
		switch r.IntN(16) {
		case 0:
			in = Login{Ext: ext}
		case 1:
			in = Logoff{Ext: ext, Force: r.IntN(3) == 0}
		case 2:
			in = Pause{Ext: ext, ReasonID: []int64{lunch, training}[r.IntN(2)]}
		case 3:
			if r.IntN(4) == 0 {
				in = SystemPause{Ext: ext, Reason: "Missed calls"} // the ACD's
			} else {
				in = Unpause{Ext: ext}
			}
		case 4, 5:
			calls++
			q := []int64{salesQ, supportQ}[r.IntN(2)]
			in = Offer{Ext: ext, Call: callfloor.CallRef{ID: fmt.Sprintf("q%d", calls), Direction: callfloor.DirQueueIn, QueueID: q}}
		case 6:
			in = Answer{Ext: ext, CallID: pick(a)}
		case 7:
			switch r.IntN(3) {
			case 0:
				in = Hold{Ext: ext, CallID: pick(a), Held: r.IntN(2) == 0}
			case 1:
				in = Mute{Ext: ext, CallID: pick(a), Muted: r.IntN(2) == 0}
			default:
				in = Notes{Ext: ext, CallID: pick(a), Notes: fmt.Sprintf("note %d", r.IntN(100)), Tags: []string{"t"}}
			}
		case 8, 9:
			reason := []string{"agent", "remote", "transferred"}[r.IntN(3)]
			in = Hangup{Ext: ext, CallID: pick(a), Reason: reason}
		case 10:
			calls++
			in = Dial{Ext: ext, CallID: fmt.Sprintf("d%d", calls), Number: "+441632960123", Internal: r.IntN(2) == 0}
		case 11:
			callID := "none"
			if len(a.Wrapups) > 0 {
				callID = a.Wrapups[r.IntN(len(a.Wrapups))].Call.ID
			}
			for id, inc := range f.s.Incomplete {
				if inc.ExtensionID == ext && r.IntN(4) == 0 {
					callID = id
				}
			}
			in = Dispose{Ext: ext, CallID: callID, Category: callfloor.CategorySuccess, Outcome: "Sale"}
		case 12:
			in = StartPreview{Ext: ext, LeadID: int64(i), CampaignID: 3}
		case 13:
			in = EndPreview{Ext: ext}
		case 14:
			if r.IntN(2) == 0 {
				in = SetAutoAnswer{Ext: ext, On: r.IntN(2) == 0}
			} else {
				in = Phone{Ext: ext, Softphone: r.IntN(2) == 0, Browser: r.IntN(3) == 0}
			}
		default:
			// time passes: seconds, a wrap-up timeout, or past midnight
			d := []time.Duration{time.Second, 30 * time.Second, 2 * time.Minute, 70 * time.Minute, 11 * time.Hour}[r.IntN(5)]
			f.advance(d)
			checkInvariants(t, f)
			continue
		}
		before := snapshot(f.s)
		evs, err := Step(f.cfg, f.s, in, f.now)
		if err != nil && !reflect.DeepEqual(before, snapshot(f.s)) {
			t.Fatalf("step %d: refused %T changed the state", i, in)
		}
		f.log = append(f.log, evs...)
		checkInvariants(t, f)
	}
	// Wind down: every call ends, time passes; nobody may stay busy.
	for _, ext := range agents {
		for _, l := range append([]*Line(nil), f.s.Agent(ext).Lines...) {
			f.do(Hangup{Ext: ext, CallID: l.Call.ID, Reason: "remote"})
		}
	}
	f.advance(2 * time.Hour)
	for _, ext := range agents {
		switch st := f.s.Agent(ext).State; st {
		case callfloor.StateRinging, callfloor.StateOnCall, callfloor.StateWrapup:
			t.Fatalf("agent %d stuck in %s", ext, st)
		}
	}
	checkRecords(t, f)
	replayed := NewState(t0, london)
	for i := range f.log {
		ev := f.log[i]
		replayed.Apply(&ev)
	}
	if !reflect.DeepEqual(snapshot(replayed), snapshot(f.s)) {
		t.Fatalf("replaying %d events did not rebuild the state", len(f.log))
	}
}

// snapshot renders a state, following pointers, for comparison.
func snapshot(s *State) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func checkInvariants(t *testing.T, f *floorIn) {
	t.Helper()
	for _, a := range f.s.Agents {
		if a.State != a.derive() {
			t.Fatalf("agent %d: state %s but facts say %s", a.ExtensionID, a.State, a.derive())
		}
		if !a.LoggedIn && (len(a.Lines) > 0 || len(a.Wrapups) > 0 || a.Pause != nil || a.Preview != nil) {
			t.Fatalf("logged-off agent %d still has %+v", a.ExtensionID, *a)
		}
		if a.Pause != nil && len(a.Lines) > 0 {
			t.Fatalf("paused agent %d has a call", a.ExtensionID)
		}
	}
}

// checkRecords: every call that reached an agent ended exactly once, and
// every answered call from a source with dispositions got exactly one.
func checkRecords(t *testing.T, f *floorIn) {
	t.Helper()
	started, ended, answered, disposed := map[string]bool{}, map[string]int{}, map[string]bool{}, map[string]int{}
	for _, e := range f.log {
		switch e.Type {
		case callfloor.EventCallOffered, callfloor.EventDialRequested:
			started[e.Call.ID] = true
		case callfloor.EventCallAnswered:
			answered[e.Call.ID] = true
		case callfloor.EventCallEnded:
			ended[e.Call.ID]++
		case callfloor.EventDisposition:
			disposed[e.Disposition.CallID]++
		}
	}
	for id := range started {
		if ended[id] != 1 {
			t.Fatalf("call %s ended %d times", id, ended[id])
		}
	}
	for id, n := range disposed {
		if n != 1 {
			t.Fatalf("call %s has %d dispositions", id, n)
		}
	}
	for id := range answered {
		if id[0] == 'q' && disposed[id] == 0 && f.cfg.Queues[salesQ] != nil && isSales(f, id) {
			t.Fatalf("answered sales call %s has no disposition record", id)
		}
	}
}

func isSales(f *floorIn, id string) bool {
	for _, e := range f.log {
		if e.Call != nil && e.Call.ID == id {
			return e.Call.QueueID == salesQ
		}
	}
	return false
}
