package api

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/auth"
	"github.com/callfloor/callfloor/bus"
	"github.com/callfloor/callfloor/clocktest"
	"github.com/callfloor/callfloor/floor"
	"github.com/callfloor/callfloor/internal/syncbuf"
	"github.com/callfloor/callfloor/password"
	"github.com/callfloor/callfloor/sqlite"
	"github.com/callfloor/callfloor/sqlstore"
)

// seenCodes records every error code an API answer carried, so that
// TestMain can check that the tests reach each code of the catalogue.
var seenCodes = struct {
	sync.Mutex
	m map[string]bool
}{m: map[string]bool{}}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	filtered := flag.Lookup("test.run").Value.String() != "" || flag.Lookup("test.skip").Value.String() != ""
	if code == 0 && !filtered && !testing.Short() {
		var missing []string
		for _, e := range callfloor.Errors {
			if !seenCodes.m[e.Code] {
				missing = append(missing, e.Code)
			}
		}
		if len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: no test got these error codes through the API: %v\n", missing)
			code = 1
		}
	}
	os.Exit(code)
}

const testPassword = "correct horse"

// harness is a Server over a real SQLite store in a temporary directory,
// with a real floor engine and event hub, a fake clock (the engine's timers
// run on it too), the simulated telephony plane on and the logs in a
// buffer.
type harness struct {
	t     *testing.T
	clock *clocktest.Clock
	store *sqlstore.Store
	srv   *Server
	floor *floor.Floor
	hub   *bus.Hub
	logs  *syncbuf.Buffer
	mu    sync.Mutex
	ip    int
}

func newHarness(t *testing.T, edit ...func(*Config)) *harness {
	t.Helper()
	ctx := context.Background()
	clock := clocktest.New(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "callfloor.db"), sqlstore.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	logs := &syncbuf.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	hasher := password.New(password.Fast)
	hub := bus.NewHub(10000, 1000)
	fl := floor.New(floor.FloorConfig{Journal: st, Clock: clock, Logger: logger, Publish: hub.Publish, LoadConfig: floor.StoreConfig(st)})
	t.Cleanup(fl.Close) // before the store closes
	cfg := Config{
		Store: st, Hasher: hasher, Clock: clock, Logger: logger, Version: "v-test", SIPRealm: "test.realm",
		Auth:  auth.NewService(auth.Config{Store: st, Hasher: hasher, Clock: clock, Logger: logger}),
		Floor: fl, Hub: hub, Simulate: true,
		BrowserPhone: func() BrowserPhone {
			return BrowserPhone{WebSocketURL: "ws://127.0.0.1:5066", ICEServers: []ICEServer{{URLs: []string{"stun:stun.test.invalid:3478"}}}}
		},
	}
	for _, e := range edit {
		e(&cfg)
	}
	return &harness{t: t, clock: clock, store: st, srv: New(cfg), floor: cfg.Floor, hub: cfg.Hub, logs: logs}
}

// req is one request to the server.
type req struct {
	method, path string
	// body is sent as is when a string, else as JSON; nil sends none.
	body any
	// token goes into "Authorization: Bearer"; cookie into the session
	// cookie.
	token, cookie string
	header        map[string]string
	// ip is the client address; empty picks a fresh one.
	ip string
}

// nextIP returns a new client address, so that logins in tests do not
// share one address's rate limit unless they mean to.
func (h *harness) nextIP() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ip++
	return fmt.Sprintf("198.51.100.%d", h.ip%250+1)
}

func (h *harness) do(rq req) *httptest.ResponseRecorder {
	h.t.Helper()
	var body []byte
	switch b := rq.body.(type) {
	case nil:
	case string:
		body = []byte(b)
	case []byte:
		body = b
	default:
		var err error
		if body, err = json.Marshal(b); err != nil {
			h.t.Fatal(err)
		}
	}
	r := httptest.NewRequest(rq.method, rq.path, bytes.NewReader(body))
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if rq.ip == "" {
		rq.ip = h.nextIP()
	}
	r.RemoteAddr = rq.ip + ":40000"
	if rq.token != "" {
		r.Header.Set("Authorization", "Bearer "+rq.token)
	}
	if rq.cookie != "" {
		r.AddCookie(&http.Cookie{Name: sessionCookie, Value: rq.cookie})
	}
	for k, v := range rq.header {
		if v == "" {
			r.Header.Del(k)
		} else {
			r.Header.Set(k, v)
		}
	}
	w := httptest.NewRecorder()
	h.srv.ServeHTTP(w, r)
	if w.Code >= 400 && strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		var e errorBody
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code == "" {
			h.t.Errorf("%s %s: %d answer not in the error shape: %s", rq.method, rq.path, w.Code, w.Body)
		}
		seenCodes.Lock()
		seenCodes.m[e.Error.Code] = true
		seenCodes.Unlock()
	}
	return w
}

// call sends a request with a bearer token.
func (h *harness) call(method, path, token string, body any) *httptest.ResponseRecorder {
	h.t.Helper()
	return h.do(req{method: method, path: path, token: token, body: body})
}

// decode decodes a JSON answer into a new V.
func decode[V any](t *testing.T, w *httptest.ResponseRecorder) V {
	t.Helper()
	var v V
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("answer %d %q: %v", w.Code, w.Body, err)
	}
	return v
}

func errOf(t *testing.T, w *httptest.ResponseRecorder) errorDetail {
	t.Helper()
	return decode[errorBody](t, w).Error
}

// wantStatus fails unless w has status.
func wantStatus(t *testing.T, w *httptest.ResponseRecorder, status int) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d: %s", w.Code, status, w.Body)
	}
}

// wantError fails unless w is an error with status, code and field.
func wantError(t *testing.T, w *httptest.ResponseRecorder, status int, code, field string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d: %s", w.Code, status, w.Body)
	}
	e := errOf(t, w)
	if e.Code != code || e.Field != field {
		t.Fatalf("error %+v, want code %q field %q", e, code, field)
	}
}

// tenant is an account with one object of every kind, named with its
// marker so that a leak is easy to spot.
type tenant struct {
	marker                     string
	acc                        *callfloor.Account
	ctx                        context.Context
	admin, sup, agent          *callfloor.User
	adminTok, supTok, agentTok string
	agentExt, plainExt         *callfloor.Extension
	// partExt is a participant: queues feature, no agent, a member of
	// partQueue.
	partExt          *callfloor.Extension
	queue, partQueue *callfloor.Queue
	reason, wrapup   *callfloor.PauseReason
	entry            *callfloor.DirectoryEntry
	pool             *callfloor.CallerIDPool
	apiToken         *callfloor.APIToken
	apiTokenPlain    string
	campaign         *callfloor.Campaign
	list             *callfloor.CampaignList
	lead             *callfloor.Lead
	schedule         *callfloor.ReportSchedule
	webhook          *callfloor.WebhookEndpoint
	kind             callfloor.LicenceKind
	licences         int
}

// seed makes a tenant with an Agent Extensions activation and one licence,
// used by its agent extension.
func (h *harness) seed(marker string) *tenant {
	return h.seedWith(marker, callfloor.LicenceAgentExtensions, 1)
}

func (h *harness) seedWith(marker string, kind callfloor.LicenceKind, licences int) *tenant {
	t := h.t
	t.Helper()
	ctx := context.Background()
	tn := &tenant{marker: marker, kind: kind, licences: licences}
	tn.acc = &callfloor.Account{Name: marker, TimeZone: "Europe/London", LicenceKind: kind, AgentLicences: licences}
	must(t, h.store.CreateAccount(ctx, tn.acc))
	tn.ctx = callfloor.SystemContext(ctx, tn.acc.ID)
	st := h.store

	tn.pool = &callfloor.CallerIDPool{Name: marker + " pool", Numbers: []string{"+441632960001"}}
	must(t, st.CreateCallerIDPool(tn.ctx, tn.pool))
	tn.agentExt = h.extension(tn, "201", kind != callfloor.LicenceNone)
	tn.plainExt = h.extension(tn, "202", false)
	tn.queue = callfloor.NewQueue("600", marker+" queue")
	tn.queue.DispositionsEnabled = true
	tn.queue.Outcomes = []callfloor.Outcome{{Category: callfloor.CategorySuccess, Name: marker + " sale"}}
	if kind != callfloor.LicenceNone {
		tn.queue.Members = []callfloor.QueueMember{{ExtensionID: tn.agentExt.ID, Penalty: 5}}
	}
	must(t, st.CreateQueue(tn.ctx, tn.queue))
	tn.partExt = h.participant(tn, "203")
	tn.partQueue = callfloor.NewQueue("601", marker+" support")
	tn.partQueue.Members = []callfloor.QueueMember{{ExtensionID: tn.partExt.ID}}
	must(t, st.CreateQueue(tn.ctx, tn.partQueue))
	tn.reason = &callfloor.PauseReason{Name: marker + " lunch", Code: 1, ThresholdSeconds: 3600}
	must(t, st.CreatePauseReason(tn.ctx, tn.reason))
	reasons, err := st.ListPauseReasons(tn.ctx)
	must(t, err)
	for _, r := range reasons {
		if r.System {
			tn.wrapup = r
		}
	}
	tn.entry = &callfloor.DirectoryEntry{Name: marker + " plumber", Number: "+441632960999"}
	must(t, st.CreateDirectoryEntry(tn.ctx, tn.entry))

	tn.admin = h.user(tn, marker+"-admin", callfloor.RoleAdmin, nil)
	tn.sup = h.user(tn, marker+"-sup", callfloor.RoleSupervisor, nil)
	if kind != callfloor.LicenceNone {
		tn.agent = h.user(tn, marker+"-agent", callfloor.RoleAgent, &tn.agentExt.ID)
		tn.agentTok = h.login(tn, tn.agent.Username)
	}
	tn.adminTok = h.login(tn, tn.admin.Username)
	tn.supTok = h.login(tn, tn.sup.Username)

	actx := callfloor.NewContext(ctx, callfloor.Actor{AccountID: tn.acc.ID, UserID: tn.admin.ID, Role: callfloor.RoleAdmin})
	tn.apiTokenPlain, tn.apiToken, err = h.srv.auth.CreateAPIToken(actx, marker+" token")
	must(t, err)
	h.seedTrunks(tn)
	h.seedCampaign(tn)
	next := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)
	tn.schedule = &callfloor.ReportSchedule{Name: marker + " daily", Report: callfloor.ReportDispositions,
		Frequency: callfloor.Daily, Hour: 7, Recipients: []string{marker + "@example.com"}, Enabled: true, NextRunAt: &next}
	must(t, st.CreateReportSchedule(tn.ctx, tn.schedule))
	tn.webhook = &callfloor.WebhookEndpoint{URL: "https://" + marker + ".hooks.example/in", Description: marker + " CRM",
		Enabled: true, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
	must(t, st.CreateWebhookEndpoint(tn.ctx, tn.webhook))
	_, err = st.PutSMTPSettings(tn.ctx, func(m *callfloor.SMTPSettings) error {
		m.Host, m.Port, m.Security, m.From = marker+".mail.example", 25, callfloor.SMTPNone, "reports@"+marker+".example"
		return nil
	})
	must(t, err)
	return tn
}

// seedCampaign gives the tenant a campaign (its agent a member), a list
// with one lead, and a do-not-call number, all named with the marker.
func (h *harness) seedCampaign(tn *tenant) {
	t, st := h.t, h.store
	t.Helper()
	tn.campaign = callfloor.NewCampaign(tn.marker+" campaign", callfloor.CampaignPreview)
	tn.campaign.Fields = []callfloor.CustomField{{Name: "policy", Label: "Policy"}}
	tn.campaign.Outcomes = []callfloor.CampaignOutcome{{Outcome: callfloor.Outcome{Category: callfloor.CategorySuccess, Name: tn.marker + " renewed"}, Next: callfloor.NextDone}}
	if tn.kind != callfloor.LicenceNone {
		tn.campaign.Members = []callfloor.CampaignMember{{ExtensionID: tn.agentExt.ID}}
	}
	must(t, st.CreateCampaign(tn.ctx, tn.campaign))
	tn.list = &callfloor.CampaignList{CampaignID: tn.campaign.ID, Name: tn.marker + " list", Active: true}
	must(t, st.CreateList(tn.ctx, tn.list))
	tn.lead = &callfloor.Lead{Name: tn.marker + " lead", Numbers: []callfloor.LeadNumber{{Number: "+441632960777"}},
		Fields: map[string]string{"policy": tn.marker + "-1"}}
	must(t, st.CreateLeads(tn.ctx, tn.list.ID, []*callfloor.Lead{tn.lead}))
	must(t, st.AddDNC(tn.ctx, &callfloor.DNCEntry{Number: "+441632960666", Note: tn.marker + " asked"}))
}

func (h *harness) extension(tn *tenant, number string, agent bool) *callfloor.Extension {
	h.t.Helper()
	e := &callfloor.Extension{Number: number, Name: tn.marker + " " + number, Agent: callfloor.DefaultAgentSettings()}
	if agent {
		e.QueuesFeature, e.Agent.Enabled = true, true
	}
	return h.createExtension(tn, e)
}

// participant makes an extension with the queues feature and no agent.
func (h *harness) participant(tn *tenant, number string) *callfloor.Extension {
	h.t.Helper()
	e := &callfloor.Extension{Number: number, Name: tn.marker + " " + number, QueuesFeature: true, Agent: callfloor.DefaultAgentSettings()}
	return h.createExtension(tn, e)
}

func (h *harness) createExtension(tn *tenant, e *callfloor.Extension) *callfloor.Extension {
	h.t.Helper()
	e.SIPUsername = callfloor.NewSIPUsername(e.Number)
	e.SetSIPSecret("test.realm", callfloor.NewSIPSecret())
	must(h.t, h.store.CreateExtension(tn.ctx, e))
	e.SIPSecret = ""
	return e
}

func (h *harness) user(tn *tenant, username string, role callfloor.Role, ext *int64) *callfloor.User {
	h.t.Helper()
	hash, err := h.srv.hasher.Hash(testPassword)
	must(h.t, err)
	u := &callfloor.User{Username: username, Role: role, ExtensionID: ext, PasswordHash: hash}
	must(h.t, h.store.CreateUser(tn.ctx, u))
	return u
}

// login logs a user in through the API and returns the session token.
func (h *harness) login(tn *tenant, username string) string {
	h.t.Helper()
	w := h.do(req{method: "POST", path: "/api/v1/auth/login",
		body: map[string]string{"account": tn.acc.Name, "username": username, "password": testPassword}})
	wantStatus(h.t, w, http.StatusOK)
	return decode[loginResponse](h.t, w).Token
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// snapshot is everything the tenants have stored, secrets' hashes
// included, to check that a refused request changed nothing.
func (h *harness) snapshot(tenants ...*tenant) string {
	t := h.t
	t.Helper()
	var parts []any
	for _, tn := range tenants {
		st, ctx := h.store, tn.ctx
		acc, err := st.FindAccountByID(ctx, tn.acc.ID)
		must(t, err)
		users, err := st.ListUsers(ctx)
		must(t, err)
		var hashes []string
		for _, u := range users {
			hashes = append(hashes, u.PasswordHash)
		}
		exts, err := st.ListExtensions(ctx)
		must(t, err)
		for _, e := range exts {
			hashes = append(hashes, e.SIPHA1, e.SIPHA1SHA256)
		}
		queues, err := st.ListQueues(ctx)
		must(t, err)
		reasons, err := st.ListPauseReasons(ctx)
		must(t, err)
		dir, err := st.ListDirectoryEntries(ctx)
		must(t, err)
		pools, err := st.ListCallerIDPools(ctx)
		must(t, err)
		tokens, err := st.ListAPITokens(ctx)
		must(t, err)
		campaigns, err := st.ListCampaigns(ctx)
		must(t, err)
		lists, err := st.ListLists(ctx, 0)
		must(t, err)
		leads, err := st.ListLeads(ctx, callfloor.LeadFilter{})
		must(t, err)
		dnc, err := st.ListDNC(ctx)
		must(t, err)
		schedules, err := st.ListReportSchedules(ctx)
		must(t, err)
		smtp, err := st.FindSMTPSettings(ctx)
		must(t, err)
		hooks, err := st.ListWebhookEndpoints(ctx)
		must(t, err)
		for _, w := range hooks {
			hashes = append(hashes, w.Secret, w.PreviousSecret)
		}
		sort.Strings(hashes)
		parts = append(parts, acc, users, hashes, exts, queues, reasons, dir, pools, tokens, campaigns, lists, leads, dnc, schedules, smtp, hooks)
	}
	b, err := json.MarshalIndent(parts, "", " ")
	must(t, err)
	return string(b)
}

func idPath(format string, id int64) string { return fmt.Sprintf(format, id) }
