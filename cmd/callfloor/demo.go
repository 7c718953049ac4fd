package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/password"
)

// DemoAccount is the name of the seeded demo account.
const DemoAccount = "demo"

// DemoResult tells what seeding found or made.
type DemoResult struct {
	Account *callfloor.Account
	// Created is false when the demo account was already there; then the
	// passwords are the ones from the first seeding.
	Created bool
}

// demoSeeder creates each demo object only if it is missing, so seeding is
// idempotent and a seeding cut short finishes on the next start.
type demoSeeder struct {
	st     callfloor.Store
	hasher *password.Hasher
	realm  string
	pw     string
	ctx    context.Context
}

// SeedDemo makes sure the demo account and everything in it exist.
func SeedDemo(ctx context.Context, st callfloor.Store, h *password.Hasher, realm, pw string) (DemoResult, error) {
	if err := callfloor.CheckPassword("demo-password", pw); err != nil {
		return DemoResult{}, fmt.Errorf("demo password: %s", callfloor.ErrorMessage(err))
	}
	var res DemoResult
	acc, err := st.FindAccountByName(ctx, DemoAccount)
	switch callfloor.ErrorCode(err) {
	case "":
	case callfloor.ErrNotFound:
		acc = &callfloor.Account{Name: DemoAccount, TimeZone: "Europe/London",
			LicenceKind: callfloor.LicenceAgentExtensions, AgentLicences: 10}
		if err := st.CreateAccount(ctx, acc); err != nil {
			return res, err
		}
		res.Created = true
	default:
		return res, err
	}
	res.Account = acc
	s := &demoSeeder{st: st, hasher: h, realm: realm, pw: pw, ctx: callfloor.SystemContext(ctx, acc.ID)}
	return res, s.seed()
}

func (s *demoSeeder) seed() error {
	for _, p := range []callfloor.PauseReason{
		{Name: "Lunch", Code: 1, ThresholdSeconds: 3600},
		{Name: "Training", Code: 2, Productive: true},
		{Name: "Comfort break", Code: 3, ThresholdSeconds: 600},
	} {
		if err := s.pauseReason(p); err != nil {
			return err
		}
	}
	pool, err := s.pool("Main lines", []string{"+441632960001", "+441632960002", "+441632960003", "+441632960004"})
	if err != nil {
		return err
	}
	sales := callfloor.NewQueue("600", "Sales")
	sales.DispositionsEnabled = true
	sales.Outcomes = []callfloor.Outcome{
		{Category: callfloor.CategorySuccess, Name: "Sale"},
		{Category: callfloor.CategorySuccess, Name: "Appointment booked"},
		{Category: callfloor.CategoryUnsure, Name: "Call back later"},
		{Category: callfloor.CategoryUnsure, Name: "Sent information"},
		{Category: callfloor.CategoryFail, Name: "Not interested", FailScope: callfloor.FailContact},
		{Category: callfloor.CategoryFail, Name: "Wrong number", FailScope: callfloor.FailNumber},
	}
	support := callfloor.NewQueue("601", "Support")
	support.Strategy = callfloor.StrategyRoundRobin
	outbound := callfloor.NewQueue("690", "Outbound")
	queues := map[string]*callfloor.Queue{}
	for _, q := range []*callfloor.Queue{sales, support, outbound} {
		got, err := s.queue(q)
		if err != nil {
			return err
		}
		queues[q.Number] = got
	}
	exts := map[string]*callfloor.Extension{}
	for i, num := range []string{"201", "202", "203", "204"} {
		engine := callfloor.PhoneWebRTC
		if i >= 2 {
			engine = callfloor.PhoneExternal
		}
		e := &callfloor.Extension{Number: num, Name: fmt.Sprintf("Agent %d", i+1), QueuesFeature: true,
			Agent: callfloor.DefaultAgentSettings()}
		e.Agent.Enabled = true
		e.Agent.PhoneEngine = engine
		e.Agent.OutboundQueueID = &queues["690"].ID
		e.Agent.CallerIDPoolID = &pool.ID
		e.Agent.RandomiseCallerID = true
		e.Agent.WrapupTimeoutSeconds = 60
		if i == 1 {
			e.Agent.AutoAnswer = callfloor.AutoAnswerOptional
		}
		got, err := s.extension(e)
		if err != nil {
			return err
		}
		exts[num] = got
	}
	reception := &callfloor.Extension{Number: "210", Name: "Reception", QueuesFeature: true, Agent: callfloor.DefaultAgentSettings()}
	if exts["210"], err = s.extension(reception); err != nil {
		return err
	}
	members := map[string][]string{"600": {"201", "202", "203", "210"}, "601": {"203", "204", "210"}}
	for qnum, nums := range members {
		if err := s.members(queues[qnum], nums, exts); err != nil {
			return err
		}
	}
	users := []struct {
		name, full string
		role       callfloor.Role
		ext        string
	}{
		{"admin", "Demo Admin", callfloor.RoleAdmin, ""},
		{"super", "Sam Supervisor", callfloor.RoleSupervisor, ""},
		{"agent1", "Alex Agent", callfloor.RoleAgent, "201"},
		{"agent2", "Bea Agent", callfloor.RoleAgent, "202"},
		{"agent3", "Cal Agent", callfloor.RoleAgent, "203"},
		{"agent4", "Dee Agent", callfloor.RoleAgent, "204"},
	}
	for _, u := range users {
		var extID *int64
		if u.ext != "" {
			extID = &exts[u.ext].ID
		}
		if err := s.user(&callfloor.User{Username: u.name, Name: u.full, Role: u.role, ExtensionID: extID}); err != nil {
			return err
		}
	}
	for _, d := range []callfloor.DirectoryEntry{
		{Name: "Head office", Number: "+441632960100", Company: "Callfloor Demo Ltd"},
		{Name: "Acme accounts payable", Number: "+441632960200", Company: "Acme Ltd"},
		{Name: "Courier bookings", Number: "+441632960300", Company: "Swift Couriers"},
		{Name: "IT helpdesk", Number: "+441632960400", Company: "Callfloor Demo Ltd", Notes: "Out of hours: leave a message"},
	} {
		if err := s.directory(d); err != nil {
			return err
		}
	}
	return nil
}

func (s *demoSeeder) pauseReason(p callfloor.PauseReason) error {
	all, err := s.st.ListPauseReasons(s.ctx)
	if err != nil {
		return err
	}
	for _, have := range all {
		if have.Code == p.Code {
			return nil
		}
	}
	return s.st.CreatePauseReason(s.ctx, &p)
}

func (s *demoSeeder) pool(name string, numbers []string) (*callfloor.CallerIDPool, error) {
	all, err := s.st.ListCallerIDPools(s.ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range all {
		if p.Name == name {
			return p, nil
		}
	}
	p := &callfloor.CallerIDPool{Name: name, Numbers: numbers}
	return p, s.st.CreateCallerIDPool(s.ctx, p)
}

func (s *demoSeeder) queue(q *callfloor.Queue) (*callfloor.Queue, error) {
	all, err := s.st.ListQueues(s.ctx)
	if err != nil {
		return nil, err
	}
	for _, have := range all {
		if have.Number == q.Number {
			return have, nil
		}
	}
	return q, s.st.CreateQueue(s.ctx, q)
}

func (s *demoSeeder) extension(e *callfloor.Extension) (*callfloor.Extension, error) {
	all, err := s.st.ListExtensions(s.ctx)
	if err != nil {
		return nil, err
	}
	for _, have := range all {
		if have.Number == e.Number {
			return have, nil
		}
	}
	e.SIPUsername = callfloor.NewSIPUsername(e.Number)
	e.SetSIPSecret(s.realm, s.pw)
	return e, s.st.CreateExtension(s.ctx, e)
}

// members adds the missing members; members an administrator added or
// removed since are left as they are only when the queue already has some.
func (s *demoSeeder) members(q *callfloor.Queue, nums []string, exts map[string]*callfloor.Extension) error {
	if len(q.Members) > 0 {
		return nil
	}
	_, err := s.st.UpdateQueue(s.ctx, q.ID, func(q *callfloor.Queue) error {
		for _, n := range nums {
			q.Members = append(q.Members, callfloor.QueueMember{ExtensionID: exts[n].ID})
		}
		return nil
	})
	return err
}

func (s *demoSeeder) user(u *callfloor.User) error {
	all, err := s.st.ListUsers(s.ctx)
	if err != nil {
		return err
	}
	for _, have := range all {
		if have.Username == u.Username {
			return nil
		}
	}
	if u.PasswordHash, err = s.hasher.Hash(s.pw); err != nil {
		return err
	}
	return s.st.CreateUser(s.ctx, u)
}

func (s *demoSeeder) directory(d callfloor.DirectoryEntry) error {
	all, err := s.st.ListDirectoryEntries(s.ctx)
	if err != nil {
		return err
	}
	for _, have := range all {
		if have.Name == d.Name {
			return nil
		}
	}
	return s.st.CreateDirectoryEntry(s.ctx, &d)
}

func printDemo(w io.Writer, url, sipAddr string, cfg Config, res DemoResult, exts []*callfloor.Extension) {
	pw := cfg.DemoPassword
	if !res.Created {
		pw = "(the one given when " + cfg.Data + " was first seeded)"
	}
	var phones strings.Builder
	for _, e := range exts {
		fmt.Fprintf(&phones, "    %s  %-12s SIP user %s\n", e.Number, e.Name, e.SIPUsername)
	}
	fmt.Fprintf(w, `
callfloor demo is running.

  API          %[1]s/api/v1   (OpenAPI document: %[1]s/api/v1/openapi.json)
  Health       %[1]s/healthz   Metrics: %[1]s/metrics
  SIP          %[6]s (UDP and TCP), realm %[7]s
  Account      %[2]s
  Users        admin, super (supervisor), agent1..agent4 (extensions 201-204)
  Password     %[3]s   (every demo user and SIP secret)
  Data         %[4]s
  Extensions
%[8]s
Try:
  curl -s -c cookies -H 'Content-Type: application/json' \
       -d '{"account":"demo","username":"admin","password":"%[5]s"}' %[1]s/api/v1/auth/login
  curl -s -b cookies %[1]s/api/v1/extensions

`, url, res.Account.Name, pw, dataWhere(cfg), shellPw(cfg.DemoPassword, res.Created), sipAddr, cfg.SIPRealm, phones.String())
}

func dataWhere(cfg Config) string {
	if cfg.Database != "" {
		return "PostgreSQL"
	}
	return cfg.Data + " (SQLite)"
}

func shellPw(pw string, created bool) string {
	if !created || strings.ContainsAny(pw, `'"\`) {
		return "PASSWORD"
	}
	return pw
}
