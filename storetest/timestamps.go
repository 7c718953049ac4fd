package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

// RunClock checks that the store stamps CreatedAt and UpdatedAt from the
// clock it was opened with, at millisecond precision in UTC. open must
// return a fresh store that uses clock.
func RunClock(t *testing.T, open func(t *testing.T, clock callfloor.Clock) callfloor.Store) {
	t0 := time.Date(2031, 7, 8, 9, 10, 11, 123456789, time.FixedZone("X", 3600))
	clock := NewClock(t0)
	st := open(t, clock)
	at := func(tm time.Time) time.Time { return tm.Truncate(time.Millisecond).UTC() }
	check := func(what string, created, updated, wantCreated, wantUpdated time.Time) {
		t.Helper()
		if !created.Equal(at(wantCreated)) || !updated.Equal(at(wantUpdated)) || created.Location() != time.UTC {
			t.Fatalf("%s: created %v updated %v, want %v and %v", what, created, updated, at(wantCreated), at(wantUpdated))
		}
	}

	a, ctx := agentAccount(t, st, "Acme", 5)
	check("account", a.CreatedAt, a.UpdatedAt, t0, t0)
	e := mustExt(t, st, ctx, "201", queuesOn)
	check("extension", e.CreatedAt, e.UpdatedAt, t0, t0)
	u := mustUser(t, st, ctx, "admin", callfloor.RoleAdmin, nil)
	check("user", u.CreatedAt, u.UpdatedAt, t0, t0)
	q := mustQueue(t, st, ctx, "500")
	check("queue", q.CreatedAt, q.UpdatedAt, t0, t0)
	tok := &callfloor.APIToken{Name: "CRM", TokenHash: []byte("crm")}
	ok(t, st.CreateAPIToken(actorCtx(a.ID, u.ID, callfloor.RoleAdmin), tok))
	check("API token", tok.CreatedAt, tok.CreatedAt, t0, t0)
	ses := &callfloor.Session{AccountID: a.ID, UserID: u.ID, TokenHash: []byte("s"), ExpiresAt: t0.Add(time.Hour)}
	ok(t, st.CreateSession(context.Background(), ses))
	check("session", ses.CreatedAt, ses.CreatedAt, t0, t0)

	clock.Advance(90 * time.Second)
	t1 := clock.Now()
	ga, err := st.UpdateAccount(context.Background(), a.ID, func(x *callfloor.Account) error { x.TimeZone = "UTC"; return nil })
	ok(t, err)
	check("updated account", ga.CreatedAt, ga.UpdatedAt, t0, t1)
	ge, err := st.UpdateExtension(ctx, e.ID, func(x *callfloor.Extension) error { x.Name = "New"; return nil })
	ok(t, err)
	check("updated extension", ge.CreatedAt, ge.UpdatedAt, t0, t1)
	gu, err := st.UpdateUser(ctx, u.ID, func(x *callfloor.User) error { x.Name = "New"; return nil })
	ok(t, err)
	check("updated user", gu.CreatedAt, gu.UpdatedAt, t0, t1)
	gq, err := st.UpdateQueue(ctx, q.ID, func(x *callfloor.Queue) error { x.Name = "New"; return nil })
	ok(t, err)
	check("updated queue", gq.CreatedAt, gq.UpdatedAt, t0, t1)
	own, err := st.TakeOwnership(context.Background(), a.ID, "node-1")
	ok(t, err)
	check("ownership", own.Since, own.Since, t1, t1)
	node, err := st.PutClusterNode(context.Background(), callfloor.ClusterNode{Name: "node-1", SIPURI: "sip:127.0.0.1:5071", HTTPURL: "http://127.0.0.1:8081"})
	ok(t, err)
	check("cluster node", node.SeenAt, node.SeenAt, t1, t1)

	fa, err := st.FindAccountByID(context.Background(), a.ID)
	ok(t, err)
	same(t, "found account", fa, ga)
	fe, err := st.FindExtensionByID(ctx, e.ID)
	ok(t, err)
	same(t, "found extension", fe, ge)
	fu, err := st.FindUserByID(ctx, u.ID)
	ok(t, err)
	same(t, "found user", fu, gu)
	fq, err := st.FindQueueByID(ctx, q.ID)
	ok(t, err)
	same(t, "found queue", fq, gq)
	fo, err := st.AccountOwnership(context.Background(), a.ID)
	ok(t, err)
	same(t, "read ownership", fo, own)
	nodes, err := st.ClusterNodes(context.Background())
	ok(t, err)
	same(t, "listed cluster nodes", nodes, []callfloor.ClusterNode{node})
}
