package b2bua

import (
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/callfloor/callfloor/internal/sipptest"
	"github.com/emiago/sipgo/sip"
)

func TestSessionExpiresHeader(t *testing.T) {
	tests := []struct {
		name, header, value string
		want                time.Duration
		refresher           string
		present, bad        bool
	}{
		{"absent", "", "", 0, "", false, false},
		{"seconds", "Session-Expires", "1800", 1800 * time.Second, "", true, false},
		{"refresher", "Session-Expires", "90; refresher=UAC", 90 * time.Second, "uac", true, false},
		{"compact form", "x", "120;refresher=uas", 120 * time.Second, "uas", true, false},
		{"other parameters", "Session-Expires", "300;foo=bar", 300 * time.Second, "", true, false},
		{"zero", "Session-Expires", "0", 0, "", true, true},
		{"not a number", "Session-Expires", "soon", 0, "", true, true},
		{"negative", "Session-Expires", "-5", 0, "", true, true},
		{"unknown refresher", "Session-Expires", "90;refresher=proxy", 0, "", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := sip.NewRequest(sip.INVITE, sip.Uri{Host: "example.invalid"})
			if tc.header != "" {
				req.AppendHeader(sip.NewHeader(tc.header, tc.value))
			}
			d, refresher, ok, err := sessionExpires(req)
			if ok != tc.present || (err != nil) != tc.bad {
				t.Fatalf("present %v, err %v; want present %v, bad %v", ok, err, tc.present, tc.bad)
			}
			if !tc.bad && (d != tc.want || refresher != tc.refresher) {
				t.Errorf("got %v %q, want %v %q", d, refresher, tc.want, tc.refresher)
			}
		})
	}
}

// TestUASTimer: what the B2BUA grants a party that opens a dialog, with
// its own interval of 30 minutes and a minimum of 90 s.
func TestUASTimer(t *testing.T) {
	b := &B2BUA{cfg: Config{SessionExpires: 30 * time.Minute, MinSE: 90 * time.Second}}
	tests := []struct {
		name      string
		headers   map[string]string
		none      bool
		status    int // a refusal
		interval  time.Duration
		weRefresh bool
		require   bool
	}{
		{name: "no timer asked, none supported", none: true},
		{name: "supported only: ours, the party refreshes",
			headers:  map[string]string{"Supported": "100rel, timer"},
			interval: 30 * time.Minute, require: true},
		{name: "asked, the party refreshes",
			headers:  map[string]string{"Supported": "timer", "Session-Expires": "600;refresher=uac"},
			interval: 10 * time.Minute, require: true},
		{name: "asked, we refresh",
			headers:  map[string]string{"Supported": "timer", "Session-Expires": "600;refresher=uas"},
			interval: 10 * time.Minute, weRefresh: true, require: true},
		{name: "longer than ours: shortened",
			headers:  map[string]string{"Supported": "timer", "Session-Expires": "7200"},
			interval: 30 * time.Minute, require: true},
		{name: "shortened no lower than the party's Min-SE",
			headers:  map[string]string{"Supported": "timer", "Session-Expires": "7200", "Min-SE": "3600"},
			interval: time.Hour, require: true},
		{name: "put in by a proxy, the party knows no timers: we refresh",
			headers:  map[string]string{"Session-Expires": "600"},
			interval: 10 * time.Minute, weRefresh: true},
		{name: "below our minimum", headers: map[string]string{"Session-Expires": "60"}, status: 422},
		{name: "unreadable", headers: map[string]string{"Session-Expires": "a while"}, status: 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := sip.NewRequest(sip.INVITE, sip.Uri{Host: "example.invalid"})
			for k, v := range tc.headers {
				req.AppendHeader(sip.NewHeader(k, v))
			}
			st, f := b.uasTimer(req)
			switch {
			case tc.status != 0:
				if f == nil || f.status != tc.status {
					t.Fatalf("failure %+v, want status %d", f, tc.status)
				}
				if tc.status == 422 && (len(f.headers) != 1 || f.headers[0].Value() != "90") {
					t.Errorf("422 headers %v, want Min-SE: 90", f.headers)
				}
			case f != nil:
				t.Fatalf("refused: %v", f)
			case tc.none:
				if st != nil {
					t.Fatalf("timer %+v, want none", st)
				}
			case st == nil:
				t.Fatal("no timer")
			case st.interval != tc.interval || st.weRefresh != tc.weRefresh || st.require != tc.require:
				t.Errorf("timer %+v, want interval %v, weRefresh %v, require %v", st, tc.interval, tc.weRefresh, tc.require)
			}
		})
	}
}

// timerHarness is a harness with short session timers (10 s asked, 2 s
// the minimum) and a callee, 200.
func timerHarness(t *testing.T) (*harness, *phone) {
	h := newHarness(t, func(c *Config) { c.SessionExpires, c.MinSE = 10*time.Second, 2*time.Second })
	b := h.phone(h.addExt(1, 20, "200"), false)
	b.register()
	return h, b
}

// runSipp runs a sipp caller scenario of testdata as extension 100.
func runSipp(t *testing.T, h *harness, scenario string) {
	t.Helper()
	bin := sipptest.Path(t)
	caller := h.addExt(1, 10, "100")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin,
		"-sf", filepath.Join("testdata", scenario), "-inf", sipptest.Users(t, caller.SIPUsername, ""),
		"-au", caller.SIPUsername, "-ap", caller.SIPSecret, "-s", "200",
		"-i", "127.0.0.1", "-p", strconv.Itoa(sipptest.FreePort(t)), "-t", "u1",
		"-m", "1", "-timeout", "20s", "-timeout_error", "-nostdin",
		"127.0.0.1:"+strconv.Itoa(h.port))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sipp %s: %v\n%s", scenario, err, out)
	}
}

// TestSippCallerNeverRefreshes: a sipp caller asks for a 3 s session it
// will refresh itself, and does not: callfloor sends it a BYE (checked by
// the scenario) and hangs up the callee, for reason session_expired.
func TestSippCallerNeverRefreshes(t *testing.T) {
	h, b := timerHarness(t)
	start := time.Now()
	runSipp(t, h, "timer_expires.xml")
	if d := time.Since(start); d > 6*time.Second {
		t.Errorf("the session ended %v after the call, want within its 3 s", d)
	}
	waitSignal(t, b.byes, "BYE to the callee")
	h.waitEvents("ringing", "answered", "ended:"+ReasonSessionExpired)
}

// TestSippRefreshedThenLost: a sipp caller leaves the refreshing to
// callfloor: it gets UPDATEs with the session's interval, answers the
// first and answers the next 481, and callfloor ends the call.
func TestSippRefreshedThenLost(t *testing.T) {
	h, b := timerHarness(t)
	runSipp(t, h, "timer_refresh.xml")
	waitSignal(t, b.byes, "BYE to the callee")
	h.waitEvents("ringing", "answered", "ended:"+ReasonSessionExpired)
}

// TestSippIntervalTooSmall: an INVITE asking for less than the minimum
// gets 422 with Min-SE (checked by the scenario), and nobody rings.
func TestSippIntervalTooSmall(t *testing.T) {
	h, b := timerHarness(t)
	runSipp(t, h, "timer_too_small.xml")
	select {
	case <-b.invites:
		t.Fatal("the callee rang")
	default:
	}
	h.waitEvents("ended:" + ReasonNotAcceptable)
}

// TestCalleeSessionTimer: the B2BUA's INVITE to a phone asks for a
// session timer; the phone grants one the B2BUA refreshes
// (refresher=uac) and allows UPDATE, so it gets UPDATEs carrying the
// interval; once it answers them 481 the call ends.
func TestCalleeSessionTimer(t *testing.T) {
	h, b := timerHarness(t)
	b.mu.Lock()
	b.answerHeaders = []sip.Header{sip.NewHeader("Session-Expires", "2;refresher=uac"),
		sip.NewHeader("Require", "timer"), sip.NewHeader("Allow", "INVITE, ACK, BYE, UPDATE")}
	b.mu.Unlock()
	a := h.phone(h.addExt(1, 10, "100"), false)
	a.register()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a.answered(ctx, t, "200", nil)
	inv := <-b.invites
	if got := inv.GetHeader("Session-Expires"); got == nil || got.Value() != "10" {
		t.Errorf("INVITE Session-Expires %v, want 10", got)
	}
	if !hasToken(inv, "timer", "Supported") {
		t.Error("the INVITE does not say Supported: timer")
	}
	for i := range 2 {
		select {
		case up := <-b.updates:
			if se, _, ok, _ := sessionExpires(up); !ok || se != 2*time.Second {
				t.Errorf("UPDATE %d: Session-Expires %v, want 2 s", i+1, se)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no refresh %d", i+1)
		}
	}
	b.updateStatus.Store(sip.StatusCallTransactionDoesNotExists)
	if e := h.waitEventWithin(Ended, 5*time.Second); e.Reason != ReasonSessionExpired {
		t.Errorf("ended %+v, want %s", e, ReasonSessionExpired)
	}
	waitSignal(t, a.byes, "BYE to the caller")
}
