package callfloor_test

import (
	"strings"
	"testing"

	"github.com/callfloor/callfloor"
)

type validator interface{ Validate() error }

type validateCase struct {
	name  string
	obj   validator
	code  string // "" means valid
	field string
}

func runValidate(t *testing.T, tests []validateCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.obj.Validate()
			if got := callfloor.ErrorCode(err); got != tc.code {
				t.Fatalf("code = %q (%v), want %q", got, err, tc.code)
			}
			if got := callfloor.ErrorField(err); got != tc.field {
				t.Fatalf("field = %q, want %q", got, tc.field)
			}
		})
	}
}

func id(v int64) *int64 { return &v }

func TestAccountValidate(t *testing.T) {
	ok := func(f func(*callfloor.Account)) *callfloor.Account {
		a := &callfloor.Account{Name: "acme", TimeZone: "Europe/London", LicenceKind: callfloor.LicenceAgentExtensions, AgentLicences: 3}
		f(a)
		return a
	}
	runValidate(t, []validateCase{
		{"valid", ok(func(*callfloor.Account) {}), "", ""},
		{"empty name", ok(func(a *callfloor.Account) { a.Name = "  " }), callfloor.ErrFieldRequired, "name"},
		{"control character", ok(func(a *callfloor.Account) { a.Name = "a\x00b" }), callfloor.ErrInvalidField, "name"},
		{"no time zone", ok(func(a *callfloor.Account) { a.TimeZone = "" }), callfloor.ErrFieldRequired, "time_zone"},
		{"bad time zone", ok(func(a *callfloor.Account) { a.TimeZone = "Mars/Olympus" }), callfloor.ErrInvalidField, "time_zone"},
		{"Local is not a zone", ok(func(a *callfloor.Account) { a.TimeZone = "Local" }), callfloor.ErrInvalidField, "time_zone"},
		{"bad kind", ok(func(a *callfloor.Account) { a.LicenceKind = "gold" }), callfloor.ErrInvalidField, "licence_kind"},
		{"negative licences", ok(func(a *callfloor.Account) { a.AgentLicences = -1 }), callfloor.ErrInvalidField, "agent_licences"},
		{"licences without activation", ok(func(a *callfloor.Account) { a.LicenceKind = callfloor.LicenceNone }), callfloor.ErrInvalidField, "agent_licences"},
		{"empty kind means none", ok(func(a *callfloor.Account) { a.LicenceKind = ""; a.AgentLicences = 0 }), "", ""},
	})
}

func TestUserValidate(t *testing.T) {
	ok := func(f func(*callfloor.User)) *callfloor.User {
		u := &callfloor.User{Username: "Agent1", Role: callfloor.RoleAgent, ExtensionID: id(1), PasswordHash: "h"}
		f(u)
		return u
	}
	runValidate(t, []validateCase{
		{"valid, username lowered", ok(func(*callfloor.User) {}), "", ""},
		{"no username", ok(func(u *callfloor.User) { u.Username = "" }), callfloor.ErrFieldRequired, "username"},
		{"bad username", ok(func(u *callfloor.User) { u.Username = "a b" }), callfloor.ErrInvalidField, "username"},
		{"bad role", ok(func(u *callfloor.User) { u.Role = "root" }), callfloor.ErrInvalidField, "role"},
		{"agent without extension", ok(func(u *callfloor.User) { u.ExtensionID = nil }), callfloor.ErrFieldRequired, "extension_id"},
		{"admin without extension", ok(func(u *callfloor.User) { u.ExtensionID = nil; u.Role = callfloor.RoleAdmin }), "", ""},
		{"bad email", ok(func(u *callfloor.User) { u.Email = "nobody" }), callfloor.ErrInvalidField, "email"},
		{"no password", ok(func(u *callfloor.User) { u.PasswordHash = "" }), callfloor.ErrFieldRequired, "password"},
	})
	u := ok(func(*callfloor.User) {})
	u.Validate()
	if u.Username != "agent1" || u.Name != "agent1" {
		t.Errorf("username %q name %q: want lowered username and name defaulted to it", u.Username, u.Name)
	}
}

func TestExtensionValidate(t *testing.T) {
	ok := func(f func(*callfloor.Extension)) *callfloor.Extension {
		e := &callfloor.Extension{Number: "201", QueuesFeature: true, Agent: callfloor.DefaultAgentSettings()}
		f(e)
		return e
	}
	runValidate(t, []validateCase{
		{"valid", ok(func(*callfloor.Extension) {}), "", ""},
		{"no number", ok(func(e *callfloor.Extension) { e.Number = "" }), callfloor.ErrFieldRequired, "number"},
		{"letters", ok(func(e *callfloor.Extension) { e.Number = "2a1" }), callfloor.ErrInvalidField, "number"},
		{"one digit", ok(func(e *callfloor.Extension) { e.Number = "2" }), callfloor.ErrInvalidField, "number"},
		{"long name", ok(func(e *callfloor.Extension) { e.Name = strings.Repeat("x", 101) }), callfloor.ErrInvalidField, "name"},
		{"bad engine", ok(func(e *callfloor.Extension) { e.Agent.PhoneEngine = "skype" }), callfloor.ErrInvalidField, "agent.phone_engine"},
		{"bad auto answer", ok(func(e *callfloor.Extension) { e.Agent.AutoAnswer = "sometimes" }), callfloor.ErrInvalidField, "agent.auto_answer"},
		{"wrap-up too short", ok(func(e *callfloor.Extension) { e.Agent.WrapupTimeoutSeconds = 1 }), callfloor.ErrInvalidField, "agent.wrapup_timeout_seconds"},
		{"wrap-up too long", ok(func(e *callfloor.Extension) { e.Agent.WrapupTimeoutSeconds = 3601 }), callfloor.ErrInvalidField, "agent.wrapup_timeout_seconds"},
		{"randomise without pool", ok(func(e *callfloor.Extension) { e.Agent.RandomiseCallerID = true }), callfloor.ErrFieldRequired, "agent.caller_id_pool_id"},
	})
}

func TestAgentImpliesQueuesFeature(t *testing.T) {
	e := &callfloor.Extension{Number: "201", Agent: callfloor.DefaultAgentSettings()}
	e.Agent.Enabled = true
	if err := e.Validate(); err != nil || !e.QueuesFeature {
		t.Fatalf("agent extension: %v, queues feature %v", err, e.QueuesFeature)
	}
}

func TestPauseReasonValidate(t *testing.T) {
	runValidate(t, []validateCase{
		{"valid", &callfloor.PauseReason{Name: "Lunch", Code: 1, ThresholdSeconds: 3600}, "", ""},
		{"code zero", &callfloor.PauseReason{Name: "Lunch"}, callfloor.ErrInvalidField, "code"},
		{"code too big", &callfloor.PauseReason{Name: "Lunch", Code: 10000}, callfloor.ErrInvalidField, "code"},
		{"negative threshold", &callfloor.PauseReason{Name: "Lunch", Code: 1, ThresholdSeconds: -1}, callfloor.ErrInvalidField, "threshold_seconds"},
		{"system name", &callfloor.PauseReason{Name: "wrapup", Code: 5}, callfloor.ErrNameTaken, "name"},
		{"no name", &callfloor.PauseReason{Code: 5}, callfloor.ErrFieldRequired, "name"},
	})
}

func TestQueueValidate(t *testing.T) {
	ok := func(f func(*callfloor.Queue)) *callfloor.Queue {
		q := callfloor.NewQueue("600", "Sales")
		f(q)
		return q
	}
	fail := callfloor.Outcome{Category: callfloor.CategoryFail, Name: "Wrong number", FailScope: callfloor.FailNumber}
	runValidate(t, []validateCase{
		{"defaults", ok(func(*callfloor.Queue) {}), "", ""},
		{"bad strategy", ok(func(q *callfloor.Queue) { q.Strategy = "loudest" }), callfloor.ErrInvalidField, "strategy"},
		{"ring timeout", ok(func(q *callfloor.Queue) { q.RingTimeoutSeconds = 1 }), callfloor.ErrInvalidField, "ring_timeout_seconds"},
		{"overflow target missing", ok(func(q *callfloor.Queue) { q.OverflowAction = callfloor.OverflowQueue }), callfloor.ErrInvalidField, "overflow_target_id"},
		{"overflow target on hangup", ok(func(q *callfloor.Queue) { q.OverflowTargetID = id(3) }), callfloor.ErrInvalidField, "overflow_target_id"},
		{"dispositions without outcomes", ok(func(q *callfloor.Queue) { q.DispositionsEnabled = true }), callfloor.ErrFieldRequired, "outcomes"},
		{"dispositions with outcomes", ok(func(q *callfloor.Queue) { q.DispositionsEnabled = true; q.Outcomes = []callfloor.Outcome{fail} }), "", ""},
		{"fail without scope", ok(func(q *callfloor.Queue) {
			q.Outcomes = []callfloor.Outcome{{Category: callfloor.CategoryFail, Name: "No"}}
		}), callfloor.ErrInvalidField, "outcomes[0].fail_scope"},
		{"success with scope", ok(func(q *callfloor.Queue) {
			q.Outcomes = []callfloor.Outcome{{Category: callfloor.CategorySuccess, Name: "Sale", FailScope: callfloor.FailContact}}
		}), callfloor.ErrInvalidField, "outcomes[0].fail_scope"},
		{"bad category", ok(func(q *callfloor.Queue) { q.Outcomes = []callfloor.Outcome{{Category: "maybe", Name: "x"}} }), callfloor.ErrInvalidField, "outcomes[0].category"},
		{"duplicate outcome", ok(func(q *callfloor.Queue) { q.Outcomes = []callfloor.Outcome{fail, fail} }), callfloor.ErrNameTaken, "outcomes[1].name"},
		{"system outcome", ok(func(q *callfloor.Queue) {
			q.Outcomes = []callfloor.Outcome{{Category: callfloor.CategoryUnsure, Name: "no agent submission"}}
		}), callfloor.ErrNameTaken, "outcomes[0].name"},
		{"member twice", ok(func(q *callfloor.Queue) {
			q.Members = []callfloor.QueueMember{{ExtensionID: 1}, {ExtensionID: 1}}
		}), callfloor.ErrInvalidField, "members[1].extension_id"},
		{"penalty", ok(func(q *callfloor.Queue) { q.Members = []callfloor.QueueMember{{ExtensionID: 1, Penalty: 101}} }), callfloor.ErrInvalidField, "members[0].penalty"},
	})
}

func TestDirectoryAndPoolValidate(t *testing.T) {
	runValidate(t, []validateCase{
		{"entry", &callfloor.DirectoryEntry{Name: "Office", Number: "+441632960100"}, "", ""},
		{"entry bad number", &callfloor.DirectoryEntry{Name: "Office", Number: "call me"}, callfloor.ErrInvalidField, "number"},
		{"entry long notes", &callfloor.DirectoryEntry{Name: "Office", Number: "1", Notes: strings.Repeat("n", 2001)}, callfloor.ErrInvalidField, "notes"},
		{"pool", &callfloor.CallerIDPool{Name: "Main", Numbers: []string{"+441632960001"}}, "", ""},
		{"empty pool", &callfloor.CallerIDPool{Name: "Main"}, callfloor.ErrFieldRequired, "numbers"},
		{"pool duplicate", &callfloor.CallerIDPool{Name: "Main", Numbers: []string{"1", "1"}}, callfloor.ErrInvalidField, "numbers[1]"},
		{"pool bad number", &callfloor.CallerIDPool{Name: "Main", Numbers: []string{"1", "x"}}, callfloor.ErrInvalidField, "numbers[1]"},
	})
}

// TestTextRule: names take one line of printable text; notes may run
// over lines and hold tabs; neither takes other control characters,
// bidirectional formatting or a broken encoding.
func TestTextRule(t *testing.T) {
	for _, tt := range []struct {
		v           string
		name, notes bool // accepted as a name, as notes
	}{
		{"Sales team", true, true},
		{"Zoë – ünïcode ✓ 日本", true, true},
		{"two\nlines", false, true},
		{"a\ttab", false, true},
		{"carriage\rreturn", false, false},
		{"nul\x00", false, false},
		{"del\x7f", false, false},
		{"c1\u0085", false, false},
		{"override\u202egpj.exe", false, false},
		{"embedding\u202a", false, false},
		{"isolate\u2066x\u2069", false, false},
		{"broken \xff", false, false},
		{"replaced \ufffd", false, false},
	} {
		if got := callfloor.CheckLine("name", tt.v, 100) == nil; got != tt.name {
			t.Errorf("%q as a name: accepted %v, want %v", tt.v, got, tt.name)
		}
		if got := callfloor.CheckText("notes", tt.v, 100) == nil; got != tt.notes {
			t.Errorf("%q as notes: accepted %v, want %v", tt.v, got, tt.notes)
		}
	}
	if err := callfloor.CheckText("notes", strings.Repeat("é", 101), 100); callfloor.ErrorCode(err) != callfloor.ErrInvalidField {
		t.Errorf("101 characters of notes: %v", err)
	}
}
