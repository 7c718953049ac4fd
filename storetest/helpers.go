package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

// errFn is what update functions in the tests return to abort.
var errFn = errors.New("storetest: fn refused")

// wantErr fails unless err has the code and field.
func wantErr(t *testing.T, err error, code, field string) {
	t.Helper()
	if got := callfloor.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
	if got := callfloor.ErrorField(err); got != field {
		t.Fatalf("error field = %q (%v), want %q", got, err, field)
	}
}

// ok fails on any error.
func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// same fails unless got and want are deeply equal.
func same(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %s\nwant %s", what, show(got), show(want))
	}
}

// show prints pointers' targets too, so failures read well.
func show(v any) string {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice {
		parts := make([]string, rv.Len())
		for i := range parts {
			parts[i] = show(rv.Index(i).Interface())
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		return fmt.Sprintf("&%+v", rv.Elem().Interface())
	}
	return fmt.Sprintf("%+v", v)
}

// stamped checks the store's timestamps of a new object.
func stamped(t *testing.T, what string, created, updated time.Time) {
	t.Helper()
	if created.IsZero() || !created.Equal(updated) {
		t.Fatalf("%s: created_at %v, updated_at %v: want equal and set", what, created, updated)
	}
	if created.Location() != time.UTC {
		t.Fatalf("%s: created_at %v is not UTC", what, created)
	}
}

func ptr[T any](v T) *T { return &v }

// newAccount creates an account and returns it with a context acting as
// the system inside it.
func newAccount(t *testing.T, st callfloor.Store, name string, kind callfloor.LicenceKind, licences int) (*callfloor.Account, context.Context) {
	t.Helper()
	a := &callfloor.Account{Name: name, TimeZone: "Europe/London", LicenceKind: kind, AgentLicences: licences}
	ok(t, st.CreateAccount(context.Background(), a))
	return a, callfloor.SystemContext(context.Background(), a.ID)
}

// agentAccount is an account with an activation and licences.
func agentAccount(t *testing.T, st callfloor.Store, name string, licences int) (*callfloor.Account, context.Context) {
	t.Helper()
	return newAccount(t, st, name, callfloor.LicenceAgentExtensions, licences)
}

// actorCtx acts as a user of an account.
func actorCtx(accountID, userID int64, role callfloor.Role) context.Context {
	return callfloor.NewContext(context.Background(), callfloor.Actor{AccountID: accountID, UserID: userID, Role: role})
}

// ext returns an unsaved extension with credentials and mods applied.
func ext(number string, mods ...func(*callfloor.Extension)) *callfloor.Extension {
	e := &callfloor.Extension{Number: number, Name: "Ext " + number, SIPUsername: callfloor.NewSIPUsername(number),
		Agent: callfloor.DefaultAgentSettings()}
	e.SetSIPSecret(callfloor.DefaultSIPRealm, callfloor.NewSIPSecret())
	for _, m := range mods {
		m(e)
	}
	return e
}

// queuesOn gives an extension the queues feature; agentOn makes it an
// agent too.
func queuesOn(e *callfloor.Extension) { e.QueuesFeature = true }
func agentOn(e *callfloor.Extension)  { e.QueuesFeature, e.Agent.Enabled = true, true }

func mustExt(t *testing.T, st callfloor.Store, ctx context.Context, number string, mods ...func(*callfloor.Extension)) *callfloor.Extension {
	t.Helper()
	e := ext(number, mods...)
	ok(t, st.CreateExtension(ctx, e))
	return e
}

// user returns an unsaved user.
func user(username string, role callfloor.Role, extID *int64) *callfloor.User {
	return &callfloor.User{Username: username, Name: strings.ToUpper(username[:1]) + username[1:], Role: role,
		ExtensionID: extID, PasswordHash: "$argon2id$v=19$m=65536,t=1,p=1$c2FsdA$aGFzaA"}
}

func mustUser(t *testing.T, st callfloor.Store, ctx context.Context, username string, role callfloor.Role, extID *int64) *callfloor.User {
	t.Helper()
	u := user(username, role, extID)
	ok(t, st.CreateUser(ctx, u))
	return u
}

func mustQueue(t *testing.T, st callfloor.Store, ctx context.Context, number string, mods ...func(*callfloor.Queue)) *callfloor.Queue {
	t.Helper()
	q := callfloor.NewQueue(number, "Queue "+number)
	for _, m := range mods {
		m(q)
	}
	ok(t, st.CreateQueue(ctx, q))
	return q
}

func mustPool(t *testing.T, st callfloor.Store, ctx context.Context, name string, numbers ...string) *callfloor.CallerIDPool {
	t.Helper()
	p := &callfloor.CallerIDPool{Name: name, Numbers: numbers}
	ok(t, st.CreateCallerIDPool(ctx, p))
	return p
}

// stored reads an extension back as a fresh read shows it: without the
// secret.
func stored(e *callfloor.Extension) *callfloor.Extension {
	c := *e
	c.SIPSecret = ""
	return &c
}
