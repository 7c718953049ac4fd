package floor

import (
	"strings"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

// TestNotesCarryIntoTheDisposition: notes and tags typed during a call
// go with it into wrap-up and into the disposition, unless the agent
// writes others there; the system's timeout keeps them too.
func TestNotesCarryIntoTheDisposition(t *testing.T) {
	onCall := []Input{Login{Ext: agentA}, Offer{Ext: agentA, Call: salesCall("c1")}, Answer{Ext: agentA, CallID: "c1"}}
	note := func(n string, tags ...string) Notes { return Notes{Ext: agentA, CallID: "c1", Notes: n, Tags: tags} }

	t.Run("kept when the disposition has none", func(t *testing.T) {
		f := newFloor(t)
		f.do(onCall...)
		f.do(note("first thought"), note("wants a quote", "quote", "vip"))
		if l := f.s.Agent(agentA).line("c1"); l.Notes == nil || l.Notes.Notes != "wants a quote" || len(l.Notes.Tags) != 2 {
			t.Fatalf("line notes %+v", l.Notes)
		}
		f.do(Hangup{Ext: agentA, CallID: "c1"})
		if w := f.s.Agent(agentA).Wrapups[0]; w.Notes == nil || w.Notes.Notes != "wants a quote" {
			t.Fatalf("wrap-up notes %+v", w.Notes)
		}
		evs := f.do(Dispose{Ext: agentA, CallID: "c1", Category: callfloor.CategorySuccess, Outcome: "Sale"})
		if d := evs[0].Disposition; d.Notes != "wants a quote" || strings.Join(d.Tags, ",") != "quote,vip" {
			t.Fatalf("disposition %+v", d)
		}
	})
	t.Run("replaced by the disposition's own", func(t *testing.T) {
		f := newFloor(t)
		f.do(onCall...)
		f.do(note("draft", "x"), Hangup{Ext: agentA, CallID: "c1"}, note("in wrap-up", "y"))
		evs := f.do(Dispose{Ext: agentA, CallID: "c1", Category: callfloor.CategorySuccess, Outcome: "Sale", Notes: "final", Tags: []string{"z"}})
		if d := evs[0].Disposition; d.Notes != "final" || strings.Join(d.Tags, ",") != "z" {
			t.Fatalf("disposition %+v", d)
		}
	})
	t.Run("kept by the wrap-up timeout", func(t *testing.T) {
		f := newFloor(t)
		f.do(onCall...)
		f.do(note("left a message", "callback"), Hangup{Ext: agentA, CallID: "c1"})
		evs := f.advance(time.Hour)
		if len(evs) == 0 || evs[0].Disposition == nil || evs[0].Disposition.Notes != "left a message" || evs[0].Disposition.Outcome != callfloor.NoAgentSubmission {
			t.Fatalf("events %s", types(evs))
		}
	})
	t.Run("refused", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			in   Notes
			code string
		}{
			{"no such call", Notes{Ext: agentA, CallID: "zz"}, callfloor.ErrUnknownCall},
			{"too long", Notes{Ext: agentA, CallID: "c1", Notes: strings.Repeat("x", MaxNotes+1)}, callfloor.ErrInvalidField},
			{"empty tag", Notes{Ext: agentA, CallID: "c1", Tags: []string{""}}, callfloor.ErrInvalidField},
			{"too many tags", Notes{Ext: agentA, CallID: "c1", Tags: make([]string, MaxTags+1)}, callfloor.ErrInvalidField},
		} {
			f := newFloor(t)
			f.do(onCall...)
			if _, err := Step(f.cfg, f.s, tt.in, f.now); callfloor.ErrorCode(err) != tt.code {
				t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
			}
		}
	})
}
