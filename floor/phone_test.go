package floor

import (
	"context"
	"sync"
	"testing"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/clocktest"
)

// TestPhoneEngineDecidesReadiness: an agent counts as having a phone only
// when a device of their phone engine is registered, so the ACD never
// offers a WebRTC agent a call because a desk softphone is up, nor an
// External Client agent one because their page registered.
func TestPhoneEngineDecidesReadiness(t *testing.T) {
	rows := []struct {
		engine             callfloor.PhoneEngine
		softphone, browser bool
		ready              bool
	}{
		{callfloor.PhoneWebRTC, false, false, false},
		{callfloor.PhoneWebRTC, true, false, false},
		{callfloor.PhoneWebRTC, false, true, true},
		{callfloor.PhoneWebRTC, true, true, true},
		{callfloor.PhoneExternal, false, false, false},
		{callfloor.PhoneExternal, true, false, true},
		{callfloor.PhoneExternal, false, true, false},
		{callfloor.PhoneExternal, true, true, true},
		{"", false, true, true}, // no engine set: any device
		{"", true, false, true},
	}
	for _, r := range rows {
		f := newFloor(t)
		f.cfg.Agents[agentA].PhoneEngine = r.engine
		f.do(Login{Ext: agentA}, Phone{Ext: agentA, Softphone: r.softphone, Browser: r.browser})
		if got := f.s.Agent(agentA).PhoneRegistered; got != r.ready {
			t.Errorf("engine %q, softphone %v, page %v: phone ready %v, want %v", r.engine, r.softphone, r.browser, got, r.ready)
		}
		f.cfg.RequirePhone = true
		_, err := Step(f.cfg, f.s, Dial{Ext: agentA, Number: "+441632960111"}, f.now)
		if refused := callfloor.ErrorCode(err) == callfloor.ErrPhoneOffline; refused == r.ready {
			t.Errorf("engine %q, softphone %v, page %v: dial gave %v", r.engine, r.softphone, r.browser, err)
		}
	}
}

// TestEngineSwitchChangesReadiness: an administrator moving an agent
// from the softphone to the page makes the registered softphone stop
// counting at the reload, and the page's registration count.
func TestEngineSwitchChangesReadiness(t *testing.T) {
	var mu sync.Mutex
	current := testConfig()
	current.Agents[agentA].PhoneEngine = callfloor.PhoneExternal
	e, err := Start(context.Background(), EngineConfig{AccountID: 7, Journal: &memJournal{}, Clock: clocktest.New(t0),
		LoadConfig: func(context.Context) (*Config, error) {
			mu.Lock()
			defer mu.Unlock()
			return current, nil
		},
		Phones: func(ext int64) Phone { return Phone{Softphone: ext == agentA} }})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ready := func() (r bool) {
		e.View(context.Background(), func(s *State, _ *Config) { r = s.Agent(agentA).PhoneRegistered })
		return r
	}
	if _, err := e.Do(context.Background(), Phone{Ext: agentA, Softphone: true}); err != nil {
		t.Fatal(err)
	}
	if !ready() {
		t.Fatal("an External Client agent with a registered softphone has no phone")
	}
	mu.Lock()
	current = testConfig()
	current.Agents[agentA].PhoneEngine = callfloor.PhoneWebRTC
	mu.Unlock()
	if err := e.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ready() {
		t.Fatal("moved to the page phone, the agent still counts their softphone as their phone")
	}
}
