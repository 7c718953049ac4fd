package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

var callHistoryTests = []test{
	{"call history/round trip keeps every field", testCallRowRoundTrip},
	{"call history/the cursor moves only from where it is", testCallHistoryCursor},
	{"call history/filters, newest first, pages", testCallHistoryList},
	{"call history/accounts are separate; reset empties one", testCallHistoryIsolation},
}

func callRow(ext int64, id string, start time.Time) *callfloor.CallRow {
	return &callfloor.CallRow{ExtensionID: ext, CallID: id, Direction: callfloor.DirQueueIn, Number: "+441632960" + id[len(id)-3:],
		QueueID: 9, Start: start, Tags: []string{}, Seq: 1}
}

// batch is a step of the call history in Europe/London without rollup
// changes.
func batch(from, to int64, rows []*callfloor.CallRow) callfloor.HistoryBatch {
	return callfloor.HistoryBatch{From: from, To: to, TimeZone: "Europe/London", Rows: rows}
}

func testCallRowRoundTrip(t *testing.T, st callfloor.Store) {
	a, _ := newAccount(t, st, "acme", callfloor.LicenceNone, 0)
	ctx := context.Background()
	ans, end := jt0.Add(5*time.Second), jt0.Add(65*time.Second)
	r := &callfloor.CallRow{ExtensionID: 7, CallID: "c-100", Direction: callfloor.DirExternalOut, Number: "+441632960100",
		QueueID: 12, CampaignID: 3, Start: jt0, AnsweredAt: &ans, EndedAt: &end, EndReason: "agent",
		Category: callfloor.CategorySuccess, Outcome: "Sale", Notes: "ünïcode ✓\nsecond line", Tags: []string{"vip", "quote"},
		Incomplete: true, Seq: 42}
	ok(t, st.SaveCallRows(ctx, a.ID, batch(0, 42, []*callfloor.CallRow{r})))
	got, err := st.FindCallRows(ctx, a.ID, []callfloor.CallKey{{ExtensionID: 7, CallID: "c-100"}, {ExtensionID: 8, CallID: "c-100"}})
	ok(t, err)
	if len(got) != 1 {
		t.Fatalf("found %d rows", len(got))
	}
	g := got[0]
	if g.CallID != r.CallID || g.ExtensionID != 7 || g.Direction != r.Direction || g.Number != r.Number || g.QueueID != 12 ||
		g.CampaignID != 3 || !g.Start.Equal(jt0) || g.AnsweredAt == nil || !g.AnsweredAt.Equal(ans) || g.EndedAt == nil ||
		!g.EndedAt.Equal(end) || g.EndReason != "agent" || g.Category != r.Category || g.Outcome != "Sale" ||
		g.Notes != r.Notes || len(g.Tags) != 2 || g.Tags[1] != "quote" || !g.Incomplete || g.Seq != 42 || g.AccountID != a.ID {
		t.Fatalf("read back %+v", g)
	}
	// Saved again, a row is replaced, not doubled; open times stay open.
	r2 := callRow(7, "c-100", jt0)
	ok(t, st.SaveCallRows(ctx, a.ID, batch(42, 43, []*callfloor.CallRow{r2})))
	all, err := st.ListCallRows(ctx, a.ID, callfloor.CallFilter{})
	ok(t, err)
	if len(all) != 1 || all[0].AnsweredAt != nil || all[0].Notes != "" || len(all[0].Tags) != 0 || all[0].Incomplete {
		t.Fatalf("after replacing: %+v", all)
	}
}

func testCallHistoryCursor(t *testing.T, st callfloor.Store) {
	a, _ := newAccount(t, st, "acme", callfloor.LicenceNone, 0)
	ctx := context.Background()
	if cur, err := st.CallHistoryCursor(ctx, a.ID); err != nil || cur.Seq != 0 {
		t.Fatalf("fresh cursor %+v %v", cur, err)
	}
	ok(t, st.SaveCallRows(ctx, a.ID, batch(0, 10, []*callfloor.CallRow{callRow(1, "c-001", jt0)})))
	// A second writer that read the cursor at 0 loses, and writes nothing.
	if err := st.SaveCallRows(ctx, a.ID, batch(0, 12, []*callfloor.CallRow{callRow(1, "c-002", jt0)})); !errors.Is(err, callfloor.ErrHistoryMoved) {
		t.Fatalf("stale writer from 0: %v", err)
	}
	if err := st.SaveCallRows(ctx, a.ID, batch(5, 12, []*callfloor.CallRow{callRow(1, "c-003", jt0)})); !errors.Is(err, callfloor.ErrHistoryMoved) {
		t.Fatalf("stale writer from 5: %v", err)
	}
	ok(t, st.SaveCallRows(ctx, a.ID, batch(10, 20, nil)))
	if cur, err := st.CallHistoryCursor(ctx, a.ID); err != nil || cur != (callfloor.HistoryCursor{Seq: 20, TimeZone: "Europe/London"}) {
		t.Fatalf("cursor %+v %v", cur, err)
	}
	all, err := st.ListCallRows(ctx, a.ID, callfloor.CallFilter{})
	ok(t, err)
	if len(all) != 1 || all[0].CallID != "c-001" {
		t.Fatalf("rows %+v", all)
	}
}

func testCallHistoryList(t *testing.T, st callfloor.Store) {
	a, _ := newAccount(t, st, "acme", callfloor.LicenceNone, 0)
	ctx := context.Background()
	var rows []*callfloor.CallRow
	for i, id := range []string{"c-101", "c-102", "c-103", "c-104", "c-105"} {
		r := callRow(int64(1+i%2), id, jt0.Add(time.Duration(i)*time.Minute))
		if i == 2 {
			r.Direction, r.QueueID, r.Category = callfloor.DirExternalOut, 0, callfloor.CategoryFail
		}
		rows = append(rows, r)
	}
	same := callRow(2, "c-101", jt0) // one call, two agents (a transfer)
	rows = append(rows, same)
	ok(t, st.SaveCallRows(ctx, a.ID, batch(0, 9, rows)))
	ids := func(f callfloor.CallFilter) string {
		t.Helper()
		got, err := st.ListCallRows(ctx, a.ID, f)
		ok(t, err)
		s := ""
		for _, r := range got {
			s += r.CallID[2:] + "/" + string(rune('0'+r.ExtensionID)) + " "
		}
		return s
	}
	for _, tt := range []struct {
		name string
		f    callfloor.CallFilter
		want string
	}{
		{"all, newest first", callfloor.CallFilter{}, "105/1 104/2 103/1 102/2 101/2 101/1 "},
		{"one agent", callfloor.CallFilter{ExtensionID: 2}, "104/2 102/2 101/2 "},
		{"time range", callfloor.CallFilter{From: jt0.Add(time.Minute), To: jt0.Add(3 * time.Minute)}, "103/1 102/2 "},
		{"direction", callfloor.CallFilter{Direction: callfloor.DirExternalOut}, "103/1 "},
		{"queue", callfloor.CallFilter{QueueID: 9, Limit: 2}, "105/1 104/2 "},
		{"category", callfloor.CallFilter{Category: callfloor.CategoryFail}, "103/1 "},
		{"number contains", callfloor.CallFilter{Number: "60104"}, "104/2 "},
		{"number with LIKE's wildcards matches itself", callfloor.CallFilter{Number: "%"}, ""},
		{"a page after a row", callfloor.CallFilter{Before: &callfloor.CallCursor{Start: jt0, CallID: "c-101", ExtensionID: 2}}, "101/1 "},
		{"a page after a middle row", callfloor.CallFilter{Before: &callfloor.CallCursor{Start: jt0.Add(3 * time.Minute), CallID: "c-104", ExtensionID: 2}, Limit: 2}, "103/1 102/2 "},
	} {
		if got := ids(tt.f); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func testCallHistoryIsolation(t *testing.T, st callfloor.Store) {
	a, _ := newAccount(t, st, "acme", callfloor.LicenceNone, 0)
	b, _ := newAccount(t, st, "bravo", callfloor.LicenceNone, 0)
	ctx := context.Background()
	ok(t, st.SaveCallRows(ctx, a.ID, batch(0, 3, []*callfloor.CallRow{callRow(1, "c-001", jt0)})))
	ok(t, st.SaveCallRows(ctx, b.ID, batch(0, 7, []*callfloor.CallRow{callRow(1, "c-001", jt0), callRow(1, "c-002", jt0)})))
	if got, _ := st.ListCallRows(ctx, a.ID, callfloor.CallFilter{}); len(got) != 1 {
		t.Fatalf("account a sees %d rows", len(got))
	}
	if got, _ := st.FindCallRows(ctx, a.ID, []callfloor.CallKey{{ExtensionID: 1, CallID: "c-002"}}); len(got) != 0 {
		t.Fatal("account a found b's row")
	}
	ok(t, st.ResetCallHistory(ctx, b.ID))
	if got, _ := st.ListCallRows(ctx, b.ID, callfloor.CallFilter{}); len(got) != 0 {
		t.Fatalf("after reset b has %d rows", len(got))
	}
	if cur, _ := st.CallHistoryCursor(ctx, b.ID); cur.Seq != 0 {
		t.Fatalf("after reset b's cursor is %+v", cur)
	}
	if cur, _ := st.CallHistoryCursor(ctx, a.ID); cur.Seq != 3 {
		t.Fatalf("a's cursor is %+v", cur)
	}
}
