package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/history"
)

var rollupTests = []test{
	{"rollups/counts add up, a line at 0 goes, dates bound both ways", testDayCounts},
	{"rollups/a step in another zone moves nothing; reset empties them", testDayCountsZone},
	{"rollups/equal the rows' counts, caught up, rebuilt and after a zone change", testRollupsEqualRows},
	{"rollups/attendance days are kept by date and zone, dropped from a late event's date", testAttendanceDays},
}

func dayCount(date string, ext int64, cat callfloor.Category, outcome string, n int) callfloor.DayCount {
	return callfloor.DayCount{Date: date, ExtensionID: ext, QueueID: 9, Category: cat, Outcome: outcome, Calls: n}
}

func listDays(t *testing.T, st callfloor.Store, account int64, from, to string) string {
	t.Helper()
	days, err := st.ListDayCounts(context.Background(), account, from, to)
	ok(t, err)
	s := ""
	for _, d := range days {
		s += fmt.Sprintf("%s/%d/%d/%d/%s/%s=%d ", d.Date, d.ExtensionID, d.QueueID, d.CampaignID, d.Category, d.Outcome, d.Calls)
	}
	return s
}

func testDayCounts(t *testing.T, st callfloor.Store) {
	a, _ := newAccount(t, st, "acme", callfloor.LicenceNone, 0)
	b, _ := newAccount(t, st, "bravo", callfloor.LicenceNone, 0)
	ctx := context.Background()
	step := func(account, from, to int64, days ...callfloor.DayCount) {
		t.Helper()
		ok(t, st.SaveCallRows(ctx, account, callfloor.HistoryBatch{From: from, To: to, TimeZone: "Europe/London", Days: days}))
	}
	step(a.ID, 0, 5, dayCount("2026-11-22", 1, callfloor.CategorySuccess, "Sale", 2), dayCount("2026-11-23", 1, callfloor.CategorySuccess, "Sale", 1),
		dayCount("2026-11-23", 2, callfloor.CategoryUnsure, callfloor.NoAgentSubmission, 1), dayCount("2026-11-24", 1, callfloor.CategoryFail, "Busy", 4))
	step(b.ID, 0, 2, dayCount("2026-11-23", 1, callfloor.CategorySuccess, "Sale", 7))
	// The timed-out wrap-up completed as a Sale; one more Sale.
	step(a.ID, 5, 8, dayCount("2026-11-23", 1, callfloor.CategorySuccess, "Sale", 2),
		dayCount("2026-11-23", 2, callfloor.CategoryUnsure, callfloor.NoAgentSubmission, -1), dayCount("2026-11-23", 2, callfloor.CategorySuccess, "Sale", 1))
	for _, tt := range []struct{ from, to, want string }{
		{"2026-11-22", "2026-11-24", "2026-11-22/1/9/0/success/Sale=2 2026-11-23/1/9/0/success/Sale=3 2026-11-23/2/9/0/success/Sale=1 2026-11-24/1/9/0/fail/Busy=4 "},
		{"2026-11-23", "2026-11-23", "2026-11-23/1/9/0/success/Sale=3 2026-11-23/2/9/0/success/Sale=1 "},
		{"2026-11-25", "2026-12-31", ""},
	} {
		if got := listDays(t, st, a.ID, tt.from, tt.to); got != tt.want {
			t.Errorf("%s to %s: %q, want %q", tt.from, tt.to, got, tt.want)
		}
	}
	if got := listDays(t, st, b.ID, "2026-11-01", "2026-11-30"); got != "2026-11-23/1/9/0/success/Sale=7 " {
		t.Errorf("account b: %q", got)
	}
}

func testDayCountsZone(t *testing.T, st callfloor.Store) {
	a, _ := newAccount(t, st, "acme", callfloor.LicenceNone, 0)
	ctx := context.Background()
	row := callRow(1, "c-001", jt0)
	row.Category, row.Outcome = callfloor.CategorySuccess, "Sale"
	sale := dayCount("2026-11-23", 1, callfloor.CategorySuccess, "Sale", 1)
	ok(t, st.SaveCallRows(ctx, a.ID, callfloor.HistoryBatch{From: 0, To: 3, TimeZone: "Europe/London", Rows: []*callfloor.CallRow{row}, Days: []callfloor.DayCount{sale}}))
	// A writer that made its dates in another zone loses, whole.
	other := callRow(1, "c-002", jt0)
	err := st.SaveCallRows(ctx, a.ID, callfloor.HistoryBatch{From: 3, To: 4, TimeZone: "America/New_York", Rows: []*callfloor.CallRow{other}, Days: []callfloor.DayCount{sale}})
	if !errors.Is(err, callfloor.ErrHistoryMoved) {
		t.Fatalf("a step in another zone: %v", err)
	}
	if cur, _ := st.CallHistoryCursor(ctx, a.ID); cur != (callfloor.HistoryCursor{Seq: 3, TimeZone: "Europe/London"}) {
		t.Fatalf("cursor %+v", cur)
	}
	if got := listDays(t, st, a.ID, "2026-11-23", "2026-11-23"); got != "2026-11-23/1/9/0/success/Sale=1 " {
		t.Fatalf("rollups %q", got)
	}
	if rows, _ := st.ListCallRows(ctx, a.ID, callfloor.CallFilter{}); len(rows) != 1 {
		t.Fatalf("%d rows", len(rows))
	}
	ok(t, st.ResetCallHistory(ctx, a.ID))
	if got := listDays(t, st, a.ID, "2026-01-01", "2026-12-31"); got != "" {
		t.Fatalf("after reset: %q", got)
	}
	// A new cursor takes its batch's zone.
	ok(t, st.SaveCallRows(ctx, a.ID, callfloor.HistoryBatch{From: 0, To: 4, TimeZone: "America/New_York"}))
	if cur, _ := st.CallHistoryCursor(ctx, a.ID); cur != (callfloor.HistoryCursor{Seq: 4, TimeZone: "America/New_York"}) {
		t.Fatalf("new cursor %+v", cur)
	}
}

// rollupJournal is a day and a half of three agents' calls every 25
// minutes from 19:00 UTC, across midnight in London and in New York:
// answered and disposed of (queue and campaign calls), rung out, and
// wrap-ups that timed out, some completed hours later.
func rollupJournal(account int64) []callfloor.Event {
	start := time.Date(2026, 11, 22, 19, 0, 0, 0, time.UTC)
	outcomes := []struct {
		cat     callfloor.Category
		outcome string
	}{{callfloor.CategorySuccess, "Sale"}, {callfloor.CategoryFail, "Not interested"}, {callfloor.CategoryUnsure, "Call back"}}
	var evs []callfloor.Event
	var incomplete []*callfloor.CallRef
	for i := range 48 {
		ext := int64(1 + i%3)
		at := start.Add(time.Duration(i) * 25 * time.Minute)
		ref := &callfloor.CallRef{ID: fmt.Sprintf("c-%03d", i), Direction: callfloor.DirQueueIn, QueueID: 9, From: "+441632960100"}
		if i%4 == 1 {
			ref = &callfloor.CallRef{ID: ref.ID, Direction: callfloor.DirCampaign, CampaignID: 4, To: "+441632960200"}
		}
		ev := func(typ callfloor.EventType, d time.Duration, st callfloor.AgentState) callfloor.Event {
			return callfloor.Event{AccountID: account, At: at.Add(d), Type: typ, ExtensionID: ext, State: st, Call: ref}
		}
		evs = append(evs, ev(callfloor.EventCallOffered, 0, callfloor.StateRinging))
		if i%7 == 6 {
			e := ev(callfloor.EventCallEnded, 20*time.Second, callfloor.StateIdle)
			e.EndReason = "no_answer"
			evs = append(evs, e)
			continue
		}
		evs = append(evs, ev(callfloor.EventCallAnswered, 5*time.Second, callfloor.StateOnCall), ev(callfloor.EventCallEnded, 3*time.Minute, callfloor.StateIdle),
			ev(callfloor.EventWrapupStarted, 3*time.Minute, callfloor.StateWrapup))
		d := ev(callfloor.EventDisposition, 4*time.Minute, callfloor.StateIdle)
		o := outcomes[i%3]
		d.Disposition = &callfloor.Disposition{CallID: ref.ID, Category: o.cat, Outcome: o.outcome}
		if i%5 == 4 {
			d.Disposition = &callfloor.Disposition{CallID: ref.ID, Category: callfloor.CategoryUnsure, Outcome: callfloor.NoAgentSubmission, Incomplete: true}
			incomplete = append(incomplete, ref)
		}
		evs = append(evs, d)
		if i%6 == 5 && len(incomplete) > 0 {
			old := incomplete[0]
			incomplete = incomplete[1:]
			c := ev(callfloor.EventDispositionLater, 10*time.Minute, "")
			c.Call, c.Disposition = old, &callfloor.Disposition{CallID: old.ID, Category: callfloor.CategoryFail, Outcome: "Wrong number", FailScope: callfloor.FailNumber}
			evs = append(evs, c)
		}
	}
	for i := range evs {
		evs[i].Seq = int64(i + 1)
	}
	return evs
}

// rowCounts counts the account's call history rows with a disposition by
// their start's local date in loc, as the disposition report counted
// them before the rollups.
func rowCounts(t *testing.T, st callfloor.Store, account int64, loc *time.Location) string {
	t.Helper()
	rows, err := st.ListCallRows(context.Background(), account, callfloor.CallFilter{})
	ok(t, err)
	n := map[callfloor.DayCount]int{}
	for _, r := range rows {
		if r.Category != "" {
			n[callfloor.DayCount{Date: r.Start.In(loc).Format("2006-01-02"), ExtensionID: r.ExtensionID, QueueID: r.QueueID,
				CampaignID: r.CampaignID, Category: r.Category, Outcome: r.Outcome}]++
		}
	}
	var days []callfloor.DayCount
	for d, c := range n {
		d.Calls = c
		days = append(days, d)
	}
	slices.SortFunc(days, func(a, b callfloor.DayCount) int {
		return cmp.Or(cmp.Compare(a.Date, b.Date), cmp.Compare(a.ExtensionID, b.ExtensionID), cmp.Compare(a.QueueID, b.QueueID),
			cmp.Compare(a.CampaignID, b.CampaignID), cmp.Compare(a.Category, b.Category), cmp.Compare(a.Outcome, b.Outcome))
	})
	s := ""
	for _, d := range days {
		s += fmt.Sprintf("%s/%d/%d/%d/%s/%s=%d ", d.Date, d.ExtensionID, d.QueueID, d.CampaignID, d.Category, d.Outcome, d.Calls)
	}
	return s
}

func testRollupsEqualRows(t *testing.T, st callfloor.Store) {
	a, _ := newAccount(t, st, "acme", callfloor.LicenceNone, 0)
	ctx := context.Background()
	evs := rollupJournal(a.ID)
	p := history.New(st)
	// Caught up a few events at a time, as the pages ask.
	for start := 0; start < len(evs); start += 5 {
		ok(t, st.AppendEvents(ctx, a.ID, evs[start:min(start+5, len(evs))]))
		ok(t, p.CatchUp(ctx, a.ID))
	}
	london, _ := time.LoadLocation("Europe/London")
	want := rowCounts(t, st, a.ID, london)
	if got := listDays(t, st, a.ID, "2026-11-01", "2026-11-30"); got != want || want == "" {
		t.Fatalf("caught up, the rollups\n%s\nthe rows\n%s", got, want)
	}
	if got := listDays(t, st, a.ID, "2026-11-23", "2026-11-23"); got == "" || got == want {
		t.Fatalf("the 23rd alone: %q", got)
	}
	ok(t, p.Rebuild(ctx, a.ID))
	if got := listDays(t, st, a.ID, "2026-11-01", "2026-11-30"); got != want {
		t.Fatalf("rebuilt, the rollups\n%s\nwant\n%s", got, want)
	}

	// In New York the dates move: the next catch-up starts over.
	_, err := st.UpdateAccount(ctx, a.ID, func(x *callfloor.Account) error { x.TimeZone = "America/New_York"; return nil })
	ok(t, err)
	ok(t, p.CatchUp(ctx, a.ID))
	newYork, _ := time.LoadLocation("America/New_York")
	moved := rowCounts(t, st, a.ID, newYork)
	if moved == want {
		t.Fatal("the journal's calls have the same dates in London and New York")
	}
	if got := listDays(t, st, a.ID, "2026-11-01", "2026-11-30"); got != moved {
		t.Fatalf("in New York, the rollups\n%s\nthe rows\n%s", got, moved)
	}
	if cur, _ := st.CallHistoryCursor(ctx, a.ID); cur.Seq != int64(len(evs)) || cur.TimeZone != "America/New_York" ||
		!cur.LastAt.Equal(evs[len(evs)-1].At) || cur.LateSeq != 0 {
		t.Fatalf("cursor %+v", cur)
	}
}

func testAttendanceDays(t *testing.T, st callfloor.Store) {
	a, _ := newAccount(t, st, "acme", callfloor.LicenceNone, 0)
	b, _ := newAccount(t, st, "bravo", callfloor.LicenceNone, 0)
	ctx := context.Background()
	london := "Europe/London"
	day := func(date string, ext int64, zone, body string) callfloor.AttendanceDay {
		return callfloor.AttendanceDay{Date: date, ExtensionID: ext, TimeZone: zone, Summary: []byte(body)}
	}
	kept := func(account int64, date, zone string) string {
		t.Helper()
		days, err := st.ListAttendanceDays(ctx, account, date, zone)
		ok(t, err)
		s := ""
		for _, d := range days {
			if d.Date != date || d.TimeZone != zone {
				t.Fatalf("asked for %s in %s, got %+v", date, zone, d)
			}
			s += fmt.Sprintf("%d:%s ", d.ExtensionID, d.Summary)
		}
		return s
	}
	ok(t, st.SaveCallRows(ctx, a.ID, callfloor.HistoryBatch{From: 0, To: 10, TimeZone: london, LastAt: jt0}))
	ok(t, st.SaveAttendanceDays(ctx, a.ID, 10, []callfloor.AttendanceDay{day("2026-11-21", 2, london, `{"n":2}`),
		day("2026-11-21", 1, london, `{"n":1}`), day("2026-11-22", 1, london, `{"n":3}`), day("2026-11-20", 1, london, `{"n":0}`)}))
	ok(t, st.SaveAttendanceDays(ctx, b.ID, 0, []callfloor.AttendanceDay{day("2026-11-21", 1, london, `{"b":1}`)}))
	// Kept again, a day replaces the one there, in its zone.
	ok(t, st.SaveAttendanceDays(ctx, a.ID, 10, []callfloor.AttendanceDay{day("2026-11-22", 1, "America/New_York", `{"n":4}`)}))
	for _, tt := range []struct{ date, zone, want string }{
		{"2026-11-21", london, `1:{"n":1} 2:{"n":2} `},
		{"2026-11-22", london, ""},
		{"2026-11-22", "America/New_York", `1:{"n":4} `},
		{"2026-11-23", london, ""},
	} {
		if got := kept(a.ID, tt.date, tt.zone); got != tt.want {
			t.Errorf("%s in %s: %q, want %q", tt.date, tt.zone, got, tt.want)
		}
	}
	if got := kept(b.ID, "2026-11-21", london); got != `1:{"b":1} ` {
		t.Errorf("account b: %q", got)
	}

	// A step with a late event of the 21st drops the 21st and after,
	// and days folded before it are not kept.
	late := callfloor.HistoryBatch{From: 10, To: 12, TimeZone: london, LastAt: jt0, LateSeq: 11, LateFrom: "2026-11-21"}
	ok(t, st.SaveCallRows(ctx, a.ID, late))
	if cur, _ := st.CallHistoryCursor(ctx, a.ID); cur.LateSeq != 11 || !cur.LastAt.Equal(jt0) {
		t.Fatalf("cursor %+v", cur)
	}
	if got := kept(a.ID, "2026-11-21", london) + kept(a.ID, "2026-11-22", "America/New_York"); got != "" {
		t.Fatalf("after the late event: %q", got)
	}
	if got := kept(a.ID, "2026-11-20", london); got != `1:{"n":0} ` {
		t.Fatalf("the day before the late event's: %q", got)
	}
	if err := st.SaveAttendanceDays(ctx, a.ID, 10, []callfloor.AttendanceDay{day("2026-11-21", 1, london, `{"n":5}`)}); !errors.Is(err, callfloor.ErrHistoryMoved) {
		t.Fatalf("days folded before the late event: %v", err)
	}
	ok(t, st.SaveAttendanceDays(ctx, a.ID, 12, []callfloor.AttendanceDay{day("2026-11-21", 1, london, `{"n":6}`)}))
	if got := kept(a.ID, "2026-11-21", london); got != `1:{"n":6} ` {
		t.Fatalf("folded after it: %q", got)
	}
	ok(t, st.ResetCallHistory(ctx, a.ID))
	if got := kept(a.ID, "2026-11-20", london) + kept(a.ID, "2026-11-21", london); got != "" {
		t.Fatalf("after a reset: %q", got)
	}
	if got := kept(b.ID, "2026-11-21", london); got != `1:{"b":1} ` {
		t.Errorf("account b after a's reset: %q", got)
	}
}
