package memext

import (
	"context"
	"testing"

	"github.com/callfloor/callfloor"
)

func TestStore(t *testing.T) {
	var s Store
	s.Add(&callfloor.Extension{ID: 1, AccountID: 7, Number: "201", SIPUsername: "u201"})
	ctx := context.Background()
	if e, err := s.FindSIPCredentials(ctx, "u201"); err != nil || e.ID != 1 {
		t.Fatalf("by username: %+v %v", e, err)
	}
	e, err := s.ByNumber(ctx, 7, "201")
	if err != nil || e.ID != 1 {
		t.Fatalf("by number: %+v %v", e, err)
	}
	e.Number = "999" // a copy
	if _, err := s.ByNumber(ctx, 7, "201"); err != nil {
		t.Fatal("changing a found extension changed the store")
	}
	if _, err := s.ByNumber(ctx, 8, "201"); callfloor.ErrorCode(err) != callfloor.ErrNotFound {
		t.Fatalf("another account's number: %v", err)
	}
	if _, err := s.FindSIPCredentials(ctx, "nobody"); callfloor.ErrorCode(err) != callfloor.ErrNotFound {
		t.Fatalf("an unknown username: %v", err)
	}
}
