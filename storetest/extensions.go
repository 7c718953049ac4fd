package storetest

import (
	"context"
	"testing"

	"github.com/callfloor/callfloor"
)

var extensionTests = []test{
	{"Extension/RoundTrip", testExtensionRoundTrip},
	{"Extension/ListOrder", testExtensionListOrder},
	{"Extension/NumberTaken", testNumberTaken},
	{"Extension/SIPUsername", testSIPUsername},
	{"Extension/AgentStatus", testAgentStatus},
	{"Extension/AgentNotActivated", testAgentNotActivated},
	{"Extension/LicenceExhausted", testLicenceExhausted},
	{"Extension/References", testExtensionReferences},
	{"Extension/FeaturesInUse", testExtensionFeaturesInUse},
	{"Extension/Delete", testExtensionDelete},
	{"Extension/ReadOnly", testExtensionReadOnly},
}

func testExtensionRoundTrip(t *testing.T, st callfloor.Store) {
	_, ctx := agentAccount(t, st, "Acme", 5)
	q := mustQueue(t, st, ctx, "500")
	pool := mustPool(t, st, ctx, "Main", "+442071234567")
	e := ext("201", agentOn, func(e *callfloor.Extension) {
		e.Name = "  Reception  "
		e.Agent = callfloor.AgentSettings{
			Enabled: true, PhoneEngine: callfloor.PhoneExternal, OutboundQueueID: ptr(q.ID),
			Permissions: callfloor.Permissions{ManualDial: true, Hold: true, Redial: true},
			AutoAnswer:  callfloor.AutoAnswerOptional, WrapupTimeoutSeconds: 90,
			CallerIDPoolID: ptr(pool.ID), RandomiseCallerID: true,
		}
	})
	secret, ha1, ha1s := e.SIPSecret, e.SIPHA1, e.SIPHA1SHA256
	ok(t, st.CreateExtension(ctx, e))
	if e.ID == 0 || e.Name != "Reception" || e.AgentStatus != callfloor.AgentEnabled {
		t.Fatalf("created %+v", e)
	}
	if e.SIPSecret != secret || e.SIPHA1 != ha1 || e.SIPHA1SHA256 != ha1s {
		t.Fatal("create changed the credentials it was given")
	}
	stamped(t, "extension", e.CreatedAt, e.UpdatedAt)
	got, err := st.FindExtensionByID(ctx, e.ID)
	ok(t, err)
	same(t, "found", got, stored(e))
	byNumber, err := st.FindExtensionByNumber(ctx, e.Number)
	ok(t, err)
	same(t, "found by number", byNumber, stored(e))
	if _, err := st.FindExtensionByNumber(ctx, e.Number+"9"); callfloor.ErrorCode(err) != callfloor.ErrNotFound {
		t.Fatalf("an unknown number: %v", err)
	}
	list, err := st.ListExtensions(ctx)
	ok(t, err)
	same(t, "list", list, []*callfloor.Extension{stored(e)})

	// Update every field; a new secret's hashes are stored.
	q2 := mustQueue(t, st, ctx, "501")
	pool2 := mustPool(t, st, ctx, "Second", "+15551234567")
	upd, err := st.UpdateExtension(ctx, e.ID, func(x *callfloor.Extension) error {
		x.Number, x.Name = "301", "Front desk"
		x.SetSIPSecret(callfloor.DefaultSIPRealm, "new-secret-123")
		x.Agent = callfloor.AgentSettings{
			Enabled: true, PhoneEngine: callfloor.PhoneWebRTC, OutboundQueueID: ptr(q2.ID),
			Permissions: callfloor.AllPermissions(), AutoAnswer: callfloor.AutoAnswerOn,
			WrapupTimeoutSeconds: 5, CallerIDPoolID: ptr(pool2.ID),
		}
		return nil
	})
	ok(t, err)
	want := *e
	want.Number, want.Name = "301", "Front desk"
	want.SetSIPSecret(callfloor.DefaultSIPRealm, "new-secret-123")
	want.Agent = callfloor.AgentSettings{
		Enabled: true, PhoneEngine: callfloor.PhoneWebRTC, OutboundQueueID: ptr(q2.ID),
		Permissions: callfloor.AllPermissions(), AutoAnswer: callfloor.AutoAnswerOn,
		WrapupTimeoutSeconds: 5, CallerIDPoolID: ptr(pool2.ID),
	}
	want.UpdatedAt = upd.UpdatedAt
	same(t, "updated (the answer shows the new secret)", upd, &want)
	if upd.UpdatedAt.Before(e.UpdatedAt) {
		t.Fatal("updated_at went back")
	}
	got, err = st.FindExtensionByID(ctx, e.ID)
	ok(t, err)
	same(t, "found after update (never the secret)", got, stored(&want))

	// Clearing the optional references and the agent feature.
	upd, err = st.UpdateExtension(ctx, e.ID, func(x *callfloor.Extension) error {
		x.Agent.Enabled, x.Agent.OutboundQueueID, x.Agent.CallerIDPoolID = false, nil, nil
		x.QueuesFeature = false
		return nil
	})
	ok(t, err)
	if upd.Agent.OutboundQueueID != nil || upd.Agent.CallerIDPoolID != nil || upd.AgentStatus != callfloor.AgentNotEnabled || upd.QueuesFeature {
		t.Fatalf("cleared to %+v", upd)
	}

	_, err = st.FindExtensionByID(ctx, e.ID+1000)
	wantErr(t, err, callfloor.ErrNotFound, "")
	wantErr(t, st.CreateExtension(ctx, ext("2")), callfloor.ErrInvalidField, "number")
	agent := ext("202", func(e *callfloor.Extension) { e.Agent.Enabled = true })
	ok(t, st.CreateExtension(ctx, agent))
	if got, err := st.FindExtensionByID(ctx, agent.ID); err != nil || !got.QueuesFeature {
		t.Fatalf("an agent extension must have the queues feature: %+v %v", got, err)
	}
}

func testExtensionListOrder(t *testing.T, st callfloor.Store) {
	_, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	for _, n := range []string{"1000", "99", "100", "20", "101"} {
		mustExt(t, st, ctx, n)
	}
	list, err := st.ListExtensions(ctx)
	ok(t, err)
	var got []string
	for _, e := range list {
		got = append(got, e.Number)
	}
	same(t, "numbers", got, []string{"20", "99", "100", "101", "1000"})

	_, empty := newAccount(t, st, "Empty", callfloor.LicenceNone, 0)
	list, err = st.ListExtensions(empty)
	ok(t, err)
	if list == nil || len(list) != 0 {
		t.Fatalf("empty list = %#v", list)
	}
}

func testNumberTaken(t *testing.T, st callfloor.Store) {
	_, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	_, other := newAccount(t, st, "Other", callfloor.LicenceNone, 0)
	mustExt(t, st, ctx, "201")
	mustQueue(t, st, ctx, "500")
	mustExt(t, st, other, "202")
	mustQueue(t, st, other, "501")

	tests := []struct {
		name   string
		create func() error
	}{
		{"extension on extension", func() error { return st.CreateExtension(ctx, ext("201")) }},
		{"extension on queue", func() error { return st.CreateExtension(ctx, ext("500")) }},
		{"queue on extension", func() error { return st.CreateQueue(ctx, callfloor.NewQueue("201", "Q")) }},
		{"queue on queue", func() error { return st.CreateQueue(ctx, callfloor.NewQueue("500", "Q")) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, tc.create(), callfloor.ErrNumberTaken, "number") })
	}
	// Numbers of another account are free.
	mustExt(t, st, ctx, "202")
	mustQueue(t, st, ctx, "501")

	e := mustExt(t, st, ctx, "203")
	q := mustQueue(t, st, ctx, "502")
	_, err := st.UpdateExtension(ctx, e.ID, func(x *callfloor.Extension) error { x.Number = "502"; return nil })
	wantErr(t, err, callfloor.ErrNumberTaken, "number")
	_, err = st.UpdateQueue(ctx, q.ID, func(x *callfloor.Queue) error { x.Number = "203"; return nil })
	wantErr(t, err, callfloor.ErrNumberTaken, "number")
	// Keeping one's own number is fine.
	_, err = st.UpdateExtension(ctx, e.ID, func(x *callfloor.Extension) error { x.Name = "Renamed"; return nil })
	ok(t, err)
	_, err = st.UpdateQueue(ctx, q.ID, func(x *callfloor.Queue) error { x.Name = "Renamed"; return nil })
	ok(t, err)
}

func testSIPUsername(t *testing.T, st callfloor.Store) {
	_, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	_, other := newAccount(t, st, "Other", callfloor.LicenceNone, 0)
	e := mustExt(t, st, ctx, "201")
	// SIP usernames are unique across the platform.
	dup := ext("201", func(x *callfloor.Extension) { x.SIPUsername = e.SIPUsername })
	wantErr(t, st.CreateExtension(other, dup), callfloor.ErrNameTaken, "sip_username")
	wantErr(t, st.CreateExtension(ctx, ext("202", func(x *callfloor.Extension) { x.SIPUsername = "" })),
		callfloor.ErrFieldRequired, "sip_username")
}

func testAgentStatus(t *testing.T, st callfloor.Store) {
	ctx0 := context.Background()
	a, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	e := mustExt(t, st, ctx, "201", queuesOn)
	if e.AgentStatus != callfloor.AgentNotActivated {
		t.Fatalf("status without activation = %q", e.AgentStatus)
	}
	_, err := st.UpdateAccount(ctx0, a.ID, func(x *callfloor.Account) error {
		x.LicenceKind, x.AgentLicences = callfloor.LicenceQueueAgentAnalytics, 1
		return nil
	})
	ok(t, err)
	got, err := st.FindExtensionByID(ctx, e.ID)
	ok(t, err)
	if got.AgentStatus != callfloor.AgentNotEnabled {
		t.Fatalf("status with activation = %q", got.AgentStatus)
	}
	got, err = st.UpdateExtension(ctx, e.ID, func(x *callfloor.Extension) error {
		x.Agent.Enabled = true
		x.AgentStatus = callfloor.AgentNotActivated // derived: ignored
		return nil
	})
	ok(t, err)
	if got.AgentStatus != callfloor.AgentEnabled {
		t.Fatalf("status of an agent = %q", got.AgentStatus)
	}
	list, err := st.ListExtensions(ctx)
	ok(t, err)
	if list[0].AgentStatus != callfloor.AgentEnabled {
		t.Fatalf("listed status = %q", list[0].AgentStatus)
	}
}

func testAgentNotActivated(t *testing.T, st callfloor.Store) {
	_, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	wantErr(t, st.CreateExtension(ctx, ext("201", agentOn)), callfloor.ErrAgentNotActivated, "agent.enabled")
	e := mustExt(t, st, ctx, "202", queuesOn)
	_, err := st.UpdateExtension(ctx, e.ID, func(x *callfloor.Extension) error { x.Agent.Enabled = true; return nil })
	wantErr(t, err, callfloor.ErrAgentNotActivated, "agent.enabled")
}

func testLicenceExhausted(t *testing.T, st callfloor.Store) {
	a, ctx := agentAccount(t, st, "Acme", 2)
	one := mustExt(t, st, ctx, "201", agentOn)
	mustExt(t, st, ctx, "202", agentOn)
	wantErr(t, st.CreateExtension(ctx, ext("203", agentOn)), callfloor.ErrLicenceExhausted, "agent.enabled")
	three := mustExt(t, st, ctx, "203", queuesOn)
	_, err := st.UpdateExtension(ctx, three.ID, func(x *callfloor.Extension) error { x.Agent.Enabled = true; return nil })
	wantErr(t, err, callfloor.ErrLicenceExhausted, "agent.enabled")
	// An agent that stays an agent does not need another licence.
	_, err = st.UpdateExtension(ctx, one.ID, func(x *callfloor.Extension) error { x.Name = "Still an agent"; return nil })
	ok(t, err)
	// Freeing a licence lets another extension take it.
	_, err = st.UpdateExtension(ctx, one.ID, func(x *callfloor.Extension) error { x.Agent.Enabled = false; return nil })
	ok(t, err)
	_, err = st.UpdateExtension(ctx, three.ID, func(x *callfloor.Extension) error { x.Agent.Enabled = true; return nil })
	ok(t, err)
	got, err := st.FindAccountByID(context.Background(), a.ID)
	ok(t, err)
	if got.AgentsInUse != 2 {
		t.Fatalf("agents in use = %d", got.AgentsInUse)
	}
	// Another account's agents use their own licences.
	_, other := agentAccount(t, st, "Other", 1)
	mustExt(t, st, other, "201", agentOn)
}

func testExtensionReferences(t *testing.T, st callfloor.Store) {
	_, ctx := agentAccount(t, st, "Acme", 5)
	_, other := agentAccount(t, st, "Other", 5)
	theirQueue := mustQueue(t, st, other, "500")
	theirPool := mustPool(t, st, other, "Theirs", "+15550000000")
	tests := []struct {
		name  string
		mod   func(*callfloor.Extension)
		field string
	}{
		{"queue of another account", func(e *callfloor.Extension) { e.Agent.OutboundQueueID = ptr(theirQueue.ID) }, "agent.outbound_queue_id"},
		{"missing queue", func(e *callfloor.Extension) { e.Agent.OutboundQueueID = ptr(theirQueue.ID + 1000) }, "agent.outbound_queue_id"},
		{"pool of another account", func(e *callfloor.Extension) { e.Agent.CallerIDPoolID = ptr(theirPool.ID) }, "agent.caller_id_pool_id"},
		{"missing pool", func(e *callfloor.Extension) { e.Agent.CallerIDPoolID = ptr(theirPool.ID + 1000) }, "agent.caller_id_pool_id"},
	}
	e := mustExt(t, st, ctx, "299", agentOn)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, st.CreateExtension(ctx, ext("201", agentOn, tc.mod)), callfloor.ErrInvalidReference, tc.field)
			_, err := st.UpdateExtension(ctx, e.ID, func(x *callfloor.Extension) error { tc.mod(x); return nil })
			wantErr(t, err, callfloor.ErrInvalidReference, tc.field)
		})
	}
}

func testExtensionFeaturesInUse(t *testing.T, st callfloor.Store) {
	_, ctx := agentAccount(t, st, "Acme", 5)
	member := mustExt(t, st, ctx, "201", queuesOn)
	mustQueue(t, st, ctx, "500", func(q *callfloor.Queue) {
		q.Members = []callfloor.QueueMember{{ExtensionID: member.ID}}
	})
	_, err := st.UpdateExtension(ctx, member.ID, func(x *callfloor.Extension) error { x.QueuesFeature = false; return nil })
	wantErr(t, err, callfloor.ErrInUse, "queues_feature")

	agent := mustExt(t, st, ctx, "202", agentOn)
	mustUser(t, st, ctx, "anna", callfloor.RoleAgent, ptr(agent.ID))
	_, err = st.UpdateExtension(ctx, agent.ID, func(x *callfloor.Extension) error { x.Agent.Enabled = false; return nil })
	wantErr(t, err, callfloor.ErrInUse, "agent.enabled")

	// A supervisor bound to an agent extension does not need the feature.
	sup := mustExt(t, st, ctx, "203", agentOn)
	mustUser(t, st, ctx, "sam", callfloor.RoleSupervisor, ptr(sup.ID))
	_, err = st.UpdateExtension(ctx, sup.ID, func(x *callfloor.Extension) error { x.Agent.Enabled = false; return nil })
	ok(t, err)
}

func testExtensionDelete(t *testing.T, st callfloor.Store) {
	_, ctx := agentAccount(t, st, "Acme", 5)
	bound := mustExt(t, st, ctx, "201")
	mustUser(t, st, ctx, "sam", callfloor.RoleSupervisor, ptr(bound.ID))
	wantErr(t, st.DeleteExtension(ctx, bound.ID), callfloor.ErrInUse, "")

	target := mustExt(t, st, ctx, "202")
	mustQueue(t, st, ctx, "500", func(q *callfloor.Queue) {
		q.OverflowAction, q.OverflowTargetID = callfloor.OverflowExtension, ptr(target.ID)
	})
	wantErr(t, st.DeleteExtension(ctx, target.ID), callfloor.ErrInUse, "")

	member := mustExt(t, st, ctx, "203", agentOn)
	keep := mustExt(t, st, ctx, "204", queuesOn)
	q := mustQueue(t, st, ctx, "501", func(q *callfloor.Queue) {
		q.Members = []callfloor.QueueMember{{ExtensionID: member.ID}, {ExtensionID: keep.ID}}
	})
	ok(t, st.DeleteExtension(ctx, member.ID))
	_, err := st.FindExtensionByID(ctx, member.ID)
	wantErr(t, err, callfloor.ErrNotFound, "")
	got, err := st.FindQueueByID(ctx, q.ID)
	ok(t, err)
	same(t, "members after delete", got.Members, []callfloor.QueueMember{
		{ExtensionID: keep.ID, Number: "204", Kind: callfloor.MemberParticipant}})
	wantErr(t, st.DeleteExtension(ctx, member.ID), callfloor.ErrNotFound, "")
}

func testExtensionReadOnly(t *testing.T, st callfloor.Store) {
	_, ctx := agentAccount(t, st, "Acme", 5)
	_, other := agentAccount(t, st, "Other", 5)
	theirs := mustExt(t, st, other, "209")
	e := mustExt(t, st, ctx, "201", queuesOn)
	got, err := st.UpdateExtension(ctx, e.ID, func(x *callfloor.Extension) error {
		x.ID, x.AccountID, x.SIPUsername = theirs.ID, theirs.AccountID, "hijack-12345678"
		x.CreatedAt, x.AgentStatus = x.CreatedAt.AddDate(-1, 0, 0), callfloor.AgentEnabled
		return nil
	})
	ok(t, err)
	want := stored(e)
	want.UpdatedAt = got.UpdatedAt
	same(t, "after read-only changes", got, want)
	found, err := st.FindExtensionByID(other, theirs.ID)
	ok(t, err)
	same(t, "other account's extension", found, stored(theirs))
}
