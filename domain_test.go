package callfloor_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/callfloor/callfloor"
)

func TestErrorHelpers(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", callfloor.FieldError(callfloor.ErrNumberTaken, "number", "number 201 is taken"))
	if got := callfloor.ErrorCode(err); got != callfloor.ErrNumberTaken {
		t.Errorf("code = %q", got)
	}
	if got := callfloor.ErrorField(err); got != "number" {
		t.Errorf("field = %q", got)
	}
	if got := callfloor.ErrorMessage(errors.New("pq: secret detail")); got != "internal error" {
		t.Errorf("a plain error leaked its text: %q", got)
	}
	if callfloor.ErrorCode(nil) != "" {
		t.Error("nil error has a code")
	}
}

func TestErrorCatalogueUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range callfloor.Errors {
		if seen[e.Code] || e.Description == "" {
			t.Errorf("catalogue entry %q duplicated or undocumented", e.Code)
		}
		seen[e.Code] = true
	}
}

func TestSIPSecretDigest(t *testing.T) {
	e := &callfloor.Extension{SIPUsername: "Mufasa"}
	// RFC 2617 section 3.5 example: HA1 of Mufasa:testrealm@host.com:Circle Of Life.
	e.SetSIPSecret("testrealm@host.com", "Circle Of Life")
	if e.SIPHA1 != "939e7578ed9e3c518a452acee763bce9" {
		t.Errorf("HA1 = %s", e.SIPHA1)
	}
	if len(e.SIPHA1SHA256) != 64 {
		t.Errorf("SHA-256 HA1 = %s", e.SIPHA1SHA256)
	}
	if u := callfloor.NewSIPUsername("201"); len(u) != 12 || u[:4] != "201-" {
		t.Errorf("username = %s", u)
	}
}

func TestRoleOrder(t *testing.T) {
	tests := []struct {
		r, min callfloor.Role
		want   bool
	}{
		{callfloor.RoleAdmin, callfloor.RoleAgent, true},
		{callfloor.RoleSupervisor, callfloor.RoleAdmin, false},
		{callfloor.RoleAgent, callfloor.RoleAgent, true},
		{"root", callfloor.RoleAgent, false},
	}
	for _, tc := range tests {
		if got := tc.r.AtLeast(tc.min); got != tc.want {
			t.Errorf("%s.AtLeast(%s) = %v", tc.r, tc.min, got)
		}
	}
}
