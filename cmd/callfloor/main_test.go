package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/floor"
	"github.com/callfloor/callfloor/internal/sipptest"
	"github.com/callfloor/callfloor/internal/syncbuf"
	"github.com/callfloor/callfloor/password"
)

// startMain runs the real server on port 0 with a fresh SQLite data folder.
func startMain(t *testing.T, dir string) *Main {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Data, cfg.HTTP, cfg.SIP, cfg.SIPWS = dir, "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	m := NewMain(cfg, slog.New(slog.DiscardHandler))
	m.Hasher = password.New(password.Fast)
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		m.Close()
	})
	return m
}

type client struct {
	t    *testing.T
	base string
	http *http.Client
	auth string
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, http: &http.Client{Jar: jar}}
}

// do sends a JSON request and decodes the answer into out (if not nil).
func (c *client) do(method, path string, body any, out any) int {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.auth != "" {
		req.Header.Set("Authorization", "Bearer "+c.auth)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			c.t.Fatalf("%s %s: decoding: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

type apiError struct {
	Error struct{ Code, Field string } `json:"error"`
}

type items[T any] struct {
	Items []T `json:"items"`
}

func TestDemoEndToEnd(t *testing.T) {
	dir := t.TempDir()
	m := startMain(t, dir)
	ctx := context.Background()
	for i, wantCreated := range []bool{true, false} {
		res, err := SeedDemo(ctx, m.Store, m.Hasher, "callfloor", "demo-pass-1")
		if err != nil || res.Created != wantCreated {
			t.Fatalf("seeding %d: created %v, %v", i, res.Created, err)
		}
	}
	var out bytes.Buffer
	seeded, err := m.Store.ListExtensions(callfloor.SystemContext(ctx, 1))
	if err != nil {
		t.Fatal(err)
	}
	printDemo(&out, m.URL(), m.SIPAddr(), Config{Data: dir, DemoPassword: "demo-pass-1", SIPRealm: "callfloor"},
		DemoResult{Account: &callfloor.Account{Name: "demo"}, Created: true}, seeded)
	if !strings.Contains(out.String(), m.URL()+"/api/v1") || !strings.Contains(out.String(), "demo-pass-1") ||
		!strings.Contains(out.String(), m.SIPAddr()) || !strings.Contains(out.String(), seeded[0].SIPUsername) {
		t.Errorf("demo banner lacks the URL or password:\n%s", out.String())
	}

	// The admin logs in with the cookie and sees the seeded floor.
	admin := newClient(t, m.URL())
	if code := admin.do("POST", "/api/v1/auth/login", map[string]string{"account": "demo", "username": "admin", "password": "demo-pass-1"}, nil); code != 200 {
		t.Fatalf("login: %d", code)
	}
	var exts items[callfloor.Extension]
	if code := admin.do("GET", "/api/v1/extensions", nil, &exts); code != 200 || len(exts.Items) != 5 {
		t.Fatalf("extensions: %d, %d items (seeding twice must not duplicate)", code, len(exts.Items))
	}
	engines := map[string]callfloor.PhoneEngine{}
	for _, e := range exts.Items {
		engines[e.Number] = e.Agent.PhoneEngine
		wantAgent := e.Number != "210"
		if e.Agent.Enabled != wantAgent || (wantAgent && (e.AgentStatus != callfloor.AgentEnabled || e.Agent.OutboundQueueID == nil)) {
			t.Errorf("extension %s: agent %v status %s outbound %v", e.Number, e.Agent.Enabled, e.AgentStatus, e.Agent.OutboundQueueID)
		}
		if e.SIPSecret != "" {
			t.Errorf("extension %s leaks its SIP secret in a list", e.Number)
		}
	}
	if engines["201"] != callfloor.PhoneWebRTC || engines["202"] != callfloor.PhoneWebRTC || engines["203"] != callfloor.PhoneExternal || engines["204"] != callfloor.PhoneExternal {
		t.Errorf("phone engines %v", engines)
	}
	var queues items[callfloor.Queue]
	admin.do("GET", "/api/v1/queues", nil, &queues)
	byNum := map[string]callfloor.Queue{}
	for _, q := range queues.Items {
		byNum[q.Number] = q
	}
	if s := byNum["600"]; s.Name != "Sales" || !s.DispositionsEnabled || len(s.Outcomes) < 3 || len(s.Members) != 4 {
		t.Errorf("Sales queue %+v", s)
	}
	var reasons items[callfloor.PauseReason]
	admin.do("GET", "/api/v1/pause-reasons", nil, &reasons)
	if len(reasons.Items) != 4 {
		t.Errorf("pause reasons %+v", reasons.Items)
	}

	// The platform operator adds an account without an agent activation
	// from the shell while the server runs.
	stdin := strings.NewReader("trial-pass-1\n")
	var stdout bytes.Buffer
	env := envMap(nil)
	for _, args := range [][]string{
		{"admin", "create-account", "--data", dir, "--name", "trial", "--time-zone", "Europe/Paris"},
		{"admin", "create-user", "--data", dir, "--account", "trial", "--username", "boss", "--role", "admin", "--password-stdin"},
		{"admin", "list-accounts", "--data", dir},
	} {
		if err := run(ctx, args, env, stdin, &stdout, io.Discard); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	if !strings.Contains(stdout.String(), "trial") || !strings.Contains(stdout.String(), "demo") {
		t.Errorf("list-accounts:\n%s", stdout.String())
	}

	trial := newClient(t, m.URL())
	var login struct{ Token string }
	if code := trial.do("POST", "/api/v1/auth/login", map[string]string{"account": "trial", "username": "boss", "password": "trial-pass-1"}, &login); code != 200 || login.Token == "" {
		t.Fatalf("trial login %d", code)
	}
	trial.http.Jar = nil
	trial.auth = login.Token // as a script would, with a bearer token
	var e callfloor.Extension
	if code := trial.do("POST", "/api/v1/extensions", map[string]any{"number": "300"}, &e); code != 201 || e.SIPSecret == "" {
		t.Fatalf("create extension: %d %+v", code, e)
	}
	var apiErr apiError
	code := trial.do("PATCH", fmt.Sprintf("/api/v1/extensions/%d", e.ID), map[string]any{"agent": map[string]any{"enabled": true}}, &apiErr)
	if code != 409 || apiErr.Error.Code != callfloor.ErrAgentNotActivated || apiErr.Error.Field != "agent.enabled" {
		t.Fatalf("enabling the agent feature unlicensed: %d %+v", code, apiErr)
	}
	// Nothing of the demo account is visible to the trial account.
	for _, x := range exts.Items {
		apiErr = apiError{}
		if code := trial.do("GET", fmt.Sprintf("/api/v1/extensions/%d", x.ID), nil, &apiErr); code != 404 || apiErr.Error.Code != callfloor.ErrNotFound {
			t.Errorf("trial sees demo extension %s: %d", x.Number, code)
		}
	}
	var trialExts items[callfloor.Extension]
	trial.do("GET", "/api/v1/extensions", nil, &trialExts)
	if len(trialExts.Items) != 1 || trialExts.Items[0].Number != "300" {
		t.Errorf("trial lists %+v", trialExts.Items)
	}
	anon := newClient(t, m.URL())
	if code := anon.do("GET", "/api/v1/extensions", nil, &apiErr); code != 401 || apiErr.Error.Code != callfloor.ErrUnauthorized {
		t.Errorf("anonymous: %d %+v", code, apiErr)
	}
}

func TestAdminCommandErrors(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	env := envMap(nil)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"admin", "create-account", "--data", dir, "--name", "x", "--time-zone", "Nowhere/Land"}, "time_zone"},
		{[]string{"admin", "create-account", "--data", dir, "--name", "x", "--licence-kind", "gold"}, "licence_kind"},
		{[]string{"admin", "create-user", "--data", dir, "--account", "missing", "--username", "u"}, "not found"},
		{[]string{"admin", "set-licence", "--data", dir}, "--account"},
		{[]string{"admin", "frobnicate"}, "usage"},
		{[]string{"nonsense"}, "usage"},
	}
	for _, tc := range tests {
		err := run(ctx, tc.args, env, strings.NewReader(""), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err %v, want it to mention %q", tc.args, err, tc.want)
		}
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"version"}, env, nil, &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "callfloor ") {
		t.Errorf("version: %q %v", out.String(), err)
	}
}

// sipp runs a sipp scenario file (or, as "-sn name", a built-in one) as
// user with the demo password against the server, once, from port;
// extra arguments come before the target.
func sipp(ctx context.Context, t *testing.T, m *Main, scenario, user string, port int, extra ...string) *exec.Cmd {
	t.Helper()
	inf := sipptest.Users(t, user, "demo-pass-1")
	args := []string{"-inf", inf, "-au", user, "-ap", "demo-pass-1", "-i", "127.0.0.1",
		"-p", fmt.Sprint(port), "-t", "u1", "-m", "1", "-timeout", "15s", "-timeout_error", "-nostdin"}
	if name, ok := strings.CutPrefix(scenario, "-sn "); ok {
		args = append(args, "-sn", name)
	} else {
		args = append(args, "-sf", scenario)
	}
	args = append(append(args, extra...), m.SIPAddr())
	return exec.CommandContext(ctx, sipptest.Path(t), args...)
}

// demoExtensions returns the demo's extensions by number.
func demoExtensions(t *testing.T, m *Main) map[string]*callfloor.Extension {
	exts, err := m.Store.ListExtensions(callfloor.SystemContext(context.Background(), 1))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*callfloor.Extension{}
	for _, e := range exts {
		out[e.Number] = e
	}
	return out
}

// TestDemoPhoneRegistersWithSipp: a real SIP peer (sipp) registers
// extensions 201 and 203 with the demo password. Agent 3 (203) is on the
// External Client engine, so the supervisor's board shows their phone
// registered; agent 1 (201) is on the WebRTC engine, whose phone is the
// page, so a softphone's registration does not make them ready.
func TestDemoPhoneRegistersWithSipp(t *testing.T) {
	sipptest.Path(t)
	m := startMain(t, t.TempDir())
	ctx := context.Background()
	if _, err := SeedDemo(ctx, m.Store, m.Hasher, "callfloor", "demo-pass-1"); err != nil {
		t.Fatal(err)
	}
	exts := demoExtensions(t, m)
	if exts["201"].Agent.PhoneEngine != callfloor.PhoneWebRTC || exts["203"].Agent.PhoneEngine != callfloor.PhoneExternal {
		t.Fatalf("demo engines: 201 %q, 203 %q", exts["201"].Agent.PhoneEngine, exts["203"].Agent.PhoneEngine)
	}
	for _, num := range []string{"201", "203"} {
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		out, err := sipp(cctx, t, m, "../../sip/registrar/testdata/register_auth.xml", exts[num].SIPUsername, sipptest.FreePort(t)).CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("sipp %s: %v\n%s", num, err, out)
		}
	}
	sup := newClient(t, m.URL())
	sup.do("POST", "/api/v1/auth/login", map[string]string{"account": "demo", "username": "super", "password": "demo-pass-1"}, nil)
	deadline := time.Now().Add(5 * time.Second)
	for {
		var board struct {
			Items []struct {
				Number          string `json:"number"`
				PhoneRegistered bool   `json:"phone_registered"`
			} `json:"items"`
		}
		sup.do("GET", "/api/v1/floor/agents", nil, &board)
		reg := map[string]bool{}
		for _, a := range board.Items {
			reg[a.Number] = a.PhoneRegistered
		}
		if reg["203"] {
			if reg["201"] {
				t.Fatal("agent 1, on the page phone engine, is shown ready because of a softphone")
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent 203's phone not shown registered: %+v", board.Items)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDemoCallBetweenAgentsWithSipp: two real phones (sipp) register as
// agents 203 and 204 (the demo's External Client agents); 203 calls 204
// through callfloor, which answers, bridges and hangs up; the floor
// records the call for both agents.
func TestDemoCallBetweenAgentsWithSipp(t *testing.T) {
	sipptest.Path(t)
	m := startMain(t, t.TempDir())
	ctx := context.Background()
	if _, err := SeedDemo(ctx, m.Store, m.Hasher, "callfloor", "demo-pass-1"); err != nil {
		t.Fatal(err)
	}
	// 203 is in the demo's preview campaign; on hold, it offers 203 no
	// lead, so 203 is free to dial.
	setDemoCampaigns(t, m, "", false, 0)
	exts := demoExtensions(t, m)
	caller, callee := exts["203"], exts["204"]
	for _, e := range []*callfloor.Extension{caller, callee} {
		if _, err := m.Floor.Do(ctx, 1, floor.Login{Ext: e.ID}); err != nil {
			t.Fatal(err)
		}
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	register := "../../sip/registrar/testdata/register_auth.xml"
	callerPort, calleePort := sipptest.FreePort(t), sipptest.FreePort(t)
	for _, r := range []struct {
		ext  *callfloor.Extension
		port int
	}{{caller, callerPort}, {callee, calleePort}} {
		if out, err := sipp(cctx, t, m, register, r.ext.SIPUsername, r.port).CombinedOutput(); err != nil {
			t.Fatalf("registering %s: %v\n%s", r.ext.Number, err, out)
		}
	}
	// The callee's phone: sipp's built-in answering scenario on the port
	// it registered from.
	calleeOut := &syncbuf.Buffer{}
	answer := sipp(cctx, t, m, "-sn uas", callee.SIPUsername, calleePort)
	answer.Stdout, answer.Stderr = calleeOut, calleeOut
	if err := answer.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // let it bind its port
	if out, err := sipp(cctx, t, m, "../../sip/b2bua/testdata/call_auth.xml", caller.SIPUsername, sipptest.FreePort(t), "-s", "204").CombinedOutput(); err != nil {
		t.Fatalf("calling: %v\n%s\ncallee:\n%s", err, out, calleeOut.String())
	}
	if err := answer.Wait(); err != nil {
		t.Fatalf("callee: %v\n%s", err, calleeOut.String())
	}
	want := map[int64][]callfloor.EventType{
		caller.ID: {callfloor.EventDialRequested, callfloor.EventCallAnswered, callfloor.EventCallEnded},
		callee.ID: {callfloor.EventCallOffered, callfloor.EventCallAnswered, callfloor.EventCallEnded},
	}
	for ext, types := range want {
		var got []callfloor.EventType
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			evs, err := m.Store.ReadExtensionEvents(ctx, 1, ext, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			got = got[:0]
			for _, e := range evs {
				if e.Call != nil {
					got = append(got, e.Type)
				}
			}
			if fmt.Sprint(got) == fmt.Sprint(types) || time.Now().After(deadline) {
				break
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(types) {
			t.Errorf("extension %d: call events %v, want %v", ext, got, types)
		}
	}
}
