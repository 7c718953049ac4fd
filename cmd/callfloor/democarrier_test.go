package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/floor"
	"github.com/callfloor/callfloor/internal/baresiptest"
	"github.com/callfloor/callfloor/internal/sipptest"
	"github.com/callfloor/callfloor/internal/syncbuf"
	"github.com/callfloor/callfloor/password"
	"github.com/callfloor/callfloor/sim/carrier"
	"github.com/callfloor/callfloor/sip/trunk"
)

func TestDemoCarrierSettings(t *testing.T) {
	dir := t.TempDir()
	badRate := filepath.Join(dir, "bad-rate.yaml")
	if err := os.WriteFile(badRate, []byte("demo_inbound_rate: -3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	off := filepath.Join(dir, "off.yaml")
	if err := os.WriteFile(off, []byte("demo_carrier: \"\"\ndemo_inbound_rate: 0.5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		want  string // part of the error; empty: no error
		check func(Config) bool
	}{
		{"defaults", nil, nil, "", func(c Config) bool { return c.DemoCarrier == "127.0.0.1:5080" && c.DemoInboundRate == 2 }},
		{"carrier flag", []string{"--demo-carrier", "127.0.0.1:5999"}, nil, "", func(c Config) bool { return c.DemoCarrier == "127.0.0.1:5999" }},
		{"carrier off", []string{"--demo-carrier="}, map[string]string{"CALLFLOOR_DEMO_CARRIER": "127.0.0.1:5999"}, "", func(c Config) bool { return c.DemoCarrier == "" }},
		{"carrier ipv6 from env", nil, map[string]string{"CALLFLOOR_DEMO_CARRIER": "[::1]:5080"}, "", func(c Config) bool { return c.DemoCarrier == "[::1]:5080" }},
		{"file", []string{"--config", off}, nil, "", func(c Config) bool { return c.DemoCarrier == "" && c.DemoInboundRate == 0.5 }},
		{"no inbound calls", []string{"--demo-inbound-rate", "0"}, nil, "", func(c Config) bool { return c.DemoInboundRate == 0 }},
		{"rate from env", nil, map[string]string{"CALLFLOOR_DEMO_INBOUND_RATE": "60"}, "", func(c Config) bool { return c.DemoInboundRate == 60 }},
		{"carrier host name", []string{"--demo-carrier", "localhost:5080"}, nil, "--demo-carrier", nil},
		{"carrier without port", []string{"--demo-carrier", "127.0.0.1"}, nil, "--demo-carrier", nil},
		{"carrier port 0", []string{"--demo-carrier", "127.0.0.1:0"}, nil, "--demo-carrier", nil},
		{"carrier bad port", []string{"--demo-carrier", "127.0.0.1:65536"}, nil, "--demo-carrier", nil},
		{"carrier on every address", []string{"--demo-carrier", "0.0.0.0:5080"}, nil, "--demo-carrier", nil},
		{"carrier from env", nil, map[string]string{"CALLFLOOR_DEMO_CARRIER": "carrier"}, "CALLFLOOR_DEMO_CARRIER", nil},
		{"negative rate", []string{"--demo-inbound-rate", "-1"}, nil, "--demo-inbound-rate", nil},
		{"rate not a number", []string{"--demo-inbound-rate", "fast"}, nil, "--demo-inbound-rate", nil},
		{"rate NaN", []string{"--demo-inbound-rate", "NaN"}, nil, "--demo-inbound-rate", nil},
		{"rate too high", []string{"--demo-inbound-rate", "121"}, nil, "--demo-inbound-rate", nil},
		{"bad rate from env", nil, map[string]string{"CALLFLOOR_DEMO_INBOUND_RATE": "2/min"}, "CALLFLOOR_DEMO_INBOUND_RATE", nil},
		{"bad rate in file", []string{"--config", badRate}, nil, "demo_inbound_rate", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := LoadConfig("demo", tc.args, envMap(tc.env), true, nil)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err = %v, want it to mention %q", err, tc.want)
				}
				// The message says what is expected.
				if !strings.Contains(err.Error(), "127.0.0.1:5080") && !strings.Contains(err.Error(), "calls a minute") {
					t.Errorf("error %q shows no example", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(c) {
				t.Errorf("unexpected config %+v", c)
			}
		})
	}
}

// Seeding the carrier twice finds the same trunk and numbers; a new
// address moves the trunk; turning the carrier off disables it and
// seeding again enables it.
func TestSeedDemoCarrier(t *testing.T) {
	m := startMain(t, t.TempDir())
	ctx := context.Background()
	res, err := SeedDemo(ctx, m.Store, m.Hasher, "callfloor", "demo-pass-1")
	if err != nil {
		t.Fatal(err)
	}
	acc := res.Account.ID
	sctx := callfloor.SystemContext(ctx, acc)
	addr := netip.MustParseAddrPort("127.0.0.1:5080")
	first, err := SeedDemoCarrier(ctx, m.Store, acc, addr, "demo-pass-1")
	if err != nil {
		t.Fatal(err)
	}
	tr := first.Trunk
	if tr.Name != DemoTrunkName || tr.Host != "127.0.0.1:5080" || tr.Auth != callfloor.TrunkRegistration ||
		tr.Username != DemoTrunkUser || !tr.HasPassword || !tr.Enabled || tr.DefaultCallerID != "+442079460000" {
		t.Fatalf("trunk %+v", tr)
	}
	want := []DemoNumber{
		{"442079460000", "extension 210 (Reception)"},
		{"442079460600", "queue 600 (Sales)"},
		{"442079460601", "queue 601 (Support)"},
	}
	if !slices.Equal(first.Numbers, want) {
		t.Fatalf("numbers %v, want %v", first.Numbers, want)
	}
	again, err := SeedDemoCarrier(ctx, m.Store, acc, addr, "demo-pass-1")
	if err != nil || again.Trunk.ID != tr.ID || !again.Trunk.UpdatedAt.Equal(tr.UpdatedAt) || !slices.Equal(again.Numbers, want) {
		t.Fatalf("seeding again: %+v, %v", again, err)
	}
	dids, err := m.Store.ListInboundNumbers(sctx)
	if err != nil || len(dids) != 3 {
		t.Fatalf("inbound numbers %v, %v", dids, err)
	}
	for _, n := range dids {
		if n.TrunkID == nil || *n.TrunkID != tr.ID || !n.Enabled {
			t.Errorf("inbound number %+v is not on the trunk", n)
		}
	}

	moved, err := SeedDemoCarrier(ctx, m.Store, acc, netip.MustParseAddrPort("127.0.0.1:5081"), "demo-pass-1")
	if err != nil || moved.Trunk.ID != tr.ID || moved.Trunk.Host != "127.0.0.1:5081" || !slices.Equal(moved.Numbers, want) {
		t.Fatalf("moving the carrier: %+v, %v", moved, err)
	}
	if err := DisableDemoCarrier(ctx, m.Store, acc); err != nil {
		t.Fatal(err)
	}
	if got, err := m.Store.FindTrunkByID(sctx, tr.ID); err != nil || got.Enabled {
		t.Fatalf("after disabling: %+v, %v", got, err)
	}
	back, err := SeedDemoCarrier(ctx, m.Store, acc, netip.MustParseAddrPort("127.0.0.1:5081"), "demo-pass-1")
	if err != nil || back.Trunk.ID != tr.ID || !back.Trunk.Enabled {
		t.Fatalf("seeding after disabling: %+v, %v", back, err)
	}
	if trunks, err := m.Store.ListTrunks(sctx); err != nil || len(trunks) != 1 {
		t.Fatalf("trunks %v, %v", trunks, err)
	}

	// The agents present the company's own numbers.
	pools, err := m.Store.ListCallerIDPools(sctx)
	if err != nil || len(pools) != 1 || !slices.Contains(pools[0].Numbers, "+442079460600") {
		t.Fatalf("caller-ID pools %+v, %v", pools, err)
	}
}

func TestDemoBannerShowsTheCarrier(t *testing.T) {
	var out bytes.Buffer
	c := &DemoCarrier{Addr: netip.MustParseAddrPort("127.0.0.1:5080"), Trunk: &callfloor.Trunk{Name: DemoTrunkName},
		Numbers: []DemoNumber{{"442079460600", "queue 600 (Sales)"}}, PerMinute: 2}
	printDemo(&out, "http://127.0.0.1:8080", "127.0.0.1:5060", Config{Data: "data", DemoPassword: "callfloor"},
		DemoResult{Account: &callfloor.Account{Name: "demo"}, Created: true, Carrier: c}, nil)
	text := strings.Join(strings.Fields(out.String()), " ")
	for _, want := range []string{
		"Carrier 127.0.0.1:5080", `"Simulated carrier"`, "2 inbound calls a minute", "442079460600 → queue 600 (Sales)",
		"07700900001 → answered", "(last digit 0-4, 9)", "07700900005 → busy", "07700900006 → rings, no answer",
		"07700900007 → unreachable", "07700900008 → an answering machine",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("banner lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	c.PerMinute = 0
	printDemo(&out, "http://127.0.0.1:8080", "127.0.0.1:5060", Config{Data: "data"},
		DemoResult{Account: &callfloor.Account{Name: "demo"}, Carrier: c}, nil)
	if !strings.Contains(out.String(), "no inbound calls") {
		t.Errorf("banner with rate 0:\n%s", out.String())
	}
}

// demoConfig is the demo on free loopback ports with a fresh data folder
// and the carrier at carrierAddr.
func demoConfig(t *testing.T, carrierAddr string, perMinute float64) Config {
	cfg := DefaultConfig()
	cfg.Data, cfg.HTTP, cfg.SIP = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
	cfg.DemoPassword, cfg.DemoCarrier, cfg.DemoInboundRate = "demo-pass-1", carrierAddr, perMinute
	return cfg
}

// runDemo runs the server with cfg as `callfloor demo` does, and stops it
// at the end of the test: the server first, then the carrier.
func runDemo(t *testing.T, cfg Config) (*Main, *demoRun, string, error) {
	t.Helper()
	logs := &syncbuf.Buffer{}
	m := NewMain(cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	m.Hasher = password.New(password.Fast)
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	var banner bytes.Buffer
	d, err := startDemo(ctx, m, &banner)
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		m.Close()
		d.Close()
		if t.Failed() {
			t.Logf("server logs:\n%s", logs.String())
		}
	})
	return m, d, banner.String(), err
}

// TestDemoCarrierEndToEnd runs the demo with the simulated carrier on a
// free loopback port: the demo trunk registers with it, and the calls it
// places into the demo's numbers reach callfloor and are routed there:
// the queues answer theirs and hold the callers (extension 210 is not
// registered, so its calls get 480); no call is refused as unknown or
// unauthenticated.
func TestDemoCarrierEndToEnd(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", sipptest.FreePort(t))
	m, d, banner, err := runDemo(t, demoConfig(t, addr, 120))
	if err != nil {
		t.Fatal(err)
	}
	if d.Carrier == nil || d.Result.Carrier == nil || d.Carrier.Addr().String() != addr {
		t.Fatalf("carrier %v, seeded %+v", d.Carrier, d.Result.Carrier)
	}
	if !strings.Contains(banner, addr) || !strings.Contains(banner, "442079460600") || !strings.Contains(banner, m.SIPAddr()) {
		t.Errorf("banner:\n%s", banner)
	}
	tr := d.Result.Carrier.Trunk
	if tr.Host != addr {
		t.Errorf("trunk host %s, want %s", tr.Host, addr)
	}

	// (a) The trunk registered with the carrier, and an administrator
	// sees so through the API.
	waitFor(t, 5*time.Second, func() (bool, string) {
		st := m.Trunks.Status()
		i := slices.IndexFunc(st, func(s trunk.Status) bool { return s.TrunkID == tr.ID })
		return i >= 0 && st[i].State == trunk.StateRegistered, fmt.Sprintf("trunk status %+v", st)
	})
	admin := newClient(t, m.URL())
	if code := admin.do("POST", "/api/v1/auth/login", map[string]string{"account": "demo", "username": "admin", "password": "demo-pass-1"}, nil); code != 200 {
		t.Fatalf("login: %d", code)
	}
	var regs items[callfloor.TrunkStatus]
	if code := admin.do("GET", "/api/v1/trunks/status", nil, &regs); code != 200 || len(regs.Items) != 1 ||
		regs.Items[0].TrunkID != tr.ID || regs.Items[0].State != callfloor.TrunkRegistered ||
		!regs.Items[0].Expires.After(time.Now()) || regs.Items[0].LastError != "" {
		t.Errorf("GET /api/v1/trunks/status: %d %+v, want the carrier's trunk registered", code, regs.Items)
	}

	// (b) The carrier's calls reached callfloor through the registration
	// and got final answers that show them routed.
	const calls = 3
	var s carrier.Stats
	waitFor(t, 15*time.Second, func() (bool, string) {
		s = d.Carrier.Stats()
		ended := s.InboundAnswered + s.InboundBusy + s.InboundFailed
		return ended >= calls, fmt.Sprintf("carrier stats %+v", s)
	})
	t.Logf("carrier stats: %+v", s)
	for status, n := range s.InboundFailures {
		switch status {
		case 0, 401, 403, 404, 407:
			t.Errorf("%d inbound calls ended with status %d: %+v", n, status, s)
		}
	}
	if s.InboundPlaced < calls {
		t.Errorf("placed %d calls: %+v", s.InboundPlaced, s)
	}

	// (c) The queues' numbers are answered, and their callers wait in
	// the ACD (nobody is logged in to take them).
	waitFor(t, 15*time.Second, func() (bool, string) {
		s = d.Carrier.Stats()
		figures, err := m.acd.Load().Stats(context.Background(), d.Result.Account.ID)
		queued := 0
		for _, f := range figures {
			queued += f.Waiting + f.Abandoned + f.Overflowed
		}
		return err == nil && s.InboundAnswered > 0 && queued > 0, fmt.Sprintf("carrier %+v, queues %+v, %v", s, figures, err)
	})
}

// waitFor polls cond until it holds, or fails the test with cond's
// description after timeout.
func waitFor(t *testing.T, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, what := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A taken carrier port stops the demo with an error naming the setting.
func TestDemoCarrierPortTaken(t *testing.T) {
	taken, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.LocalAddr().String()
	_, d, _, err := runDemo(t, demoConfig(t, addr, 2))
	if err == nil || d != nil {
		t.Fatal("the demo started with its carrier's port taken")
	}
	if !strings.Contains(err.Error(), "demo-carrier "+addr) {
		t.Fatalf("error %q does not name the setting and address", err)
	}
}

// Without a carrier the demo has no trunk to it and says nothing of one.
func TestDemoWithoutCarrier(t *testing.T) {
	m, d, banner, err := runDemo(t, demoConfig(t, "", 2))
	if err != nil {
		t.Fatal(err)
	}
	if d.Carrier != nil || d.Result.Carrier != nil || strings.Contains(banner, "  Carrier  ") {
		t.Fatalf("carrier %v %+v, banner:\n%s", d.Carrier, d.Result.Carrier, banner)
	}
	if trunks, err := m.Store.ListTrunks(callfloor.SystemContext(context.Background(), d.Result.Account.ID)); err != nil || len(trunks) != 0 {
		t.Fatalf("trunks %v, %v", trunks, err)
	}
}

// TestDemoCarrierCallReachesAnAgent is what someone trying the demo does
// with a softphone: a baresip phone registers as agent 204 (an External
// Client agent in Support), the agent logs in, and the carrier's next
// call to Support's number rings that phone, which answers: the floor
// has the agent on a queue call of Support from the carrier's caller, and
// the phone hears the caller's voice.
func TestDemoCarrierCallReachesAnAgent(t *testing.T) {
	baresiptest.Path(t)
	addr := fmt.Sprintf("127.0.0.1:%d", sipptest.FreePort(t))
	m, d, _, err := runDemo(t, demoConfig(t, addr, 240))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	acc := d.Result.Account.ID
	ext := demoExtensions(t, m)["204"]
	qs, err := m.Store.ListQueues(callfloor.SystemContext(ctx, acc))
	if err != nil {
		t.Fatal(err)
	}
	support := qs[slices.IndexFunc(qs, func(q *callfloor.Queue) bool { return q.Number == "601" })]
	phone := baresiptest.New(t, baresiptest.Options{User: ext.SIPUsername, Password: "demo-pass-1",
		Registrar: m.SIPAddr(), AutoAnswer: true})
	waitFor(t, 5*time.Second, func() (bool, string) {
		_, err := m.Floor.Do(ctx, acc, floor.Login{Ext: ext.ID})
		return err == nil, fmt.Sprintf("login: %v", err)
	})

	var line floor.Line
	waitFor(t, 30*time.Second, func() (bool, string) {
		_ = m.Floor.View(ctx, acc, func(s *floor.State, _ *floor.Config) {
			if a := s.Agent(ext.ID); len(a.Lines) > 0 {
				line = *a.Lines[0]
			}
		})
		return line.Answered, fmt.Sprintf("agent 204's line %+v, carrier %+v", line, d.Carrier.Stats())
	})
	if c := line.Call; c.Direction != callfloor.DirQueueIn || c.QueueID != support.ID || !strings.HasPrefix(c.From, "+44") {
		t.Errorf("the agent's call %+v, want a call of Support (queue %d) from the carrier's caller", c, support.ID)
	}
	// The carrier's callers talk: what the phone receives is not silence.
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		a, err := phone.Received()
		if err == nil && a.Duration() >= 2*time.Second && rms(a.Last(2*time.Second).Samples) > 300 {
			break
		}
		if cctx.Err() != nil {
			t.Fatalf("the phone heard no voice: %v, %v received, rms %.0f", err, a.Duration(), rms(a.Samples))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// rms is the root mean square of samples.
func rms(s []int16) float64 {
	if len(s) == 0 {
		return 0
	}
	var sum float64
	for _, v := range s {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(len(s)))
}

// TestDemoClickToDialOut: agent 204 clicks to dial an outside number
// through the API. callfloor rings the agent's own phone (baresip, which
// answers at once), then calls the number through the demo's carrier,
// with a caller ID of the agent's pool; the call is the agent's
// external_out line, counted in their outbound queue (690).
func TestDemoClickToDialOut(t *testing.T) {
	baresiptest.Path(t)
	addr := fmt.Sprintf("127.0.0.1:%d", sipptest.FreePort(t))
	m, d, _, err := runDemo(t, demoConfig(t, addr, 0))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	acc := d.Result.Account.ID
	ext := demoExtensions(t, m)["204"]
	baresiptest.New(t, baresiptest.Options{User: ext.SIPUsername, Password: "demo-pass-1", Registrar: m.SIPAddr(), AutoAnswer: true})
	agent := newClient(t, m.URL())
	if code := agent.do("POST", "/api/v1/auth/login", map[string]string{"account": "demo", "username": "agent4", "password": "demo-pass-1"}, nil); code != 200 {
		t.Fatalf("login: %d", code)
	}
	waitFor(t, 5*time.Second, func() (bool, string) {
		code := agent.do("POST", "/api/v1/floor/me/login", nil, nil)
		return code == 200, fmt.Sprintf("floor login: %d", code)
	})
	// The carrier must have the trunk registered to take the call.
	waitFor(t, 5*time.Second, func() (bool, string) {
		st := m.Trunks.Status()
		return len(st) == 1 && st[0].State == trunk.StateRegistered, fmt.Sprintf("trunk %+v", st)
	})
	var e apiError
	if code := agent.do("POST", "/api/v1/floor/me/dial", map[string]string{"number": "07700900001"}, &e); code != 200 {
		t.Fatalf("dial: %d %+v", code, e)
	}

	var line floor.Line
	waitFor(t, 15*time.Second, func() (bool, string) {
		_ = m.Floor.View(ctx, acc, func(s *floor.State, _ *floor.Config) {
			if a := s.Agent(ext.ID); len(a.Lines) > 0 {
				line = *a.Lines[0]
			}
		})
		return line.Answered, fmt.Sprintf("agent 204's line %+v, carrier %+v", line, d.Carrier.Stats())
	})
	qs, err := m.Store.ListQueues(callfloor.SystemContext(ctx, acc))
	if err != nil {
		t.Fatal(err)
	}
	out := qs[slices.IndexFunc(qs, func(q *callfloor.Queue) bool { return q.Number == "690" })]
	if c := line.Call; c.Direction != callfloor.DirExternalOut || c.QueueID != out.ID || c.To != "07700900001" {
		t.Errorf("the agent's call %+v, want external_out to 07700900001 through queue %d", c, out.ID)
	}
	if s := d.Carrier.Stats(); s.OutboundAnswered != 1 {
		t.Errorf("carrier %+v, want one outbound call answered", s)
	}
	waitFor(t, 5*time.Second, func() (bool, string) {
		figures, err := m.acd.Load().Stats(ctx, acc)
		i := slices.IndexFunc(figures, func(f callfloor.QueueStats) bool { return f.QueueID == out.ID })
		return err == nil && i >= 0 && figures[i].Outbound == 1, fmt.Sprintf("figures %+v, %v", figures, err)
	})
}
