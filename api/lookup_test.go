package api

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/floor"
)

// phoneSet is the extensions whose phones are registered.
type phoneSet map[int64]bool

func (p phoneSet) Registered(_, ext int64) bool { return p[ext] }

func TestLookup(t *testing.T) {
	phones := phoneSet{}
	h := newHarness(t, func(c *Config) { c.Phones = phones })
	a := h.seed("alpha")
	b := h.seed("beta")
	phones[a.agentExt.ID], phones[a.plainExt.ID] = true, true
	if _, err := h.floor.Do(context.Background(), a.acc.ID, floor.Login{Ext: a.agentExt.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.floor.Do(context.Background(), a.acc.ID, floor.Pause{Ext: a.agentExt.ID, ReasonID: a.reason.ID}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		q         string
		exts      map[string]LiveStatus // number → status
		directory []string
	}{
		{"20", map[string]LiveStatus{"201": "paused", "202": "idle", "203": "offline"}, nil},
		{"201", map[string]LiveStatus{"201": "paused"}, nil},
		{"ALPHA 202", map[string]LiveStatus{"202": "idle"}, nil},
		{"plumb", map[string]LiveStatus{}, []string{"alpha plumber"}},
		{"960999", map[string]LiveStatus{}, []string{"alpha plumber"}},
		{"beta", map[string]LiveStatus{}, nil}, // another account's names are never found
	}
	for _, tc := range tests {
		w := h.call("GET", "/api/v1/lookup?q="+url.QueryEscape(tc.q), a.agentTok, nil)
		wantStatus(t, w, http.StatusOK)
		res := decode[LookupResult](t, w)
		got := map[string]LiveStatus{}
		for _, e := range res.Extensions {
			got[e.Number] = e.Status
		}
		if len(got) != len(tc.exts) {
			t.Errorf("q=%q: extensions %v, want %v", tc.q, got, tc.exts)
		}
		for n, st := range tc.exts {
			if got[n] != st {
				t.Errorf("q=%q: %s is %q, want %q", tc.q, n, got[n], st)
			}
		}
		var names []string
		for _, d := range res.Directory {
			names = append(names, d.Name)
		}
		if len(names) != len(tc.directory) || (len(names) > 0 && names[0] != tc.directory[0]) {
			t.Errorf("q=%q: directory %v, want %v", tc.q, names, tc.directory)
		}
	}
	w := h.call("GET", "/api/v1/lookup", a.agentTok, nil) // the dial pad opens: the first entries
	wantStatus(t, w, http.StatusOK)
	if res := decode[LookupResult](t, w); len(res.Extensions) != 3 || len(res.Directory) != 1 {
		t.Errorf("empty query: %+v", res)
	}
	w = h.call("GET", "/api/v1/lookup?q="+url.QueryEscape(strings.Repeat("x", 65)), b.agentTok, nil)
	wantError(t, w, http.StatusUnprocessableEntity, callfloor.ErrInvalidField, "q")
}

// TestPhoneRequired: outside simulation, an agent whose phone is not
// registered is told so when it dials (and is never offered a call).
func TestPhoneRequired(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		fl := floor.New(floor.FloorConfig{Journal: c.Store, Clock: c.Clock.(callfloor.TimerClock), Publish: c.Hub.Publish,
			LoadConfig: floor.StoreConfig(c.Store), RequirePhone: true})
		t.Cleanup(fl.Close)
		c.Floor = fl
	})
	a := h.seed("alpha")
	wantStatus(t, h.call("POST", "/api/v1/floor/me/login", a.agentTok, nil), http.StatusOK)
	w := h.call("POST", "/api/v1/floor/me/dial", a.agentTok, map[string]string{"number": "+441632960555"})
	wantError(t, w, http.StatusConflict, callfloor.ErrPhoneOffline, "")
	w = h.call("GET", "/api/v1/floor/me", a.agentTok, nil)
	if v := decode[MyFloor](t, w); v.PhoneRegistered {
		t.Fatal("the view says the phone is registered")
	}
}

// presentCalls is a telephony plane whose OnCall is a set.
type presentCalls struct {
	fakeCalls
	on map[int64]bool
}

func (p *presentCalls) OnCall(_, ext int64) bool { return p.on[ext] }

func TestLookupShowsPlainExtensionsOnCall(t *testing.T) {
	phones := phoneSet{}
	calls := &presentCalls{on: map[int64]bool{}}
	h := newHarness(t, func(c *Config) { c.Phones, c.Calls = phones, calls })
	a := h.seed("alpha")
	phones[a.plainExt.ID] = true
	calls.on[a.plainExt.ID] = true
	w := h.call("GET", "/api/v1/lookup?q=202", a.agentTok, nil)
	wantStatus(t, w, http.StatusOK)
	res := decode[LookupResult](t, w)
	if len(res.Extensions) != 1 || res.Extensions[0].Status != "on_call" {
		t.Fatalf("lookup %+v, want 202 on_call", res.Extensions)
	}
}
