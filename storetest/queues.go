package storetest

import (
	"testing"

	"github.com/callfloor/callfloor"
)

var queueTests = []test{
	{"Queue/RoundTrip", testQueueRoundTrip},
	{"Queue/ParticipantCallWaiting", testQueueParticipantCallWaiting},
	{"Queue/Outcomes", testQueueOutcomes},
	{"Queue/Members", testQueueMembers},
	{"Queue/Overflow", testQueueOverflow},
	{"Queue/Delete", testQueueDelete},
	{"Queue/ReadOnly", testQueueReadOnly},
}

func testQueueRoundTrip(t *testing.T, st callfloor.Store) {
	a, ctx := agentAccount(t, st, "Acme", 5)
	agent := mustExt(t, st, ctx, "201", agentOn)
	part := mustExt(t, st, ctx, "202", queuesOn)
	overflow := mustQueue(t, st, ctx, "599")
	q := &callfloor.Queue{
		Number: "500", Name: " Sales ", Strategy: callfloor.StrategyRoundRobin, RingTimeoutSeconds: 25,
		MaxWaitSeconds: 300, MaxCallers: 10, OverflowAction: callfloor.OverflowQueue, OverflowTargetID: ptr(overflow.ID),
		ServiceLevelSeconds: 30, MissedOffersPause: 3, AnnouncePosition: true, DispositionsEnabled: true,
		ParticipantCallWaiting: true,
		Outcomes: []callfloor.Outcome{
			{Category: callfloor.CategorySuccess, Name: "Sale"},
			{Category: callfloor.CategoryFail, Name: "Wrong number", FailScope: callfloor.FailNumber},
			{Category: callfloor.CategoryFail, Name: "Do not call", FailScope: callfloor.FailContact},
			{Category: callfloor.CategoryUnsure, Name: "Call back"},
		},
		Members: []callfloor.QueueMember{
			{ExtensionID: part.ID, Penalty: 1, Number: "bogus", Kind: callfloor.MemberAgent},
			{ExtensionID: agent.ID, Penalty: 1},
		},
	}
	ok(t, st.CreateQueue(ctx, q))
	if q.ID == 0 || q.AccountID != a.ID || q.Name != "Sales" {
		t.Fatalf("created %s", show(q))
	}
	stamped(t, "queue", q.CreatedAt, q.UpdatedAt)
	for i, o := range q.Outcomes {
		if o.ID == 0 {
			t.Fatalf("outcome %d has no ID", i)
		}
	}
	// Members by penalty then number, with number and kind from the
	// extension.
	same(t, "members", q.Members, []callfloor.QueueMember{
		{ExtensionID: agent.ID, Number: "201", Kind: callfloor.MemberAgent, Penalty: 1},
		{ExtensionID: part.ID, Number: "202", Kind: callfloor.MemberParticipant, Penalty: 1},
	})
	got, err := st.FindQueueByID(ctx, q.ID)
	ok(t, err)
	same(t, "found", got, q)
	list, err := st.ListQueues(ctx)
	ok(t, err)
	same(t, "list by number", list, []*callfloor.Queue{q, overflow})

	upd, err := st.UpdateQueue(ctx, q.ID, func(x *callfloor.Queue) error {
		x.Number, x.Name, x.Strategy, x.RingTimeoutSeconds = "510", "Support", callfloor.StrategyRingAll, 5
		x.MaxWaitSeconds, x.MaxCallers, x.OverflowAction, x.OverflowTargetID = 0, 0, callfloor.OverflowExtension, ptr(part.ID)
		x.ServiceLevelSeconds, x.MissedOffersPause, x.AnnouncePosition, x.DispositionsEnabled = 10, 0, false, false
		x.ParticipantCallWaiting = false
		x.Outcomes = []callfloor.Outcome{}
		x.Members = []callfloor.QueueMember{{ExtensionID: part.ID, Penalty: 0}}
		return nil
	})
	ok(t, err)
	want := &callfloor.Queue{ID: q.ID, AccountID: a.ID, Number: "510", Name: "Support", Strategy: callfloor.StrategyRingAll,
		RingTimeoutSeconds: 5, OverflowAction: callfloor.OverflowExtension, OverflowTargetID: ptr(part.ID),
		ServiceLevelSeconds: 10, Outcomes: []callfloor.Outcome{},
		Members:   []callfloor.QueueMember{{ExtensionID: part.ID, Number: "202", Kind: callfloor.MemberParticipant}},
		CreatedAt: q.CreatedAt, UpdatedAt: upd.UpdatedAt}
	same(t, "updated", upd, want)
	got, err = st.FindQueueByID(ctx, q.ID)
	ok(t, err)
	same(t, "found after update", got, want)

	// A member's kind follows its extension.
	_, err = st.UpdateExtension(ctx, part.ID, func(x *callfloor.Extension) error { x.Agent.Enabled = true; return nil })
	ok(t, err)
	got, err = st.FindQueueByID(ctx, q.ID)
	ok(t, err)
	if got.Members[0].Kind != callfloor.MemberAgent {
		t.Fatalf("member kind %q after enabling the agent", got.Members[0].Kind)
	}

	_, err = st.FindQueueByID(ctx, q.ID+1000)
	wantErr(t, err, callfloor.ErrNotFound, "")
	_, empty := newAccount(t, st, "Empty", callfloor.LicenceNone, 0)
	list, err = st.ListQueues(empty)
	ok(t, err)
	same(t, "empty list", list, []*callfloor.Queue{})
	wantErr(t, st.CreateQueue(ctx, callfloor.NewQueue("520", "")), callfloor.ErrFieldRequired, "name")
}

// testQueueParticipantCallWaiting round-trips participant_call_waiting
// through create, find, list and update, both ways, and checks that a
// new queue has it off.
func testQueueParticipantCallWaiting(t *testing.T, st callfloor.Store) {
	_, ctx := agentAccount(t, st, "Acme", 5)
	if callfloor.NewQueue("500", "Q").ParticipantCallWaiting {
		t.Fatal("NewQueue has participant_call_waiting on")
	}
	check := func(what string, id int64, want bool) {
		t.Helper()
		got, err := st.FindQueueByID(ctx, id)
		ok(t, err)
		if got.ParticipantCallWaiting != want {
			t.Fatalf("%s: found participant_call_waiting %v, want %v", what, got.ParticipantCallWaiting, want)
		}
		list, err := st.ListQueues(ctx)
		ok(t, err)
		for _, q := range list {
			if q.ID == id && q.ParticipantCallWaiting != want {
				t.Fatalf("%s: listed participant_call_waiting %v, want %v", what, q.ParticipantCallWaiting, want)
			}
		}
	}
	off := mustQueue(t, st, ctx, "500")
	if off.ParticipantCallWaiting {
		t.Fatal("created with participant_call_waiting on by default")
	}
	check("created off", off.ID, false)
	on := mustQueue(t, st, ctx, "501", func(q *callfloor.Queue) { q.ParticipantCallWaiting = true })
	if !on.ParticipantCallWaiting {
		t.Fatal("created with participant_call_waiting on, returned off")
	}
	check("created on", on.ID, true)
	check("the other queue after creating one on", off.ID, false)

	set := func(id int64, v bool) {
		t.Helper()
		got, err := st.UpdateQueue(ctx, id, func(x *callfloor.Queue) error { x.ParticipantCallWaiting = v; return nil })
		ok(t, err)
		if got.ParticipantCallWaiting != v {
			t.Fatalf("updated to %v, returned %v", v, got.ParticipantCallWaiting)
		}
	}
	set(off.ID, true)
	check("updated to on", off.ID, true)
	set(on.ID, false)
	check("updated to off", on.ID, false)
	check("the other queue after updating one", off.ID, true)
	// An update that changes other fields keeps it.
	_, err := st.UpdateQueue(ctx, off.ID, func(x *callfloor.Queue) error { x.Name = "Renamed"; return nil })
	ok(t, err)
	check("after an unrelated update", off.ID, true)
	set(off.ID, false)
	check("updated back to off", off.ID, false)
}

func testQueueOutcomes(t *testing.T, st callfloor.Store) {
	_, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	q := mustQueue(t, st, ctx, "500", func(q *callfloor.Queue) {
		q.Outcomes = []callfloor.Outcome{
			{Category: callfloor.CategorySuccess, Name: "Sale"},
			{Category: callfloor.CategoryUnsure, Name: "Call back"},
			{Category: callfloor.CategoryFail, Name: "Busy", FailScope: callfloor.FailNumber},
		}
	})
	sale, callBack, busy := q.Outcomes[0], q.Outcomes[1], q.Outcomes[2]
	got, err := st.UpdateQueue(ctx, q.ID, func(x *callfloor.Queue) error {
		x.Outcomes = []callfloor.Outcome{
			{Category: callfloor.CategoryFail, Name: "busy", FailScope: callfloor.FailContact}, // same category and name
			{ID: callBack.ID, Category: callfloor.CategoryUnsure, Name: "Ring later"},          // renamed, same ID
			{Category: callfloor.CategorySuccess, Name: "Upsell"},                              // new
		}
		return nil
	})
	ok(t, err)
	if got.Outcomes[0].ID != busy.ID || got.Outcomes[1].ID != callBack.ID {
		t.Fatalf("outcome IDs not kept: %+v (had %+v)", got.Outcomes, q.Outcomes)
	}
	if id := got.Outcomes[2].ID; id == 0 || id == sale.ID || id == busy.ID || id == callBack.ID {
		t.Fatalf("new outcome ID %d", id)
	}
	same(t, "outcomes", got.Outcomes, []callfloor.Outcome{
		{ID: busy.ID, Category: callfloor.CategoryFail, Name: "busy", FailScope: callfloor.FailContact},
		{ID: callBack.ID, Category: callfloor.CategoryUnsure, Name: "Ring later"},
		{ID: got.Outcomes[2].ID, Category: callfloor.CategorySuccess, Name: "Upsell"},
	})
	found, err := st.FindQueueByID(ctx, q.ID)
	ok(t, err)
	same(t, "found outcomes", found.Outcomes, got.Outcomes)

	_, err = st.UpdateQueue(ctx, q.ID, func(x *callfloor.Queue) error {
		x.Outcomes = append(x.Outcomes, callfloor.Outcome{Category: callfloor.CategoryFail, Name: "No scope"})
		return nil
	})
	wantErr(t, err, callfloor.ErrInvalidField, "outcomes[3].fail_scope")
	_, err = st.UpdateQueue(ctx, q.ID, func(x *callfloor.Queue) error {
		x.Outcomes, x.DispositionsEnabled = nil, true
		return nil
	})
	wantErr(t, err, callfloor.ErrFieldRequired, "outcomes")
}

func testQueueMembers(t *testing.T, st callfloor.Store) {
	_, ctx := agentAccount(t, st, "Acme", 5)
	_, other := agentAccount(t, st, "Other", 5)
	theirs := mustExt(t, st, other, "201", queuesOn)
	plain := mustExt(t, st, ctx, "202")
	a := mustExt(t, st, ctx, "1000", queuesOn)
	b := mustExt(t, st, ctx, "99", agentOn)
	c := mustExt(t, st, ctx, "300", queuesOn)
	tests := []struct {
		name    string
		members []callfloor.QueueMember
		code    string
		field   string
	}{
		{"extension of another account", []callfloor.QueueMember{{ExtensionID: a.ID}, {ExtensionID: theirs.ID}},
			callfloor.ErrInvalidReference, "members[1].extension_id"},
		{"missing extension", []callfloor.QueueMember{{ExtensionID: theirs.ID + 1000}},
			callfloor.ErrInvalidReference, "members[0].extension_id"},
		{"without the queues feature", []callfloor.QueueMember{{ExtensionID: plain.ID}},
			callfloor.ErrQueuesDisabled, "members[0].extension_id"},
		{"twice", []callfloor.QueueMember{{ExtensionID: a.ID}, {ExtensionID: a.ID}},
			callfloor.ErrInvalidField, "members[1].extension_id"},
	}
	q := mustQueue(t, st, ctx, "500")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, st.CreateQueue(ctx, &callfloor.Queue{Number: "501", Name: "Q", Strategy: callfloor.StrategyRandom,
				RingTimeoutSeconds: 20, ServiceLevelSeconds: 20, Members: tc.members}), tc.code, tc.field)
			_, err := st.UpdateQueue(ctx, q.ID, func(x *callfloor.Queue) error { x.Members = tc.members; return nil })
			wantErr(t, err, tc.code, tc.field)
		})
	}
	got, err := st.UpdateQueue(ctx, q.ID, func(x *callfloor.Queue) error {
		x.Members = []callfloor.QueueMember{{ExtensionID: a.ID, Penalty: 2}, {ExtensionID: b.ID, Penalty: 2}, {ExtensionID: c.ID, Penalty: 1}}
		return nil
	})
	ok(t, err)
	same(t, "members by penalty then number", got.Members, []callfloor.QueueMember{
		{ExtensionID: c.ID, Number: "300", Kind: callfloor.MemberParticipant, Penalty: 1},
		{ExtensionID: b.ID, Number: "99", Kind: callfloor.MemberAgent, Penalty: 2},
		{ExtensionID: a.ID, Number: "1000", Kind: callfloor.MemberParticipant, Penalty: 2},
	})
}

func testQueueOverflow(t *testing.T, st callfloor.Store) {
	_, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	_, other := newAccount(t, st, "Other", callfloor.LicenceNone, 0)
	theirQueue := mustQueue(t, st, other, "590")
	theirExt := mustExt(t, st, other, "290")
	e := mustExt(t, st, ctx, "201")
	target := mustQueue(t, st, ctx, "599")
	q := mustQueue(t, st, ctx, "500")
	tests := []struct {
		name   string
		action callfloor.OverflowAction
		target int64
	}{
		{"queue of another account", callfloor.OverflowQueue, theirQueue.ID},
		{"extension of another account", callfloor.OverflowExtension, theirExt.ID},
		{"missing queue", callfloor.OverflowQueue, target.ID + 1000},
		{"missing extension", callfloor.OverflowExtension, e.ID + 1000},
		{"itself", callfloor.OverflowQueue, q.ID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := st.UpdateQueue(ctx, q.ID, func(x *callfloor.Queue) error {
				x.OverflowAction, x.OverflowTargetID = tc.action, ptr(tc.target)
				return nil
			})
			wantErr(t, err, callfloor.ErrInvalidReference, "overflow_target_id")
		})
	}
	wantErr(t, st.CreateQueue(ctx, &callfloor.Queue{Number: "501", Name: "Q", Strategy: callfloor.StrategyRandom,
		RingTimeoutSeconds: 20, ServiceLevelSeconds: 20, OverflowAction: callfloor.OverflowQueue, OverflowTargetID: ptr(theirQueue.ID)}),
		callfloor.ErrInvalidReference, "overflow_target_id")
	_, err := st.UpdateQueue(ctx, q.ID, func(x *callfloor.Queue) error {
		x.OverflowAction, x.OverflowTargetID = callfloor.OverflowHangup, ptr(target.ID)
		return nil
	})
	wantErr(t, err, callfloor.ErrInvalidField, "overflow_target_id")
	got, err := st.UpdateQueue(ctx, q.ID, func(x *callfloor.Queue) error {
		x.OverflowAction, x.OverflowTargetID = callfloor.OverflowQueue, ptr(target.ID)
		return nil
	})
	ok(t, err)
	if got.OverflowAction != callfloor.OverflowQueue || *got.OverflowTargetID != target.ID {
		t.Fatalf("overflow %s %v", got.OverflowAction, got.OverflowTargetID)
	}
	got, err = st.UpdateQueue(ctx, q.ID, func(x *callfloor.Queue) error {
		x.OverflowAction, x.OverflowTargetID = callfloor.OverflowHangup, nil
		return nil
	})
	ok(t, err)
	if got.OverflowTargetID != nil {
		t.Fatal("overflow target kept")
	}
}

func testQueueDelete(t *testing.T, st callfloor.Store) {
	_, ctx := agentAccount(t, st, "Acme", 5)
	outbound := mustQueue(t, st, ctx, "500")
	mustExt(t, st, ctx, "201", agentOn, func(e *callfloor.Extension) { e.Agent.OutboundQueueID = ptr(outbound.ID) })
	wantErr(t, st.DeleteQueue(ctx, outbound.ID), callfloor.ErrInUse, "")

	target := mustQueue(t, st, ctx, "501")
	mustQueue(t, st, ctx, "502", func(q *callfloor.Queue) {
		q.OverflowAction, q.OverflowTargetID = callfloor.OverflowQueue, ptr(target.ID)
	})
	wantErr(t, st.DeleteQueue(ctx, target.ID), callfloor.ErrInUse, "")

	member := mustExt(t, st, ctx, "202", queuesOn)
	q := mustQueue(t, st, ctx, "503", func(q *callfloor.Queue) {
		q.Members = []callfloor.QueueMember{{ExtensionID: member.ID}}
		q.Outcomes = []callfloor.Outcome{{Category: callfloor.CategorySuccess, Name: "Sale"}}
		q.OverflowAction, q.OverflowTargetID = callfloor.OverflowQueue, ptr(target.ID)
	})
	ok(t, st.DeleteQueue(ctx, q.ID))
	_, err := st.FindQueueByID(ctx, q.ID)
	wantErr(t, err, callfloor.ErrNotFound, "")
	wantErr(t, st.DeleteQueue(ctx, q.ID), callfloor.ErrNotFound, "")
	// The member is free to lose the queues feature now.
	_, err = st.UpdateExtension(ctx, member.ID, func(x *callfloor.Extension) error { x.QueuesFeature = false; return nil })
	ok(t, err)
}

func testQueueReadOnly(t *testing.T, st callfloor.Store) {
	_, ctx := agentAccount(t, st, "Acme", 5)
	_, other := agentAccount(t, st, "Other", 5)
	theirs := mustQueue(t, st, other, "509")
	m := mustExt(t, st, ctx, "201", queuesOn)
	q := mustQueue(t, st, ctx, "500", func(q *callfloor.Queue) { q.Members = []callfloor.QueueMember{{ExtensionID: m.ID}} })
	got, err := st.UpdateQueue(ctx, q.ID, func(x *callfloor.Queue) error {
		x.ID, x.AccountID, x.CreatedAt = theirs.ID, theirs.AccountID, x.CreatedAt.AddDate(0, -1, 0)
		x.Members[0].Number, x.Members[0].Kind = "999", callfloor.MemberAgent
		return nil
	})
	ok(t, err)
	want := *q
	want.UpdatedAt = got.UpdatedAt
	same(t, "after read-only changes", got, &want)
	found, err := st.FindQueueByID(other, theirs.ID)
	ok(t, err)
	same(t, "other account's queue", found, theirs)
}
