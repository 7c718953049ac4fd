package forward

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/callfloor/callfloor"
)

func TestVouched(t *testing.T) {
	agent := callfloor.Actor{AccountID: 7, UserID: 3, Role: callfloor.RoleAgent}
	owner := func(account int64) context.Context {
		return context.WithValue(WithForwarded(context.Background()), accountKey{}, account)
	}
	tests := []struct {
		name   string
		ctx    context.Context
		header string
		want   callfloor.Actor
		ok     bool
	}{
		{"forwarded, vouched", owner(7), encodeActor(agent), agent, true},
		{"an API token's", owner(7), "7;3;admin;12", callfloor.Actor{AccountID: 7, UserID: 3, Role: callfloor.RoleAdmin, TokenID: 12}, true},
		{"sent by a client, not forwarded", context.Background(), encodeActor(agent), callfloor.Actor{}, false},
		{"forwarded without an account", WithForwarded(context.Background()), encodeActor(agent), callfloor.Actor{}, false},
		{"for another account than the subject's", owner(8), encodeActor(agent), callfloor.Actor{}, false},
		{"no header", owner(7), "", callfloor.Actor{}, false},
		{"unknown role", owner(7), "7;3;root;0", callfloor.Actor{}, false},
		{"no user", owner(7), "7;0;agent;0", callfloor.Actor{}, false},
		{"extra field", owner(7), "7;3;agent;0;1", callfloor.Actor{}, false},
		{"negative token", owner(7), "7;3;agent;-1", callfloor.Actor{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/api/v1/floor/agents", nil).WithContext(tt.ctx)
			if tt.header != "" {
				r.Header.Set(HeaderActor, tt.header)
			}
			got, ok := Vouched(r)
			if ok != tt.ok || got != tt.want {
				t.Fatalf("Vouched = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func FuzzDecodeActor(f *testing.F) {
	f.Add("7;3;agent;0")
	f.Add("1;1;supervisor;99")
	f.Add(";;;")
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := decodeActor(s)
		if !ok {
			return
		}
		if b, ok := decodeActor(encodeActor(a)); !ok || b != a {
			t.Fatalf("%q decodes to %+v, which does not survive a round trip", s, a)
		}
		if a.AccountID <= 0 || a.UserID <= 0 || !a.Role.Valid() {
			t.Fatalf("%q decodes to an actor that cannot be: %+v", s, a)
		}
	})
}
