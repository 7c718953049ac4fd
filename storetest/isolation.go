package storetest

import (
	"context"
	"testing"

	"github.com/callfloor/callfloor"
)

var isolationTests = []test{
	{"Isolation/OtherAccount", testOtherAccount},
	{"Isolation/NoActor", testNoActor},
	{"Isolation/UpdateFnError", testUpdateFnError},
}

// kind is one account-scoped object type, driven through closures so that
// one table covers them all. find and update are nil for API tokens.
type kind struct {
	name   string
	create func(t *testing.T, st callfloor.Store, ctx context.Context) int64
	find   func(ctx context.Context, st callfloor.Store, id int64) (any, error)
	// update changes a field, marks the call, then returns ret.
	update func(ctx context.Context, st callfloor.Store, id int64, ret error, called *bool) error
	delete func(ctx context.Context, st callfloor.Store, id int64) error
	list   func(ctx context.Context, st callfloor.Store) ([]int64, error)
}

func ids[T any](list []*T, err error, id func(*T) int64) ([]int64, error) {
	out := []int64{}
	for _, x := range list {
		out = append(out, id(x))
	}
	return out, err
}

func kinds() []kind {
	return []kind{
		{
			name: "extension",
			create: func(t *testing.T, st callfloor.Store, ctx context.Context) int64 {
				return mustExt(t, st, ctx, "201", queuesOn).ID
			},
			find: func(ctx context.Context, st callfloor.Store, id int64) (any, error) {
				return st.FindExtensionByID(ctx, id)
			},
			update: func(ctx context.Context, st callfloor.Store, id int64, ret error, called *bool) error {
				_, err := st.UpdateExtension(ctx, id, func(x *callfloor.Extension) error {
					*called, x.Name, x.Number = true, "Changed", "299"
					return ret
				})
				return err
			},
			delete: func(ctx context.Context, st callfloor.Store, id int64) error { return st.DeleteExtension(ctx, id) },
			list: func(ctx context.Context, st callfloor.Store) ([]int64, error) {
				l, err := st.ListExtensions(ctx)
				return ids(l, err, func(x *callfloor.Extension) int64 { return x.ID })
			},
		},
		{
			name: "user",
			create: func(t *testing.T, st callfloor.Store, ctx context.Context) int64 {
				mustUser(t, st, ctx, "admin", callfloor.RoleAdmin, nil)
				return mustUser(t, st, ctx, "anna", callfloor.RoleSupervisor, nil).ID
			},
			find: func(ctx context.Context, st callfloor.Store, id int64) (any, error) { return st.FindUserByID(ctx, id) },
			update: func(ctx context.Context, st callfloor.Store, id int64, ret error, called *bool) error {
				_, err := st.UpdateUser(ctx, id, func(x *callfloor.User) error {
					*called, x.Name, x.PasswordHash, x.Disabled = true, "Changed", "$argon2id$changed", true
					return ret
				})
				return err
			},
			delete: func(ctx context.Context, st callfloor.Store, id int64) error { return st.DeleteUser(ctx, id) },
			list: func(ctx context.Context, st callfloor.Store) ([]int64, error) {
				l, err := st.ListUsers(ctx)
				return ids(l, err, func(x *callfloor.User) int64 { return x.ID })
			},
		},
		{
			name: "API token",
			create: func(t *testing.T, st callfloor.Store, ctx context.Context) int64 {
				a, _ := callfloor.ActorFrom(ctx)
				u := mustUser(t, st, ctx, "tokens", callfloor.RoleAdmin, nil)
				tok := &callfloor.APIToken{Name: "CRM", TokenHash: []byte(callfloor.NewSIPSecret())}
				ok(t, st.CreateAPIToken(actorCtx(a.AccountID, u.ID, callfloor.RoleAdmin), tok))
				return tok.ID
			},
			delete: func(ctx context.Context, st callfloor.Store, id int64) error { return st.DeleteAPIToken(ctx, id) },
			list: func(ctx context.Context, st callfloor.Store) ([]int64, error) {
				l, err := st.ListAPITokens(ctx)
				return ids(l, err, func(x *callfloor.APIToken) int64 { return x.ID })
			},
		},
		{
			name: "pause reason",
			create: func(t *testing.T, st callfloor.Store, ctx context.Context) int64 {
				p := &callfloor.PauseReason{Name: "Lunch", Code: 20}
				ok(t, st.CreatePauseReason(ctx, p))
				return p.ID
			},
			find: func(ctx context.Context, st callfloor.Store, id int64) (any, error) {
				return st.FindPauseReasonByID(ctx, id)
			},
			update: func(ctx context.Context, st callfloor.Store, id int64, ret error, called *bool) error {
				_, err := st.UpdatePauseReason(ctx, id, func(x *callfloor.PauseReason) error {
					*called, x.Name, x.Code = true, "Changed", 99
					return ret
				})
				return err
			},
			delete: func(ctx context.Context, st callfloor.Store, id int64) error { return st.DeletePauseReason(ctx, id) },
			list: func(ctx context.Context, st callfloor.Store) ([]int64, error) {
				l, err := st.ListPauseReasons(ctx)
				return ids(l, err, func(x *callfloor.PauseReason) int64 { return x.ID })
			},
		},
		{
			name: "queue",
			create: func(t *testing.T, st callfloor.Store, ctx context.Context) int64 {
				m := mustExt(t, st, ctx, "201", queuesOn)
				return mustQueue(t, st, ctx, "500", func(q *callfloor.Queue) {
					q.Members = []callfloor.QueueMember{{ExtensionID: m.ID}}
					q.Outcomes = []callfloor.Outcome{{Category: callfloor.CategorySuccess, Name: "Sale"}}
				}).ID
			},
			find: func(ctx context.Context, st callfloor.Store, id int64) (any, error) { return st.FindQueueByID(ctx, id) },
			update: func(ctx context.Context, st callfloor.Store, id int64, ret error, called *bool) error {
				_, err := st.UpdateQueue(ctx, id, func(x *callfloor.Queue) error {
					*called, x.Name, x.Members, x.Outcomes = true, "Changed", nil, nil
					return ret
				})
				return err
			},
			delete: func(ctx context.Context, st callfloor.Store, id int64) error { return st.DeleteQueue(ctx, id) },
			list: func(ctx context.Context, st callfloor.Store) ([]int64, error) {
				l, err := st.ListQueues(ctx)
				return ids(l, err, func(x *callfloor.Queue) int64 { return x.ID })
			},
		},
		{
			name: "directory entry",
			create: func(t *testing.T, st callfloor.Store, ctx context.Context) int64 {
				d := &callfloor.DirectoryEntry{Name: "Plumber", Number: "+441234"}
				ok(t, st.CreateDirectoryEntry(ctx, d))
				return d.ID
			},
			find: func(ctx context.Context, st callfloor.Store, id int64) (any, error) {
				return st.FindDirectoryEntryByID(ctx, id)
			},
			update: func(ctx context.Context, st callfloor.Store, id int64, ret error, called *bool) error {
				_, err := st.UpdateDirectoryEntry(ctx, id, func(x *callfloor.DirectoryEntry) error {
					*called, x.Name = true, "Changed"
					return ret
				})
				return err
			},
			delete: func(ctx context.Context, st callfloor.Store, id int64) error { return st.DeleteDirectoryEntry(ctx, id) },
			list: func(ctx context.Context, st callfloor.Store) ([]int64, error) {
				l, err := st.ListDirectoryEntries(ctx)
				return ids(l, err, func(x *callfloor.DirectoryEntry) int64 { return x.ID })
			},
		},
		{
			name: "caller-ID pool",
			create: func(t *testing.T, st callfloor.Store, ctx context.Context) int64 {
				return mustPool(t, st, ctx, "Sales", "+15550000001", "+15550000002").ID
			},
			find: func(ctx context.Context, st callfloor.Store, id int64) (any, error) {
				return st.FindCallerIDPoolByID(ctx, id)
			},
			update: func(ctx context.Context, st callfloor.Store, id int64, ret error, called *bool) error {
				_, err := st.UpdateCallerIDPool(ctx, id, func(x *callfloor.CallerIDPool) error {
					*called, x.Name, x.Numbers = true, "Changed", []string{"+1"}
					return ret
				})
				return err
			},
			delete: func(ctx context.Context, st callfloor.Store, id int64) error { return st.DeleteCallerIDPool(ctx, id) },
			list: func(ctx context.Context, st callfloor.Store) ([]int64, error) {
				l, err := st.ListCallerIDPools(ctx)
				return ids(l, err, func(x *callfloor.CallerIDPool) int64 { return x.ID })
			},
		},
	}
}

// testOtherAccount: an actor of account B never sees, changes or deletes
// an object of account A.
func testOtherAccount(t *testing.T, st callfloor.Store) {
	for _, k := range kinds() {
		t.Run(k.name, func(t *testing.T) {
			_, actx := agentAccount(t, st, "A"+k.name, 5)
			_, bctx := agentAccount(t, st, "B"+k.name, 5)
			id := k.create(t, st, actx)
			before, err := k.list(bctx, st)
			ok(t, err)
			if k.find != nil {
				_, err := k.find(bctx, st, id)
				wantErr(t, err, callfloor.ErrNotFound, "")
				called := false
				wantErr(t, k.update(bctx, st, id, nil, &called), callfloor.ErrNotFound, "")
				if called {
					t.Fatal("fn called with another account's object")
				}
			}
			wantErr(t, k.delete(bctx, st, id), callfloor.ErrNotFound, "")
			for _, got := range before {
				if got == id {
					t.Fatalf("B's list shows A's %s %d", k.name, id)
				}
			}
			// A still has it, unchanged.
			list, err := k.list(actx, st)
			ok(t, err)
			found := false
			for _, got := range list {
				found = found || got == id
			}
			if !found {
				t.Fatalf("A's %s %d is gone", k.name, id)
			}
		})
	}
}

// testNoActor: account-scoped methods refuse a context without an actor.
func testNoActor(t *testing.T, st callfloor.Store) {
	ctx := context.Background()
	for _, k := range kinds() {
		t.Run(k.name, func(t *testing.T) {
			_, err := k.list(ctx, st)
			wantErr(t, err, callfloor.ErrUnauthorized, "")
			wantErr(t, k.delete(ctx, st, 1), callfloor.ErrUnauthorized, "")
			if k.find != nil {
				_, err = k.find(ctx, st, 1)
				wantErr(t, err, callfloor.ErrUnauthorized, "")
				called := false
				wantErr(t, k.update(ctx, st, 1, nil, &called), callfloor.ErrUnauthorized, "")
			}
		})
	}
	wantErr(t, st.CreateExtension(ctx, ext("201")), callfloor.ErrUnauthorized, "")
	wantErr(t, st.CreateUser(ctx, user("anna", callfloor.RoleAdmin, nil)), callfloor.ErrUnauthorized, "")
	wantErr(t, st.CreateQueue(ctx, callfloor.NewQueue("500", "Q")), callfloor.ErrUnauthorized, "")
	wantErr(t, st.CreatePauseReason(ctx, &callfloor.PauseReason{Name: "Lunch", Code: 1}), callfloor.ErrUnauthorized, "")
	wantErr(t, st.CreateDirectoryEntry(ctx, &callfloor.DirectoryEntry{Name: "X", Number: "1"}), callfloor.ErrUnauthorized, "")
	wantErr(t, st.CreateCallerIDPool(ctx, &callfloor.CallerIDPool{Name: "X", Numbers: []string{"1"}}), callfloor.ErrUnauthorized, "")
	wantErr(t, st.CreateAPIToken(ctx, &callfloor.APIToken{Name: "X", TokenHash: []byte("x")}), callfloor.ErrUnauthorized, "")
}

// testUpdateFnError: an error from fn comes back as it is and nothing is
// written.
func testUpdateFnError(t *testing.T, st callfloor.Store) {
	for _, k := range kinds() {
		if k.update == nil {
			continue
		}
		t.Run(k.name, func(t *testing.T) {
			_, ctx := agentAccount(t, st, "Acme "+k.name, 5)
			id := k.create(t, st, ctx)
			before, err := k.find(ctx, st, id)
			ok(t, err)
			called := false
			if err := k.update(ctx, st, id, errFn, &called); err != errFn || !called {
				t.Fatalf("update returned %v (fn called: %v), want errFn", err, called)
			}
			after, err := k.find(ctx, st, id)
			ok(t, err)
			same(t, "after the refused update", after, before)
		})
	}
}
