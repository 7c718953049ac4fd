package main

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/password"
	"github.com/callfloor/callfloor/sim/carrier"
)

// DemoAccount is the name of the seeded demo account.
const DemoAccount = "demo"

// DemoResult tells what seeding found or made.
type DemoResult struct {
	Account *callfloor.Account
	// Created is false when the demo account was already there; then the
	// passwords are the ones from the first seeding.
	Created bool
	// Carrier is the simulated carrier's trunk and numbers; nil when the
	// demo runs without it.
	Carrier *DemoCarrier
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
	// Only the length rules: the demo's password is meant to be typed
	// by anyone trying it out ("callfloor"), never the strength check
	// every other password passes.
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
	// The agents present the demo's own inbound numbers, so a callback
	// reaches the company.
	pool, err := s.pool("Main lines", []string{"+" + demoMainLine, "+" + demoSalesLine, "+" + demoSupportLine})
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
	// Support's calls are dispositioned too, so the quick start's agent 4
	// sees the wrap-up and the disposition form.
	support.DispositionsEnabled = true
	support.Outcomes = []callfloor.Outcome{
		{Category: callfloor.CategorySuccess, Name: "Resolved"},
		{Category: callfloor.CategoryUnsure, Name: "Follow-up needed"},
		{Category: callfloor.CategoryUnsure, Name: "Escalated"},
		{Category: callfloor.CategoryFail, Name: "Could not help", FailScope: callfloor.FailContact},
	}
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
	if err := s.demoCampaign(exts, pool); err != nil {
		return err
	}
	if err := s.demoPowerCampaign(exts, pool); err != nil {
		return err
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

// The demo's inbound numbers (DIDs), in Ofcom's range for drama in London
// (020 7946 0000-0999), as the carrier sends them: numbers that reach no
// one outside the demo.
const (
	demoMainLine    = "442079460000"
	demoSalesLine   = "442079460600"
	demoSupportLine = "442079460601"
)

// DemoTrunkName names the demo's registration trunk to the simulated
// carrier; DemoTrunkUser is the user it registers as.
const (
	DemoTrunkName = "Simulated carrier"
	DemoTrunkUser = "callfloor-demo"
)

// demoDID is one inbound number the demo seeds and where it goes.
type demoDID struct {
	number, name string
	kind         callfloor.DestinationKind
	dest         string // the queue's or extension's number
}

var demoDIDs = []demoDID{
	{demoMainLine, "Main line", callfloor.DestinationExtension, "210"},
	{demoSalesLine, "Sales", callfloor.DestinationQueue, "600"},
	{demoSupportLine, "Support", callfloor.DestinationQueue, "601"},
}

// DemoCarrier is what the demo's simulated carrier works with: the trunk
// registered with it and the inbound numbers it calls.
type DemoCarrier struct {
	Addr    netip.AddrPort
	Trunk   *callfloor.Trunk
	Numbers []DemoNumber // the enabled ones, which the carrier calls
	// PerMinute is the carrier's rate of inbound calls.
	PerMinute float64
}

// DemoNumber is an inbound number and where it goes, for people
// ("queue 600 (Sales)").
type DemoNumber struct{ Number, Destination string }

// DIDs lists the numbers the carrier calls.
func (d *DemoCarrier) DIDs() []string {
	out := make([]string, len(d.Numbers))
	for i, n := range d.Numbers {
		out[i] = n.Number
	}
	return out
}

// SeedDemoCarrier makes sure the demo account (SeedDemo first) has a
// registration trunk to the simulated carrier at addr, enabled and
// pointing there (an earlier one is moved), with the main line as its
// default caller ID and pw as its password, and the inbound numbers of
// demoDIDs on it. Numbers already there are left as they are.
func SeedDemoCarrier(ctx context.Context, st callfloor.Store, accountID int64, addr netip.AddrPort, pw string) (*DemoCarrier, error) {
	s := &demoSeeder{st: st, pw: pw, ctx: callfloor.SystemContext(ctx, accountID)}
	tr, err := s.trunk(addr.String())
	if err != nil {
		return nil, fmt.Errorf("demo trunk: %w", err)
	}
	out := &DemoCarrier{Addr: addr, Trunk: tr}
	dests, err := s.destinations()
	if err != nil {
		return nil, err
	}
	for _, d := range demoDIDs {
		n, err := s.inboundNumber(d, tr.ID, dests)
		if err != nil {
			return nil, fmt.Errorf("demo inbound number %s: %w", d.number, err)
		}
		if n.Enabled {
			out.Numbers = append(out.Numbers, DemoNumber{Number: n.Number, Destination: dests.describe(n.Destination)})
		}
	}
	return out, nil
}

// DisableDemoCarrier turns the simulated carrier's trunk off, if there is
// one, when the demo runs without the carrier: it would only fail to
// register.
func DisableDemoCarrier(ctx context.Context, st callfloor.Store, accountID int64) error {
	sctx := callfloor.SystemContext(ctx, accountID)
	tr, err := findTrunk(sctx, st, DemoTrunkName)
	if err != nil || tr == nil || !tr.Enabled {
		return err
	}
	_, err = st.UpdateTrunk(sctx, tr.ID, func(t *callfloor.Trunk) error {
		t.Enabled = false
		return nil
	})
	return err
}

// trunk finds the demo trunk, moves it to host and enables it if need
// be, or creates it.
func (s *demoSeeder) trunk(host string) (*callfloor.Trunk, error) {
	have, err := findTrunk(s.ctx, s.st, DemoTrunkName)
	switch {
	case err != nil:
		return nil, err
	case have != nil && have.Host == host && have.Enabled:
		return have, nil
	case have != nil:
		return s.st.UpdateTrunk(s.ctx, have.ID, func(t *callfloor.Trunk) error {
			t.Host, t.Enabled = host, true
			return nil
		})
	}
	t := callfloor.NewTrunk(DemoTrunkName, host)
	t.Username, t.Password = DemoTrunkUser, s.pw
	t.DefaultCallerID = "+" + demoMainLine
	return t, s.st.CreateTrunk(s.ctx, t)
}

// findTrunk returns the account's trunk named name, or nil.
func findTrunk(ctx context.Context, st callfloor.Store, name string) (*callfloor.Trunk, error) {
	all, err := st.ListTrunks(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range all {
		if strings.EqualFold(t.Name, name) {
			return t, nil
		}
	}
	return nil, nil
}

// inboundNumber finds d's number in the account or creates it on the
// trunk.
func (s *demoSeeder) inboundNumber(d demoDID, trunkID int64, dests *demoDestinations) (*callfloor.InboundNumber, error) {
	all, err := s.st.ListInboundNumbers(s.ctx)
	if err != nil {
		return nil, err
	}
	for _, have := range all {
		if callfloor.InboundNumberKey(have.Number) == callfloor.InboundNumberKey(d.number) {
			return have, nil
		}
	}
	dest, ok := dests.find(d.kind, d.dest)
	if !ok {
		return nil, fmt.Errorf("%s %s is missing", d.kind, d.dest)
	}
	n := &callfloor.InboundNumber{Number: d.number, Name: d.name, TrunkID: &trunkID, Destination: dest, Enabled: true}
	return n, s.st.CreateInboundNumber(s.ctx, n)
}

// demoDestinations are the account's queues and extensions, to route and
// describe inbound numbers.
type demoDestinations struct {
	queues []*callfloor.Queue
	exts   []*callfloor.Extension
}

func (s *demoSeeder) destinations() (*demoDestinations, error) {
	qs, err := s.st.ListQueues(s.ctx)
	if err != nil {
		return nil, err
	}
	es, err := s.st.ListExtensions(s.ctx)
	if err != nil {
		return nil, err
	}
	return &demoDestinations{queues: qs, exts: es}, nil
}

// find returns the destination of the queue or extension with number.
func (d *demoDestinations) find(kind callfloor.DestinationKind, number string) (callfloor.Destination, bool) {
	if kind == callfloor.DestinationQueue {
		if i := slices.IndexFunc(d.queues, func(q *callfloor.Queue) bool { return q.Number == number }); i >= 0 {
			return callfloor.Destination{Kind: kind, ID: d.queues[i].ID}, true
		}
		return callfloor.Destination{}, false
	}
	if i := slices.IndexFunc(d.exts, func(e *callfloor.Extension) bool { return e.Number == number }); i >= 0 {
		return callfloor.Destination{Kind: kind, ID: d.exts[i].ID}, true
	}
	return callfloor.Destination{}, false
}

// describe names a destination for people: "queue 600 (Sales)".
func (d *demoDestinations) describe(dest callfloor.Destination) string {
	if dest.Kind == callfloor.DestinationQueue {
		if i := slices.IndexFunc(d.queues, func(q *callfloor.Queue) bool { return q.ID == dest.ID }); i >= 0 {
			return fmt.Sprintf("queue %s (%s)", d.queues[i].Number, d.queues[i].Name)
		}
	} else if i := slices.IndexFunc(d.exts, func(e *callfloor.Extension) bool { return e.ID == dest.ID }); i >= 0 {
		return fmt.Sprintf("extension %s (%s)", d.exts[i].Number, d.exts[i].Name)
	}
	return fmt.Sprintf("%s %d", dest.Kind, dest.ID)
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
  Health       %[1]s/healthz
  SIP          %[6]s (UDP and TCP), realm %[7]s
  Account      %[2]s
  Users        admin, super (supervisor), agent1..agent4 (extensions 201-204)
  Password     %[3]s   (every demo user and SIP secret)
  Data         %[4]s
  Extensions
%[8]s%[9]s
Try:
  curl -s -c cookies -H 'Content-Type: application/json' \
       -d '{"account":"demo","username":"admin","password":"%[5]s"}' %[1]s/api/v1/auth/login
  curl -s -b cookies %[1]s/api/v1/extensions

`, url, res.Account.Name, pw, dataWhere(cfg), shellPw(cfg.DemoPassword, res.Created), sipAddr, cfg.SIPRealm, phones.String(), carrierBanner(res.Carrier))
}

// carrierBanner tells where the simulated carrier is, where its calls go
// and which numbers to dial for each outcome; nothing without a carrier.
func carrierBanner(c *DemoCarrier) string {
	if c == nil {
		return ""
	}
	var b strings.Builder
	rate := "no inbound calls (demo-inbound-rate 0)"
	if c.PerMinute > 0 && len(c.Numbers) > 0 {
		rate = fmt.Sprintf("%s inbound calls a minute", strconv.FormatFloat(c.PerMinute, 'g', -1, 64))
	}
	fmt.Fprintf(&b, "  Carrier      %s, simulated: trunk %q registers with it; %s\n", c.Addr, c.Trunk.Name, rate)
	for _, n := range c.Numbers {
		fmt.Fprintf(&b, "    %-14s → %s\n", n.Number, n.Destination)
	}
	b.WriteString("    Dial out through it (the last digit decides):\n")
	for _, t := range outboundTestNumbers() {
		fmt.Fprintf(&b, "    %-14s → %s\n", t.number, t.what)
	}
	return b.String()
}

// outcomeText says what the caller gets for each of the carrier's
// outcomes.
var outcomeText = map[carrier.Outcome]string{
	carrier.Answered:    "answered: a voice talks, then hangs up",
	carrier.Busy:        "busy (486)",
	carrier.NoAnswer:    "rings, no answer (480 after a minute)",
	carrier.Unreachable: "unreachable (503)",
	carrier.Machine:     "an answering machine: greeting, beep, silence",
}

// testNumber is a number to dial for one of the carrier's outcomes.
type testNumber struct{ number, what string }

// outboundTestNumbers lists a mobile number in Ofcom's range for drama
// (07700 900000-900999) for each outcome, with the last digits that get
// it, as carrier.OutcomeFor decides.
func outboundTestNumbers() []testNumber {
	digits := map[carrier.Outcome][]int{}
	var order []carrier.Outcome
	for _, d := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 0} {
		o := carrier.OutcomeFor(strconv.Itoa(d))
		if digits[o] == nil {
			order = append(order, o)
		}
		digits[o] = append(digits[o], d)
	}
	out := make([]testNumber, len(order))
	for i, o := range order {
		ds := digits[o]
		what, ok := outcomeText[o]
		if !ok {
			what = o.String()
		}
		if len(ds) > 1 {
			what += " (last digit " + digitRanges(slices.Sorted(slices.Values(ds))) + ")"
		}
		out[i] = testNumber{number: fmt.Sprintf("0770090000%d", ds[0]), what: what}
	}
	return out
}

// digitRanges writes sorted digits as ranges: "0-4, 9".
func digitRanges(ds []int) string {
	var parts []string
	for i := 0; i < len(ds); {
		j := i
		for j+1 < len(ds) && ds[j+1] == ds[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", ds[i], ds[j]))
		} else {
			parts = append(parts, strconv.Itoa(ds[i]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
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
