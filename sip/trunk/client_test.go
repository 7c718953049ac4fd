package trunk

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

func registered(s Status) bool { return s.State == StateRegistered }
func failing(s Status) bool    { return s.State == StateFailing }

func TestRegisterAnswersTheChallenge(t *testing.T) {
	for _, network := range []string{"udp", "tcp"} {
		t.Run(network, func(t *testing.T) {
			c := newCarrier(t, network)
			c.set(func(c *carrier) { c.grant = 120 })
			h := newHarness(t)
			h.store.set(trunkFor(c, 1, func(t *callfloor.Trunk) {
				t.Transport = callfloor.TrunkTransport(network)
				t.ExpirySeconds = 600
			}))
			h.reload()
			st := h.waitFor(1, "registered", registered)
			want := Status{TrunkStatus: callfloor.TrunkStatus{TrunkID: 1, State: StateRegistered, RegisteredAt: t0,
				Expires: t0.Add(120 * time.Second), NextAttempt: t0.Add(60 * time.Second)}, AccountID: 7}
			if st != want {
				t.Fatalf("status %+v\nwant %+v", st, want)
			}
			seen := c.registers()
			if len(seen) != 2 || seen[0].Authorized || !seen[1].Authorized || seen[0].CallID != seen[1].CallID ||
				seen[1].CSeq != seen[0].CSeq+1 || seen[1].Expires != 600 {
				t.Fatalf("REGISTERs %+v", seen)
			}
			if !strings.Contains(seen[1].Contact, "sip:acct-1001@127.0.0.1:5099") || !strings.Contains(seen[1].Contact, "cftrunk=1") ||
				(network == "tcp") != strings.Contains(seen[1].Contact, "transport=tcp") {
				t.Errorf("contact %s", seen[1].Contact)
			}
			if strings.Contains(seen[1].Request, c.pass) {
				t.Error("the password went over the wire")
			}
			first := h.seenChanges()[0]
			if first.State != StateRegistering || !first.NextAttempt.Equal(t0) {
				t.Errorf("first change %+v", first)
			}
		})
	}
}

func TestRefreshBeforeExpiry(t *testing.T) {
	c := newCarrier(t, "udp")
	c.set(func(c *carrier) { c.grant = 120 })
	h := newHarness(t)
	h.store.set(trunkFor(c, 1))
	h.reload()
	h.waitFor(1, "registered", registered)
	// Nothing happens before the refresh time; at it, a new REGISTER in
	// the same dialog.
	fired := h.clock.Fired()
	h.clock.Advance(59 * time.Second)
	if h.clock.Fired() != fired {
		t.Fatal("a timer fired before the refresh time")
	}
	if n := len(c.registers()); n != 2 {
		t.Fatalf("%d REGISTERs before the refresh time", n)
	}
	c.set(func(c *carrier) { c.grant = 300 })
	h.clock.Advance(time.Second)
	seen := waitRegisters(t, c, 4)
	st := h.waitFor(1, "refreshed", func(s Status) bool { return s.Expires.Equal(t0.Add(60*time.Second + 300*time.Second)) })
	if st.State != StateRegistered || !st.NextAttempt.Equal(t0.Add(60*time.Second+240*time.Second)) {
		t.Fatalf("after refresh %+v", st)
	}
	if seen[2].CallID != seen[0].CallID || seen[2].CSeq <= seen[1].CSeq || !seen[3].Authorized {
		t.Fatalf("refresh REGISTERs %+v", seen)
	}
}

func TestWrongPasswordBacksOff(t *testing.T) {
	c := newCarrier(t, "udp")
	h := newHarness(t)
	h.store.set(trunkFor(c, 1, func(t *callfloor.Trunk) { t.Password = "wrong password" }))
	h.reload()
	st := h.waitFor(1, "failing", failing)
	if st.Failures != 1 || !strings.Contains(st.LastError, "refused the credentials") || !st.NextAttempt.Equal(t0.Add(30*time.Second)) ||
		!st.Expires.IsZero() || strings.Contains(st.LastError, "wrong password") {
		t.Fatalf("status %+v", st)
	}
	if seen := c.registers(); len(seen) != 2 || seen[1].Authorized {
		t.Fatalf("REGISTERs %+v", seen)
	}
	if strings.Contains(h.logs.String(), "wrong password") || !strings.Contains(h.logs.String(), "trunk registration failed") {
		t.Fatal("the log shows the password, or not the failure")
	}
	// Exponential: 30 s, 60 s, 120 s, then capped at 4 minutes.
	at := t0.Add(30 * time.Second)
	for i, wait := range []time.Duration{60 * time.Second, 120 * time.Second, 240 * time.Second, 240 * time.Second} {
		h.clock.Set(at)
		st = h.waitFor(1, "failing again", func(s Status) bool { return s.Failures == i+2 })
		if !st.NextAttempt.Equal(at.Add(wait)) {
			t.Fatalf("failure %d: next attempt %v, want %v", i+2, st.NextAttempt, at.Add(wait))
		}
		at = at.Add(wait)
	}
	// The password fixed: Reload registers again at once.
	h.store.set(trunkFor(c, 1))
	h.reload()
	st = h.waitFor(1, "registered", registered)
	if st.Failures != 0 || st.LastError != "" {
		t.Fatalf("status %+v", st)
	}
}

func TestUnregisterOnClose(t *testing.T) {
	c := newCarrier(t, "udp")
	h := newHarness(t)
	h.store.set(trunkFor(c, 1), trunkFor(c, 2, func(t *callfloor.Trunk) {
		t.Auth, t.AllowedSources, t.Password = callfloor.TrunkIP, []string{"192.0.2.1"}, ""
	}))
	h.reload()
	h.waitFor(1, "registered", registered)
	if len(h.client.Status()) != 1 {
		t.Fatalf("an ip trunk registers: %+v", h.client.Status())
	}
	if err := h.client.Close(); err != nil {
		t.Fatal(err)
	}
	seen := c.registers()
	last := seen[len(seen)-1]
	if len(seen) != 4 || last.Expires != 0 || !last.Authorized || last.CallID != seen[0].CallID {
		t.Fatalf("REGISTERs %+v", seen)
	}
	if len(h.client.Status()) != 0 {
		t.Fatalf("status after close %+v", h.client.Status())
	}
	changes := h.seenChanges()
	if end := changes[len(changes)-1]; end.State != StateStopped || end.TrunkID != 1 {
		t.Fatalf("last change %+v", end)
	}
	if err := h.client.Reload(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("reload after close: %v", err)
	}
	if err := h.client.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
}

func TestReloadFollowsTheTrunks(t *testing.T) {
	c := newCarrier(t, "udp")
	h := newHarness(t)
	h.reload()
	if len(h.client.Status()) != 0 {
		t.Fatal("registers with no trunks")
	}
	tr := trunkFor(c, 1)
	h.store.set(tr)
	h.reload()
	h.waitFor(1, "registered", registered)

	// A reload without changes does nothing: the trunk keeps its worker
	// (a new one would register again).
	before := h.client.workerOf(tr.ID)
	h.reload()
	if after := h.client.workerOf(tr.ID); after != before {
		t.Fatal("an idle reload restarted the trunk's registration")
	}
	if n := len(c.registers()); n != 2 {
		t.Fatalf("%d REGISTERs after an idle reload", n)
	}
	// A changed setting: withdrawn, then registered with the new one.
	changed := trunkFor(c, 1, func(t *callfloor.Trunk) { t.ExpirySeconds = 900 })
	h.store.set(changed)
	h.reload()
	seen := waitRegisters(t, c, 6)
	if seen[3].Expires != 0 || seen[5].Expires != 900 || seen[4].CallID == seen[0].CallID {
		t.Fatalf("REGISTERs %+v", seen)
	}
	h.waitFor(1, "registered again", registered)

	// Disabled: withdrawn and gone from the status.
	changed.Enabled = false
	h.reload()
	seen = c.registers()
	if len(seen) != 8 || seen[7].Expires != 0 || !seen[7].Authorized {
		t.Fatalf("REGISTERs %+v", seen)
	}
	if len(h.client.Status()) != 0 {
		t.Fatalf("status %+v", h.client.Status())
	}
	// A store error leaves everything as it is.
	h.store.err = errors.New("database down")
	if err := h.client.Reload(context.Background()); err == nil {
		t.Fatal("reload hid the store error")
	}
}

func TestRealmMismatchSendsNoCredentials(t *testing.T) {
	c := newCarrier(t, "udp")
	h := newHarness(t)
	h.store.set(trunkFor(c, 1, func(t *callfloor.Trunk) { t.Realm = "other.realm" }))
	h.reload()
	st := h.waitFor(1, "failing", failing)
	if !strings.Contains(st.LastError, "realm") {
		t.Fatalf("status %+v", st)
	}
	if seen := c.registers(); len(seen) != 1 {
		t.Fatalf("answered a challenge of another realm: %+v", seen)
	}
}

func TestProxyChallengeAndMinExpires(t *testing.T) {
	c := newCarrier(t, "udp")
	c.set(func(c *carrier) { c.proxyAuth, c.minExpires = true, 1800 })
	h := newHarness(t)
	h.store.set(trunkFor(c, 1, func(t *callfloor.Trunk) { t.ExpirySeconds = 600 }))
	h.reload()
	st := h.waitFor(1, "registered", registered)
	if !st.Expires.Equal(t0.Add(1800 * time.Second)) {
		t.Fatalf("status %+v", st)
	}
	seen := c.registers()
	if len(seen) != 4 || seen[1].Expires != 600 || !seen[1].Authorized || seen[2].Expires != 1800 || !seen[3].Authorized {
		t.Fatalf("REGISTERs %+v", seen)
	}
	if !strings.Contains(seen[3].Request, "Proxy-Authorization:") {
		t.Fatal("no Proxy-Authorization")
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	c := newCarrier(t, "udp")
	c.set(func(c *carrier) { c.fail, c.retryAfter = 503, "600 (maintenance)" })
	h := newHarness(t)
	h.store.set(trunkFor(c, 1))
	h.reload()
	st := h.waitFor(1, "failing", failing)
	if st.LastError != "the carrier answered 503 Service Unavailable" || !st.NextAttempt.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("status %+v", st)
	}
}

func TestNoAnswerFails(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Timeout = 300 * time.Millisecond })
	tr := callfloor.NewTrunk("Nowhere", "127.0.0.1:9")
	tr.ID, tr.Username, tr.Password = 1, "u", "p"
	tr.Transport = callfloor.TransportTCP // refused at once
	h.store.set(tr)
	h.reload()
	st := h.waitFor(1, "failing", failing)
	if !strings.HasPrefix(st.LastError, "no answer from the carrier") {
		t.Fatalf("status %+v", st)
	}
	// Nothing was bound, so closing sends nothing and returns at once.
	start := time.Now()
	h.client.Close()
	if time.Since(start) > 200*time.Millisecond {
		t.Fatal("close waited for an unregistration nobody needs")
	}
}

func TestPollReloads(t *testing.T) {
	c := newCarrier(t, "udp")
	h := newHarness(t, func(cfg *Config) { cfg.PollInterval = time.Minute })
	h.store.set(trunkFor(c, 1))
	h.waitTimers(1)
	h.clock.Advance(time.Minute)
	waitRegisters(t, c, 2)
	h.waitFor(1, "registered", registered)
}

func TestNewNeedsTrunksAndContact(t *testing.T) {
	if _, err := New(Config{Trunks: &fakeStore{}}); err == nil {
		t.Error("no contact accepted")
	}
	if _, err := New(Config{Contact: contactURI()}); err == nil {
		t.Error("no trunks accepted")
	}
}

func TestRefreshIn(t *testing.T) {
	for g, want := range map[time.Duration]time.Duration{
		3600 * time.Second: 3540 * time.Second, 120 * time.Second: 60 * time.Second, 60 * time.Second: 30 * time.Second, 2 * time.Second: time.Second,
	} {
		if got := refreshIn(g); got != want {
			t.Errorf("refreshIn(%v) = %v, want %v", g, got, want)
		}
	}
}

// workerOf is the worker registering trunk id, nil for none.
func (c *Client) workerOf(id int64) *worker {
	c.reloadMu.Lock()
	defer c.reloadMu.Unlock()
	return c.workers[id]
}
