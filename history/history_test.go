package history

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/sqlite"
	"github.com/callfloor/callfloor/sqlstore"
)

var t0 = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

// day is a realistic stretch of one account's journal: a queue call
// with notes and a disposition, a call out, an internal call that rang
// out, a wrap-up that timed out and was completed later, and events that
// are no call's.
func day(account int64) []callfloor.Event {
	q := &callfloor.CallRef{ID: "q1", Direction: callfloor.DirQueueIn, QueueID: 9, From: "+441632960042", To: "600"}
	out := &callfloor.CallRef{ID: "o1", Direction: callfloor.DirExternalOut, QueueID: 90, From: "203", To: "07700900001"}
	in := &callfloor.CallRef{ID: "i1", Direction: callfloor.DirInternalIn, From: "204", To: "203"}
	q2 := &callfloor.CallRef{ID: "q2", Direction: callfloor.DirQueueIn, QueueID: 9, From: "+441632960043", To: "600"}
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	evs := []callfloor.Event{
		{Type: callfloor.EventLoggedIn, ExtensionID: 7, At: at(0)},
		{Type: callfloor.EventCallOffered, ExtensionID: 7, At: at(10), Call: q},
		{Type: callfloor.EventCallAnswered, ExtensionID: 7, At: at(12), Call: q},
		{Type: callfloor.EventCallNotes, ExtensionID: 7, At: at(20), Call: q, Notes: &callfloor.CallNotes{Notes: "draft", Tags: []string{}}},
		{Type: callfloor.EventCallNotes, ExtensionID: 7, At: at(30), Call: q, Notes: &callfloor.CallNotes{Notes: "wants a quote", Tags: []string{"quote"}}},
		{Type: callfloor.EventCallRecord, At: at(31), Record: &callfloor.CallRecord{CallID: "q1", Step: "held"}},
		{Type: callfloor.EventCallEnded, ExtensionID: 7, At: at(70), Call: q, EndReason: "remote"},
		{Type: callfloor.EventWrapupStarted, ExtensionID: 7, At: at(70), Call: q},
		{Type: callfloor.EventDisposition, ExtensionID: 7, At: at(80), Call: q, Disposition: &callfloor.Disposition{CallID: "q1",
			Category: callfloor.CategorySuccess, Outcome: "Sale", Notes: "wants a quote", Tags: []string{"quote"}}},
		{Type: callfloor.EventDialRequested, ExtensionID: 7, At: at(100), Call: out},
		{Type: callfloor.EventCallAnswered, ExtensionID: 7, At: at(105), Call: out},
		{Type: callfloor.EventCallEnded, ExtensionID: 7, At: at(125), Call: out, EndReason: "agent"},
		{Type: callfloor.EventCallOffered, ExtensionID: 7, At: at(200), Call: in},
		{Type: callfloor.EventCallEnded, ExtensionID: 7, At: at(215), Call: in, EndReason: "no_answer"},
		{Type: callfloor.EventCallOffered, ExtensionID: 7, At: at(300), Call: q2},
		{Type: callfloor.EventCallAnswered, ExtensionID: 7, At: at(301), Call: q2},
		{Type: callfloor.EventCallEnded, ExtensionID: 7, At: at(330), Call: q2, EndReason: "remote"},
		{Type: callfloor.EventDisposition, ExtensionID: 7, At: at(390), Call: q2, Disposition: &callfloor.Disposition{CallID: "q2",
			Category: callfloor.CategoryUnsure, Outcome: callfloor.NoAgentSubmission, Incomplete: true}},
		{Type: callfloor.EventPaused, ExtensionID: 7, At: at(400)},
		{Type: callfloor.EventDispositionLater, ExtensionID: 7, At: at(500), Call: q2, Disposition: &callfloor.Disposition{CallID: "q2",
			Category: callfloor.CategoryFail, Outcome: "Wrong number", Notes: "not our customer"}},
	}
	for i := range evs {
		evs[i].AccountID, evs[i].Seq = account, int64(i+1)
	}
	return evs
}

func fold(evs []callfloor.Event) Rows {
	rows := Rows{}
	for i := range evs {
		Fold(rows, &evs[i])
	}
	return rows
}

func TestFold(t *testing.T) {
	rows := fold(day(1))
	if len(rows) != 4 {
		t.Fatalf("%d rows, want one per call", len(rows))
	}
	at := func(s int) *time.Time { v := t0.Add(time.Duration(s) * time.Second); return &v }
	for _, tt := range []struct {
		id   string
		want callfloor.CallRow
	}{
		{"q1", callfloor.CallRow{Direction: callfloor.DirQueueIn, Number: "+441632960042", QueueID: 9, Start: t0.Add(10 * time.Second),
			AnsweredAt: at(12), EndedAt: at(70), EndReason: "remote", Category: callfloor.CategorySuccess, Outcome: "Sale",
			Notes: "wants a quote", Tags: []string{"quote"}}},
		{"o1", callfloor.CallRow{Direction: callfloor.DirExternalOut, Number: "07700900001", QueueID: 90, Start: t0.Add(100 * time.Second),
			AnsweredAt: at(105), EndedAt: at(125), EndReason: "agent", Tags: []string{}}},
		{"i1", callfloor.CallRow{Direction: callfloor.DirInternalIn, Number: "204", Start: t0.Add(200 * time.Second),
			EndedAt: at(215), EndReason: "no_answer", Tags: []string{}}},
		{"q2", callfloor.CallRow{Direction: callfloor.DirQueueIn, Number: "+441632960043", QueueID: 9, Start: t0.Add(300 * time.Second),
			AnsweredAt: at(301), EndedAt: at(330), EndReason: "remote", Category: callfloor.CategoryFail, Outcome: "Wrong number",
			Notes: "not our customer", Tags: []string{}}},
	} {
		got := *rows[callfloor.CallKey{ExtensionID: 7, CallID: tt.id}]
		got.AccountID, got.ExtensionID, got.CallID, got.Seq = 0, 0, "", 0
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(tt.want)
		if string(g) != string(w) {
			t.Errorf("%s:\n got %s\nwant %s", tt.id, g, w)
		}
	}
	// Before it was completed, the timed-out wrap-up was incomplete.
	partial := fold(day(1)[:18])
	if r := partial[callfloor.CallKey{ExtensionID: 7, CallID: "q2"}]; !r.Incomplete || r.Outcome != callfloor.NoAgentSubmission {
		t.Fatalf("timed-out row %+v", r)
	}
}

func openStore(t *testing.T) *sqlstore.Store {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func list(t *testing.T, st *sqlstore.Store, account int64) string {
	t.Helper()
	rows, err := st.ListCallRows(context.Background(), account, callfloor.CallFilter{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rows)
	return string(b)
}

// TestProjectorIncrementalEqualsRebuild: catching up event by event, in
// one go, by two projectors at once, or rebuilt from nothing, the rows
// are the same, and they are the pure fold's.
func TestProjectorIncrementalEqualsRebuild(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	acc := &callfloor.Account{Name: "acme", TimeZone: "Europe/London"}
	if err := st.CreateAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	evs := day(acc.ID)
	p := New(st)
	for i := range evs {
		if err := st.AppendEvents(ctx, acc.ID, evs[i:i+1]); err != nil {
			t.Fatal(err)
		}
		if err := p.CatchUp(ctx, acc.ID); err != nil {
			t.Fatal(err)
		}
	}
	incremental := list(t, st, acc.ID)
	if cur, _ := st.CallHistoryCursor(ctx, acc.ID); cur.Seq != int64(len(evs)) || cur.TimeZone != "Europe/London" {
		t.Fatalf("cursor %+v, want %d in Europe/London", cur, len(evs))
	}

	if err := p.Rebuild(ctx, acc.ID); err != nil {
		t.Fatal(err)
	}
	if got := list(t, st, acc.ID); got != incremental {
		t.Fatalf("rebuilt:\n%s\nincremental:\n%s", got, incremental)
	}

	// Two projectors (two servers) catching up at once agree.
	if err := st.ResetCallHistory(ctx, acc.ID); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if err := New(st).CatchUp(ctx, acc.ID); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := list(t, st, acc.ID); got != incremental {
		t.Fatalf("concurrent:\n%s\nincremental:\n%s", got, incremental)
	}

	var want []*callfloor.CallRow
	pure := fold(evs)
	stored, _ := st.ListCallRows(ctx, acc.ID, callfloor.CallFilter{})
	for _, r := range stored {
		want = append(want, pure[callfloor.CallKey{ExtensionID: r.ExtensionID, CallID: r.CallID}])
	}
	if w, _ := json.Marshal(want); string(w) != incremental {
		t.Fatalf("stored rows differ from the fold:\n%s\n%s", incremental, w)
	}
}

// TestApplyRollups: the rollup changes Apply returns, batch after batch,
// add up to the final rows' counts by local date, whatever the batches.
func TestApplyRollups(t *testing.T) {
	evs := day(1)
	// From 23:59:40 in London: the first call is on the 3rd, the
	// others on the 4th.
	for i := range evs {
		evs[i].At = evs[i].At.Add(14*time.Hour + 59*time.Minute + 40*time.Second)
	}
	london, _ := time.LoadLocation("Europe/London")
	want := map[callfloor.DayCount]int{}
	for _, r := range fold(evs) {
		if d, ok := DayOf(r, london); ok {
			want[d]++
		}
	}
	if len(want) != 2 {
		t.Fatalf("rollup lines %v, want the two calls disposed of, on two dates", want)
	}
	for _, size := range []int{1, 3, 7, len(evs)} {
		rows, got := Rows{}, map[callfloor.DayCount]int{}
		for start := 0; start < len(evs); start += size {
			// The rows as a store would give them back: copies.
			stored := Rows{}
			for k, r := range rows {
				c := *r
				stored[k] = &c
			}
			out, days := Apply(stored, evs[start:min(start+size, len(evs))], london)
			for _, r := range out {
				rows[callfloor.CallKey{ExtensionID: r.ExtensionID, CallID: r.CallID}] = r
			}
			for _, d := range days {
				n := d.Calls
				d.Calls = 0
				if got[d] += n; got[d] == 0 {
					delete(got, d)
				}
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("batches of %d: %v, want %v", size, got, want)
		}
	}
}

// TestLate: an agent's event dated before the latest event's date came
// late; the floor's own events (no agent) and events of the same date in
// any order do not.
func TestLate(t *testing.T) {
	london, _ := time.LoadLocation("Europe/London")
	at := func(day, hour int) time.Time { return time.Date(2026, 12, day, hour, 0, 0, 0, time.UTC) }
	ev := func(seq int64, ext int64, t time.Time) callfloor.Event {
		return callfloor.Event{Seq: seq, ExtensionID: ext, At: t, Type: callfloor.EventPaused}
	}
	for _, tt := range []struct {
		name     string
		cur      callfloor.HistoryCursor
		evs      []callfloor.Event
		last     time.Time
		lateSeq  int64
		lateFrom string
	}{
		{"in order", callfloor.HistoryCursor{}, []callfloor.Event{ev(1, 7, at(3, 9)), ev(2, 7, at(3, 10)), ev(3, 8, at(4, 0))}, at(4, 0), 0, ""},
		{"same date, out of order", callfloor.HistoryCursor{Seq: 3, LastAt: at(3, 12)}, []callfloor.Event{ev(4, 7, at(3, 11))}, at(3, 12), 0, ""},
		{"a date before", callfloor.HistoryCursor{Seq: 3, LastAt: at(4, 0), LateSeq: 1},
			[]callfloor.Event{ev(4, 7, at(3, 23)), ev(5, 0, at(2, 23)), ev(6, 8, at(2, 22)), ev(7, 7, at(4, 1))}, at(4, 1), 6, "2026-12-02"},
		{"late in the batch", callfloor.HistoryCursor{Seq: 3, LastAt: at(2, 9), LateSeq: 2},
			[]callfloor.Event{ev(4, 7, at(3, 9)), ev(5, 7, at(2, 23))}, at(3, 9), 5, "2026-12-02"},
	} {
		last, lateSeq, from := Late(tt.cur, tt.evs, london)
		if !last.Equal(tt.last) || lateSeq != tt.lateSeq || from != tt.lateFrom {
			t.Errorf("%s: %s %d %q, want %s %d %q", tt.name, last, lateSeq, from, tt.last, tt.lateSeq, tt.lateFrom)
		}
	}
}
