package storetest

import (
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

var tokenTests = []test{
	{"APIToken/RoundTrip", testTokenRoundTrip},
}

func testTokenRoundTrip(t *testing.T, st callfloor.Store) {
	a, ctx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	b, bctx := newAccount(t, st, "Other", callfloor.LicenceNone, 0)
	admin := mustUser(t, st, ctx, "admin", callfloor.RoleAdmin, nil)
	u := mustUser(t, st, ctx, "anna", callfloor.RoleSupervisor, nil)
	bob := mustUser(t, st, bctx, "bob", callfloor.RoleAdmin, nil)
	actx := actorCtx(a.ID, u.ID, callfloor.RoleSupervisor)

	// Account and user come from the context, whatever the caller set.
	tok := &callfloor.APIToken{AccountID: b.ID, UserID: bob.ID, Name: "zapier", Prefix: "cf_zap", TokenHash: []byte{9, 9, 0}}
	ok(t, st.CreateAPIToken(actx, tok))
	if tok.ID == 0 || tok.AccountID != a.ID || tok.UserID != u.ID || tok.LastUsedAt != nil || tok.CreatedAt.IsZero() {
		t.Fatalf("created %+v", tok)
	}
	crm := &callfloor.APIToken{Name: "CRM", Prefix: "cf_crm", TokenHash: []byte("crm")}
	ok(t, st.CreateAPIToken(actorCtx(a.ID, admin.ID, callfloor.RoleAdmin), crm))
	wantErr(t, st.CreateAPIToken(ctx, &callfloor.APIToken{Name: "system", TokenHash: []byte("s")}), callfloor.ErrForbidden, "")
	wantErr(t, st.CreateAPIToken(actx, &callfloor.APIToken{Name: "", TokenHash: []byte("e")}), callfloor.ErrFieldRequired, "name")

	list, err := st.ListAPITokens(ctx)
	ok(t, err)
	same(t, "list by name", list, []*callfloor.APIToken{crm, tok})
	list, err = st.ListAPITokens(bctx)
	ok(t, err)
	same(t, "other account's list", list, []*callfloor.APIToken{})

	now := time.Date(2030, 5, 6, 7, 8, 9, 123e6, time.UTC)
	got, gotUser, err := st.FindAPIToken(ctx, tok.TokenHash, now)
	ok(t, err)
	want := *tok
	want.LastUsedAt = &now
	same(t, "found token", got, &want)
	same(t, "token user", gotUser, u)
	list, err = st.ListAPITokens(ctx)
	ok(t, err)
	same(t, "list after use", list, []*callfloor.APIToken{crm, &want})
	_, _, err = st.FindAPIToken(ctx, []byte("nope"), now)
	wantErr(t, err, callfloor.ErrNotFound, "")

	// A disabled user's tokens do not authenticate.
	_, err = st.UpdateUser(ctx, u.ID, func(x *callfloor.User) error { x.Disabled = true; return nil })
	ok(t, err)
	_, _, err = st.FindAPIToken(ctx, tok.TokenHash, now)
	wantErr(t, err, callfloor.ErrNotFound, "")

	wantErr(t, st.DeleteAPIToken(bctx, tok.ID), callfloor.ErrNotFound, "")
	ok(t, st.DeleteAPIToken(ctx, tok.ID))
	wantErr(t, st.DeleteAPIToken(ctx, tok.ID), callfloor.ErrNotFound, "")
	list, err = st.ListAPITokens(ctx)
	ok(t, err)
	same(t, "list after delete", list, []*callfloor.APIToken{crm})
}
