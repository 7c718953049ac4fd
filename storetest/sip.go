package storetest

import (
	"context"
	"strings"
	"testing"

	"github.com/callfloor/callfloor"
)

var sipTests = []test{
	{"SIP/FindCredentials", testFindSIPCredentials},
}

func testFindSIPCredentials(t *testing.T, st callfloor.Store) {
	ctx := context.Background()
	_, actx := newAccount(t, st, "Acme", callfloor.LicenceNone, 0)
	_, other := newAccount(t, st, "Other", callfloor.LicenceNone, 0)
	a := mustExt(t, st, actx, "100")
	b := mustExt(t, st, other, "100")

	// Found across accounts, with the account and both hashes, from a
	// context that carries no actor.
	for _, want := range []*callfloor.Extension{a, b} {
		got, err := st.FindSIPCredentials(ctx, want.SIPUsername)
		ok(t, err)
		same(t, "extension", got, stored(want))
		if got.SIPHA1 == "" || got.SIPHA1SHA256 == "" {
			t.Fatal("digest hashes missing")
		}
	}
	for _, name := range []string{"", "100", "nobody-abcdefgh", strings.ToUpper(a.SIPUsername)} {
		_, err := st.FindSIPCredentials(ctx, name)
		wantErr(t, err, callfloor.ErrNotFound, "")
	}
	// A deleted extension no longer authenticates.
	ok(t, st.DeleteExtension(actx, a.ID))
	_, err := st.FindSIPCredentials(ctx, a.SIPUsername)
	wantErr(t, err, callfloor.ErrNotFound, "")
}
