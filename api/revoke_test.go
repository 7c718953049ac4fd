package api

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/floor"
)

// TestRevocationClosesOpenStreams: logging out, a password changed or
// reset, a user disabled, deleted or given another role: the streams
// already open close at once with a code and a reason the page can show,
// and deliver nothing more.
func TestRevocationClosesOpenStreams(t *testing.T) {
	for _, tt := range []struct {
		name   string
		code   websocket.StatusCode
		revoke func(r *streamRig, a *tenant, streamTok string)
	}{
		{"logout", CloseSessionEnded, func(r *streamRig, a *tenant, tok string) {
			wantStatus(t, r.call("POST", "/api/v1/auth/logout", tok, nil), http.StatusNoContent)
		}},
		{"password changed from another session", CloseSessionEnded, func(r *streamRig, a *tenant, tok string) {
			other := r.login(a, a.agent.Username)
			wantStatus(t, r.call("PUT", "/api/v1/auth/password", other,
				map[string]any{"current_password": testPassword, "new_password": "a much longer secret 42"}), http.StatusNoContent)
		}},
		{"password reset by an admin", CloseSessionEnded, func(r *streamRig, a *tenant, tok string) {
			wantStatus(t, r.call("POST", idPath("/api/v1/users/%d/password", a.agent.ID), a.adminTok,
				map[string]any{"password": "a much longer secret 42"}), http.StatusNoContent)
		}},
		{"disabled", CloseAccessChanged, func(r *streamRig, a *tenant, tok string) {
			wantStatus(t, r.call("PATCH", idPath("/api/v1/users/%d", a.agent.ID), a.adminTok, map[string]any{"disabled": true}), http.StatusOK)
		}},
		{"deleted", CloseAccessChanged, func(r *streamRig, a *tenant, tok string) {
			wantStatus(t, r.call("DELETE", idPath("/api/v1/users/%d", a.agent.ID), a.adminTok, nil), http.StatusNoContent)
		}},
		{"role changed", CloseAccessChanged, func(r *streamRig, a *tenant, tok string) {
			wantStatus(t, r.call("PATCH", idPath("/api/v1/users/%d", a.agent.ID), a.adminTok, map[string]any{"role": "supervisor"}), http.StatusOK)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newStreamRig(t, 1000)
			a := r.seed("alpha")
			tok := r.login(a, a.agent.Username)
			ws := r.dial(tok, "")
			ws.next() // snapshot
			// Another user's stream stays open.
			sup := r.dial(a.supTok, "")
			sup.next()
			tt.revoke(r, a, tok)

			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			for {
				_, _, err := ws.c.Read(ctx)
				if err == nil {
					continue // events from before the revocation
				}
				if got := websocket.CloseStatus(err); got != tt.code {
					t.Fatalf("the stream ended with %v (%d), want close code %d within a second", err, got, tt.code)
				}
				break
			}
			r.do(a, floor.Login{Ext: a.agentExt.ID})
			if m := sup.next(); m.Type != "event" || m.Event.Type != callfloor.EventLoggedIn {
				t.Fatalf("the supervisor's stream: %+v", m)
			}
		})
	}
}

// TestDeletedTokenClosesItsStreams: a stream opened with an API token
// closes at once when an admin deletes the token; a stream of another
// token stays open.
func TestDeletedTokenClosesItsStreams(t *testing.T) {
	r := newStreamRig(t, 1000)
	a := r.seed("alpha")
	newToken := func(name string) (int64, string) {
		w := r.call("POST", "/api/v1/tokens", a.adminTok, map[string]any{"name": name})
		wantStatus(t, w, http.StatusCreated)
		nt := decode[struct {
			ID    int64  `json:"id"`
			Token string `json:"token"`
		}](t, w)
		return nt.ID, nt.Token
	}
	id, tok := newToken("crm")
	_, other := newToken("wallboard")
	ws := r.dial(tok, "")
	ws.next()
	keep := r.dial(other, "")
	keep.next()
	wantStatus(t, r.call("DELETE", idPath("/api/v1/tokens/%d", id), a.adminTok, nil), http.StatusNoContent)

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for {
		_, _, err := ws.c.Read(ctx)
		if err == nil {
			continue
		}
		if got := websocket.CloseStatus(err); got != CloseSessionEnded {
			t.Fatalf("the stream ended with %v (%d), want close code %d within a second", err, got, CloseSessionEnded)
		}
		break
	}
	r.do(a, floor.Login{Ext: a.agentExt.ID})
	if m := keep.next(); m.Type != "event" || m.Event.Type != callfloor.EventLoggedIn {
		t.Fatalf("the other token's stream: %+v", m)
	}
}
